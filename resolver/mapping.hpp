// The data a discovery provider stores and answers with (DESIGN.md §1, §4.1, §6.2).
// Plain value types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace resolver {

// Seconds since the Unix epoch, UTC.
using UnixTime = std::int64_t;

// Public key material of the user at their provider, opaque to the DP.
struct UserKey {
  std::string kind;  // e.g. "ed25519"
  std::string id;    // e.g. "k1"
  std::string key;   // base64url
  bool operator==(const UserKey&) const = default;
};

// One identifier reachable at one provider under one user URI.
struct Mapping {
  std::string identifier;  // canonical (resolver/identifier.hpp)
  std::string provider;    // MSP domain, lower-case A-label
  std::string user;        // user URI at the provider
  std::vector<std::string> tags;
  std::vector<UserKey> keys;
  UnixTime updated_at = 0;
  std::optional<UnixTime> expires_at;  // nullopt: no expiry
  std::int64_t revision = 0;           // changes on every write (set by the store)
};

// The local answer for one canonical identifier.
struct LocalAnswer {
  bool opted_out = false;
  std::vector<Mapping> mappings;  // empty when opted_out; never holds expired mappings
};

// "2026-11-28T05:00:00Z"
std::string format_rfc3339(UnixTime t);
// Parses "YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)"; nullopt when malformed or, in UTC, outside
// 0000-01-01T00:00:00Z..9999-12-31T23:59:59Z (what format_rfc3339 can write back).
std::optional<UnixTime> parse_rfc3339(const std::string& text);

}  // namespace resolver
