// check_mapping: whether one mapping of a lookup answer (DESIGN.md §4.1) is proved by its
// assertion, verified with the keys of its iss (§4.4, §12) by the same code the federation uses
// for peers' answers (resolver/assertion.hpp). Free functions; thread-safe.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "cli/issuer_keys.hpp"
#include "resolver/mapping.hpp"

namespace cli {

struct MappingCheck {
  bool ok = false;
  std::string issuer;  // the iss the assertion names, "" when it cannot be read
  std::string kid;     // the kid of its header, "" when it cannot be read
  std::string origin;  // ok: where the key that verified it came from (IssuerKeys::origin)
  resolver::UnixTime exp = 0;  // ok: when the assertion expires
  std::string reason;  // not ok: one sentence on what is wrong
};

// Verifies `mapping` of the answer about `canonical`: the signature under a key of the iss it
// names, iss matching the mapping's source (`server_issuer` for "local", else the source domain),
// sub == canonical, exp after `now`, and provider, user, tags and keys equal to what is signed.
MappingCheck check_mapping(const nlohmann::json& mapping, const std::string& canonical,
                           const std::string& server_issuer, const KeyDirectory& keys,
                           resolver::UnixTime now);

// The iss of a JWS's payload, read WITHOUT verifying it (to choose the keys to verify it with);
// "" when it cannot be read.
std::string unverified_issuer(const std::string& jws);

}  // namespace cli
