// Keyring: loads this DP's signing keys from any Store and builds the JWKS it publishes (DESIGN.md
// §4.3), and creates new keys (init, key rotate). Only the abstract Store interface is used.
#include "resolver/keyring.hpp"

namespace resolver {
namespace {

Status corrupt_key(const std::string& kid, const char* what) {
  // The kid is a public thumbprint, safe to name.
  return Status(Code::internal, "The signing key " + kid + " in the index " + what + ".");
}

}  // namespace

std::optional<std::string> KeyringSnapshot::public_key(const std::string& kid) const {
  for (const auto& [k, pub] : published) {
    if (k == kid) return pub;
  }
  return std::nullopt;
}

Status Keyring::reload(Store& store) {
  auto issuer = store.issuer();
  if (!issuer) return issuer.status();
  auto keys = store.signing_keys();
  if (!keys) return keys.status();

  auto snap = std::make_shared<KeyringSnapshot>();
  snap->issuer = std::move(*issuer);
  const SigningKey* active = nullptr;
  for (const auto& key : *keys) {
    if (key.public_key.size() != kEd25519KeyBytes) return corrupt_key(key.kid, "has a malformed public key");
    if (key.active) active = &key;
  }
  if (active == nullptr) {
    return Status(Code::failed_precondition, "The index has no active signing key; initialise it or rotate the key.");
  }
  auto private_key = Ed25519PrivateKey::from_seed(active->private_key);
  if (!private_key) return corrupt_key(active->kid, "has a malformed private key");
  if (private_key->public_key() != active->public_key) {
    return corrupt_key(active->kid, "has a public key that does not match its private key");
  }
  snap->active_kid = active->kid;
  snap->active = std::move(*private_key);

  // Published order: the active key first, then the others oldest first (the store's order).
  // A client that takes keys[0] gets the current key; older ones stay verifiable until removed.
  snap->published.emplace_back(active->kid, active->public_key);
  for (const auto& key : *keys) {
    if (&key != active) snap->published.emplace_back(key.kid, key.public_key);
  }
  nlohmann::json jwks_keys = nlohmann::json::array();
  for (const auto& [kid, pub] : snap->published) jwks_keys.push_back(public_jwk(pub, kid));
  snap->jwks = {{"keys", std::move(jwks_keys)}};

  std::lock_guard<std::mutex> lock(mu_);
  snapshot_ = std::move(snap);
  return Status::Ok();
}

std::shared_ptr<const KeyringSnapshot> Keyring::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return snapshot_;
}

Result<std::string> create_signing_key(Store& store, UnixTime now) {
  auto key = Ed25519PrivateKey::generate();
  if (!key) return key.status();
  SigningKey record;
  record.kid = jwk_thumbprint(key->public_key());
  if (record.kid.empty()) return Status(Code::internal, "OpenSSL could not compute a key thumbprint.");
  record.private_key = key->seed();
  record.public_key = key->public_key();
  record.created_at = now;
  record.active = true;
  if (Status s = store.add_signing_key(record); !s.ok()) return s;
  return record.kid;
}

}  // namespace resolver
