// Keyring: this DP's signing keys as loaded from the store: the active key signs, all are published.
// Thread-safe: reload() swaps an immutable snapshot under a mutex; readers take a shared_ptr.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "resolver/ed25519.hpp"
#include "resolver/store.hpp"

namespace resolver {

struct KeyringSnapshot {
  std::string issuer;
  std::string active_kid;
  std::optional<Ed25519PrivateKey> active;          // signs new assertions
  std::vector<std::pair<std::string, std::string>> published;  // kid -> raw public key
  nlohmann::json jwks;                              // {"keys": [...]} as served and printed
  // The raw public key for `kid`, or nullopt.
  std::optional<std::string> public_key(const std::string& kid) const;
};

class Keyring {
 public:
  Keyring() = default;
  Keyring(const Keyring&) = delete;
  Keyring& operator=(const Keyring&) = delete;

  // Reads the issuer and the keys from `store`. failed_precondition when the index has no issuer
  // or no active key (not initialised); unavailable/internal from the store.
  Status reload(Store& store);
  // The current snapshot; null before a successful reload().
  std::shared_ptr<const KeyringSnapshot> snapshot() const;

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const KeyringSnapshot> snapshot_;  // guarded by mu_
};

// Creates a new Ed25519 key in `store` and makes it the active one (init, key rotate).
// Returns its kid.
Result<std::string> create_signing_key(Store& store, UnixTime now);

}  // namespace resolver
