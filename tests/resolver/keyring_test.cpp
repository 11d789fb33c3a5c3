// Tests for resolver/keyring.hpp, over a MemoryStore.
#include "resolver/keyring.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "resolver/assertion.hpp"
#include "resolver/memory_store.hpp"

using namespace resolver;

namespace {

// A MemoryStore whose signing_keys() answers `fail_keys` while it is not OK.
class FailingKeysStore final : public MemoryStore {
 public:
  Status fail_keys = Status::Ok();
  Result<std::vector<SigningKey>> signing_keys() override {
    if (!fail_keys.ok()) return fail_keys;
    return MemoryStore::signing_keys();
  }
};

// Adds a fresh key made at `created_at`; returns it.
SigningKey add_key(Store& store, UnixTime created_at, bool active) {
  auto key = Ed25519PrivateKey::generate();
  REQUIRE(key.ok());
  SigningKey record{jwk_thumbprint(key->public_key()), key->seed(), key->public_key(), created_at,
                    active};
  REQUIRE(store.add_signing_key(record).ok());
  return record;
}

}  // namespace

TEST_CASE("keyring: no snapshot before a successful reload") {
  Keyring ring;
  CHECK(ring.snapshot() == nullptr);
  MemoryStore store;
  CHECK(ring.reload(store).code() == Code::failed_precondition);  // no issuer
  REQUIRE(store.set_issuer("dp.example").ok());
  CHECK(ring.reload(store).code() == Code::failed_precondition);  // no key
  CHECK(ring.snapshot() == nullptr);
}

TEST_CASE("keyring: create_signing_key stores an active key named by its thumbprint") {
  MemoryStore store;
  auto kid = create_signing_key(store, 1'800'000'000);
  REQUIRE(kid.ok());
  const auto keys = *store.signing_keys();
  REQUIRE(keys.size() == 1);
  const auto& key = keys[0];
  CHECK(key.kid == *kid);
  CHECK(key.kid == jwk_thumbprint(key.public_key));
  CHECK(key.active);
  CHECK(key.created_at == 1'800'000'000);
  CHECK(Ed25519PrivateKey::from_seed(key.private_key)->public_key() == key.public_key);
}

TEST_CASE("keyring: reload publishes the active key first, then the others oldest first") {
  MemoryStore store;
  REQUIRE(store.set_issuer("dp.example").ok());
  const auto first = add_key(store, 100, true);
  const auto second = add_key(store, 200, true);
  const auto third = add_key(store, 300, false);  // as if rotated back to the second key

  Keyring ring;
  REQUIRE(ring.reload(store).ok());
  const auto snap = ring.snapshot();
  REQUIRE(snap != nullptr);
  CHECK(snap->issuer == "dp.example");
  CHECK(snap->active_kid == second.kid);
  REQUIRE(snap->active.has_value());
  CHECK(snap->active->public_key() == second.public_key);
  const auto& keys = snap->jwks.at("keys");
  REQUIRE(keys.size() == 3);
  CHECK(keys[0] == public_jwk(second.public_key, second.kid));
  CHECK(keys[1].at("kid") == first.kid);
  CHECK(keys[2].at("kid") == third.kid);
  CHECK(snap->public_key(third.kid) == third.public_key);
  CHECK_FALSE(snap->public_key("nope").has_value());
}

TEST_CASE("keyring: a rotation shows after reload and old snapshots stay valid") {
  MemoryStore store;
  REQUIRE(store.set_issuer("dp.example").ok());
  const auto old_kid = *create_signing_key(store, 100);
  Keyring ring;
  REQUIRE(ring.reload(store).ok());
  const auto before = ring.snapshot();
  const auto new_kid = *create_signing_key(store, 200);
  REQUIRE(ring.reload(store).ok());
  CHECK(before->active_kid == old_kid);
  CHECK(ring.snapshot()->active_kid == new_kid);
  CHECK(ring.snapshot()->jwks.at("keys").size() == 2);

  // What the old key signed still verifies against the new snapshot.
  Mapping m;
  m.identifier = "acct:alice@chat.example";
  const auto claims = claims_for(m, "dp.example", 1000, 60);
  const auto jws = *sign_assertion(*before->active, before->active_kid, claims);
  const auto snap = ring.snapshot();
  auto verified = verify_assertion(jws, [&](const std::string& kid) { return snap->public_key(kid); });
  CHECK(verified.ok());
}

TEST_CASE("keyring: store failures and corrupt keys keep the old snapshot") {
  FailingKeysStore store;
  REQUIRE(store.set_issuer("dp.example").ok());
  const SigningKey valid = add_key(store, 100, true);
  Keyring ring;
  REQUIRE(ring.reload(store).ok());
  const auto good = ring.snapshot();

  store.fail_keys = Status(Code::unavailable, "The index cannot be read.");
  CHECK(ring.reload(store).code() == Code::unavailable);
  store.fail_keys = Status::Ok();

  // Each corrupt key below becomes the active one.
  REQUIRE(store.add_signing_key({"short", "short", valid.public_key, 200, true}).ok());
  CHECK(ring.reload(store).code() == Code::internal);
  // A valid seed, but for some other key than the public key beside it.
  REQUIRE(store.add_signing_key({"other", std::string(32, 'x'), valid.public_key, 300, true}).ok());
  CHECK(ring.reload(store).code() == Code::internal);
  REQUIRE(store.add_signing_key({"no-public", valid.private_key, "short", 400, true}).ok());
  CHECK(ring.reload(store).code() == Code::internal);
  CHECK(ring.snapshot() == good);
}
