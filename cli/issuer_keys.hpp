// IssuerKeys and KeyDirectory: the keys mimi-lookup trusts for each assertion issuer, and where
// each came from (DESIGN.md §12): the server's JWKS for its own assertions, the key the server
// pinned for a peer (its metadata's "peers"), or a peer's own JWKS (--issuer-url). Plain values;
// not thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "resolver/status.hpp"

namespace cli {

struct IssuerKeys {
  std::string issuer;                      // the DP's domain, as assertions name it in iss
  std::map<std::string, std::string> keys;  // kid -> raw 32-byte Ed25519 public key
  // A key the server pinned for a peer has no kid of the peer's: it proves any kid, as the
  // federation treats it (resolver/peer_answer.cpp). REQUIRES: exactly one key when set.
  bool any_kid = false;
  std::string origin;  // where the keys came from, for people: "the JWKS at https://…"
};

// The Ed25519 keys of a JWKS ({"keys": [...]}), by kid. invalid_request when it is not a JWKS or
// holds a key that is not an OKP/Ed25519 JWK with a kid; `what` names it in the sentence.
resolver::Result<std::map<std::string, std::string>> read_jwks(const nlohmann::json& jwks,
                                                              const std::string& what);

class KeyDirectory {
 public:
  // Adds or replaces the keys of `keys.issuer`.
  void add(IssuerKeys keys) { by_issuer_[keys.issuer] = std::move(keys); }
  // The keys of `issuer`; null when none are known.
  const IssuerKeys* find(const std::string& issuer) const {
    auto it = by_issuer_.find(issuer);
    return it == by_issuer_.end() ? nullptr : &it->second;
  }

 private:
  std::map<std::string, IssuerKeys> by_issuer_;
};

}  // namespace cli
