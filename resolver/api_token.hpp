// API tokens (DESIGN.md §8): minting, hashing for storage, and authenticating a presented secret.
// Free functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "resolver/store.hpp"

namespace resolver {

struct NewToken {
  TokenInfo info;
  std::string secret;  // shown once to the operator, never stored: "mimi_<id>_<random>"
};

// Mints a token with a fresh id and 256-bit secret and stores its hash. internal/unavailable from
// the store or the CSPRNG.
Result<NewToken> create_token(Store& store, Role role, const std::string& name, UnixTime now);

// SHA-256 of the secret, raw 32 bytes: what the store keeps.
std::string hash_token_secret(std::string_view secret);

// The live token for a presented secret. unauthorized when it is unknown or revoked (the message
// does not say which). The comparison of hashes is constant-time (CRYPTO_memcmp).
Result<TokenInfo> authenticate_token(Store& store, std::string_view secret);
// As authenticate_token, for a secret already hashed with hash_token_secret.
Result<TokenInfo> authenticate_token_hash(Store& store, const std::string& secret_hash);

}  // namespace resolver
