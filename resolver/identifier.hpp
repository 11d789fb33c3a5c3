// Parsing and canonical forms of discovery identifiers (DESIGN.md §3): phone, email, handle.
// Free functions; thread-safe (libphonenumber's PhoneNumberUtil is a thread-safe singleton).
#pragma once

#include <string>
#include <string_view>

#include "resolver/status.hpp"

namespace resolver {

enum class IdentifierType { phone, email, handle };

// "phone", "email" or "handle".
std::string_view type_name(IdentifierType type);

struct Identifier {
  IdentifierType type = IdentifierType::phone;
  std::string canonical;  // "tel:+14155552671", "mailto:alice@example.com", "acct:alice@chat.example"
};

inline constexpr std::size_t kMaxIdentifierBytes = 320;

// Parses `input` and returns its canonical form.
// `region` is an ISO 3166 alpha-2 code ("US", case-insensitive) used for national phone numbers;
// empty means none.
// On success: the type and canonical form.
// On failure: Code::invalid_identifier with a sentence saying why (empty, too long, bad characters,
// not a valid number for the region, no region for a national number, bad domain, ...). The
// sentence never repeats the input (identifiers are personal data, DESIGN §8).
Result<Identifier> parse_identifier(std::string_view input, std::string_view region = {});

// True when `region` is empty or a region libphonenumber knows ("US", "de").
bool is_known_region(std::string_view region);

// True when `domain` is a syntactically valid DNS name in A-label form (used for providers, issuers).
bool is_domain_name(std::string_view domain);

}  // namespace resolver
