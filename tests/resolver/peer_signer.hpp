// Test helper: a peer DP's key and the §4.1 answers it would send, honest or forged on request.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "resolver/assertion.hpp"
#include "resolver/base64url.hpp"
#include "resolver/ed25519.hpp"

namespace test {

struct PeerSigner {
  std::string domain;
  resolver::Ed25519PrivateKey key = resolver::Ed25519PrivateKey::generate().value();

  std::string public_key_b64() const { return resolver::base64url_encode(key.public_key()); }

  // The §4.1 mapping object for (provider, user), its assertion signed with `claims` as given.
  nlohmann::json mapping(const resolver::AssertionClaims& claims) const {
    auto jws = resolver::sign_assertion(key, resolver::jwk_thumbprint(key.public_key()), claims).value();
    return {{"provider", claims.provider}, {"user", claims.user}, {"tags", claims.tags},
            {"keys", nlohmann::json::array()}, {"updated_at", "2026-01-01T00:00:00Z"},
            {"expires_at", nullptr}, {"source", "local"}, {"assertion", jws}};
  }
  resolver::AssertionClaims claims(const std::string& id, const std::string& provider,
                                   const std::string& user, resolver::UnixTime now,
                                   std::int64_t ttl_s = 86400) const {
    return {domain, id, provider, user, {}, {}, now, now + ttl_s};
  }
  // found with the given mapping objects, or not_found when there are none.
  static nlohmann::json answer(const std::string& id, std::vector<nlohmann::json> mappings,
                               const std::string& status = "") {
    const std::string s = !status.empty() ? status : mappings.empty() ? "not_found" : "found";
    return {{"identifier", id}, {"type", "phone"}, {"status", s}, {"mappings", mappings},
            {"complete", true}, {"peers", nlohmann::json::array()}};
  }
};

}  // namespace test
