// SigningKey: one of this DP's Ed25519 signing keys as the index keeps it (DESIGN.md §4.3);
// resolver/keyring.hpp turns them into the key that signs and the published JWKS. Plain value type.
#pragma once

#include <string>

#include "resolver/mapping.hpp"

namespace resolver {

struct SigningKey {
  std::string kid;          // RFC 7638 thumbprint, base64url
  std::string private_key;  // raw 32-byte Ed25519 seed
  std::string public_key;   // raw 32 bytes
  UnixTime created_at = 0;
  bool active = false;      // the one key new assertions are signed with
};

}  // namespace resolver
