// Ed25519 keys (RFC 8032) through OpenSSL 3, and their JWK form (RFC 8037, thumbprints RFC 7638).
// An Ed25519PrivateKey is immutable after construction and safe to use from many threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "resolver/status.hpp"

namespace resolver {

inline constexpr std::size_t kEd25519KeyBytes = 32;
inline constexpr std::size_t kEd25519SignatureBytes = 64;

class Ed25519PrivateKey {
 public:
  // A fresh key from the OS's CSPRNG; internal when OpenSSL fails.
  static Result<Ed25519PrivateKey> generate();
  // From a raw 32-byte seed; invalid_request when the size is wrong.
  static Result<Ed25519PrivateKey> from_seed(std::string_view seed);

  const std::string& seed() const { return seed_; }          // raw 32 bytes: a secret
  const std::string& public_key() const { return public_; }  // raw 32 bytes
  // The 64-byte signature of `data`; internal when OpenSSL fails.
  Result<std::string> sign(std::string_view data) const;

 private:
  Ed25519PrivateKey(std::shared_ptr<void> pkey, std::string seed, std::string pub);
  std::shared_ptr<void> pkey_;  // EVP_PKEY*, freed by the deleter
  std::string seed_;
  std::string public_;
};

// True when `signature` is a valid Ed25519 signature of `data` under raw `public_key`.
bool ed25519_verify(std::string_view public_key, std::string_view data, std::string_view signature);

// RFC 7638 thumbprint of the OKP/Ed25519 JWK of raw `public_key`, base64url.
std::string jwk_thumbprint(std::string_view public_key);
// {"kty":"OKP","crv":"Ed25519","x":...,"kid":...,"alg":"EdDSA","use":"sig"}
nlohmann::json public_jwk(std::string_view public_key, const std::string& kid);
// Accepts base64url (or base64) of the raw 32 bytes, or an OKP/Ed25519 JWK as JSON text;
// returns the raw 32 bytes, or invalid_request saying what is wrong.
Result<std::string> parse_public_key(std::string_view text);

}  // namespace resolver
