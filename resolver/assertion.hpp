// Signed mapping assertions: JWS compact serialization, EdDSA (DESIGN.md §4.4, RFC 7515, RFC 8037).
// Free functions; thread-safe.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "resolver/ed25519.hpp"
#include "resolver/mapping.hpp"
#include "resolver/status.hpp"

namespace resolver {

inline constexpr std::string_view kAssertionType = "mimi-mapping+jwt";

struct AssertionClaims {
  std::string iss;       // the signing DP's domain
  std::string sub;       // canonical identifier
  std::string provider;
  std::string user;
  std::vector<std::string> tags;
  std::vector<UserKey> keys;
  UnixTime iat = 0;
  UnixTime exp = 0;
};

// The claims of `m` signed by `iss` at `now`: exp = now + ttl, capped by m.expires_at.
AssertionClaims claims_for(const Mapping& m, const std::string& iss, UnixTime now, std::int64_t ttl_s);

// header {"alg":"EdDSA","kid":kid,"typ":"mimi-mapping+jwt"} . payload . signature
Result<std::string> sign_assertion(const Ed25519PrivateKey& key, const std::string& kid,
                                   const AssertionClaims& claims);

// Returns the raw public key for a kid, or nullopt when the kid is unknown.
using KeyLookup = std::function<std::optional<std::string>(const std::string& kid)>;

// Checks the structure, the header (alg EdDSA, typ, kid known to `keys`) and the signature,
// then decodes the claims. Does not check iss/sub/exp: the caller knows what to expect.
// Failure: invalid_request with the reason (malformed, unknown kid, bad signature, ...).
Result<AssertionClaims> verify_assertion(std::string_view jws, const KeyLookup& keys);

}  // namespace resolver
