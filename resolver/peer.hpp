// Peer: a discovery provider this one federates with, as the index records it (DESIGN.md §5).
// Plain value type.
#pragma once

#include <string>

#include "resolver/mapping.hpp"

namespace resolver {

struct Peer {
  std::string domain;      // the peer DP's issuer domain
  std::string url;         // base URL, e.g. "https://dp2.example"
  std::string public_key;  // pinned Ed25519 public key, base64url of the raw 32 bytes
  std::string token;       // bearer token this DP presents to the peer; empty for none
  bool enabled = true;
  UnixTime created_at = 0;
};

}  // namespace resolver
