// Parsing and canonical forms of discovery identifiers (DESIGN.md §3): phone, email, handle.
// Free functions; thread-safe (libphonenumber's PhoneNumberUtil is a thread-safe singleton).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/status.hpp"

namespace resolver {

enum class IdentifierType { phone, email, handle };

// "phone", "email" or "handle".
std::string_view type_name(IdentifierType type);

struct Identifier {
  IdentifierType type = IdentifierType::phone;
  std::string canonical;  // "tel:+14155552671", "mailto:alice@example.com", "acct:alice@chat.example"
};

// The longest input, spaces around it included, a tel:, mailto: or acct: scheme not counted.
inline constexpr std::size_t kMaxIdentifierBytes = 320;

// Parses `input` and returns its canonical form.
// Type inference without a scheme (DESIGN §3): a leading `@` is a handle; a leading `+`, digit or
// `(` is a phone unless the input holds an `@` (then it is an email: `1alice@example.com`);
// anything else with one `@` is an email. Spaces around the input are ignored.
// Phone: ASCII digits with RFC 3966 visual separators `-.()` and spaces; extensions, letters and
// tel: URI parameters are rejected (E.164 would silently drop them). A tel: URI must be global
// (`tel:+...`). A national number needs `region`; a non-empty region must be known.
// Email: dot-atom local part (RFC 5321 §4.1.2, UTF-8 allowed per RFC 6531, no quoted strings,
// no % or ?, which the canonical mailto: form could not hold),
// lower-cased (ASCII and simple Unicode case mapping) and kept as UTF-8, e.g.
// `Jörg@Bücher.Example` -> `mailto:jörg@xn--bcher-kva.example`. The local part is NOT
// NFC-normalised (no normaliser among our dependencies); the domain is (IDNA2008, UTS #46).
// Handle: user part of ASCII letters, digits and `._~+-`, lower-cased; domain as for email.
// `region` is an ISO 3166 alpha-2 code ("US", case-insensitive) used for national phone numbers;
// empty means none.
// On success: the type and canonical form.
// On failure: Code::invalid_identifier with a sentence saying why (empty, too long, bad characters,
// not a valid number for the region, no region for a national number, bad domain, ...). The
// sentence never repeats the input (identifiers are personal data, DESIGN §8).
Result<Identifier> parse_identifier(std::string_view input, std::string_view region = {});

// The message of parse_identifier for a national phone number without a region. It names no
// flag or parameter: each surface says how its caller gives a region (`region` in the API,
// `--region` in discoveryctl).
inline constexpr const char* kNeedsRegion =
    "a national phone number needs a region, such as US, or the international form starting with +";

// parse_identifier of each input, in input order (a batch shares one region, DESIGN §4.2).
std::vector<Result<Identifier>> parse_identifiers(std::span<const std::string> inputs,
                                                  std::string_view region = {});

// True when `region` is empty or a region libphonenumber knows ("US", "de").
bool is_known_region(std::string_view region);

// True when `domain` is a syntactically valid DNS name in lower-case A-label form (used for
// providers, issuers): labels of 1-63 letters, digits and inner hyphens, at most 253 bytes, at
// least one dot, a top-level label that is not all digits.
bool is_domain_name(std::string_view domain);

// Lower-cases `domain` and converts it to an A-label (IDNA2008 with UTS #46 non-transitional
// mapping), e.g. "Bücher.Example" -> "xn--bcher-kva.example".
// On failure: Code::invalid_request with a sentence on what is wrong (never the domain itself).
Result<std::string> canonical_domain_name(std::string_view domain);

}  // namespace resolver
