// Reading a JWKS for mimi-lookup: only Ed25519 keys with a kid, through the same JWK parser the
// server uses for pinned keys (resolver/ed25519.hpp).
#include "cli/issuer_keys.hpp"

#include "resolver/ed25519.hpp"

namespace cli {

resolver::Result<std::map<std::string, std::string>> read_jwks(const nlohmann::json& jwks,
                                                              const std::string& what) {
  using resolver::Code;
  const auto keys = jwks.is_object() ? jwks.find("keys") : jwks.end();
  if (!jwks.is_object() || keys == jwks.end() || !keys->is_array()) {
    return resolver::Status(Code::invalid_request, what + " is not a JWKS (an object with a keys array).");
  }
  std::map<std::string, std::string> out;
  for (const auto& jwk : *keys) {
    const auto kid = jwk.is_object() ? jwk.find("kid") : jwk.end();
    if (!jwk.is_object() || kid == jwk.end() || !kid->is_string()) {
      return resolver::Status(Code::invalid_request, what + " holds a key without a kid.");
    }
    auto raw = resolver::parse_public_key(jwk.dump());
    if (!raw) return resolver::Status(Code::invalid_request, what + " holds a key that is not Ed25519: " + raw.status().message());
    out[kid->get<std::string>()] = std::move(*raw);
  }
  return out;
}

}  // namespace cli
