// Internal helpers shared by identifier parsing: domain names in canonical A-label form.
// The public entry points are is_domain_name and canonical_domain_name in resolver/identifier.hpp.
// Free functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace resolver {

// nullptr when `domain` is a valid lower-case A-label DNS name (see is_domain_name); otherwise a
// sentence (a string literal) saying what is wrong, without the domain itself.
const char* check_domain_name(std::string_view domain);

// Appends the canonical A-label form of `domain` (lower-cased, IDNA2008 + UTS #46) to `out`.
// Returns nullptr on success, else a sentence as above; `out` then holds partial output.
// REQUIRES: domain is valid UTF-8 without control characters.
const char* append_domain_name(std::string_view domain, std::string& out);

}  // namespace resolver
