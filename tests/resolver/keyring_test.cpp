// Tests for resolver/keyring.hpp, over a small fake Store whose issuer and key methods are real.
#include "resolver/keyring.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "resolver/assertion.hpp"

using namespace resolver;

namespace {

// Only issuer() and the signing-key methods mean anything; a test that reaches the others fails.
class KeyStore final : public Store {
 public:
  std::optional<std::string> issuer_;
  std::vector<SigningKey> keys_;  // oldest first, as the interface promises
  Status fail_keys_ = Status::Ok();

  Result<std::string> issuer() override {
    if (!issuer_) return Status(Code::failed_precondition, "The index has no issuer.");
    return *issuer_;
  }
  Status set_issuer(const std::string& domain) override {
    if (issuer_) return Status(Code::already_exists, "The index already has an issuer.");
    issuer_ = domain;
    return Status::Ok();
  }
  Status add_signing_key(const SigningKey& key) override {
    if (key.active) {
      for (auto& k : keys_) k.active = false;
    }
    keys_.push_back(key);
    return Status::Ok();
  }
  Result<std::vector<SigningKey>> signing_keys() override {
    if (!fail_keys_.ok()) return fail_keys_;
    return keys_;
  }

  Result<std::vector<LocalAnswer>> lookup(std::span<const std::string>, UnixTime) override { return unused(); }
  Result<std::unique_ptr<ImportSession>> begin_import() override { return unused(); }
  Result<int> upsert_mappings(const std::vector<Mapping>&) override { return unused(); }
  Result<int> remove_mappings(const std::string&, const std::optional<std::string>&) override { return unused(); }
  Result<int> add_optout(const std::string&, UnixTime) override { return unused(); }
  Result<bool> remove_optout(const std::string&) override { return unused(); }
  Status export_all(const std::function<Status(const ExportRecord&)>&) override { return unused(); }
  Status add_peer(const Peer&) override { return unused(); }
  Result<std::vector<Peer>> list_peers() override { return unused(); }
  Status remove_peer(const std::string&) override { return unused(); }
  Status add_token(const TokenInfo&, const std::string&) override { return unused(); }
  Result<std::vector<TokenInfo>> list_tokens() override { return unused(); }
  Status revoke_token(const std::string&, UnixTime) override { return unused(); }
  Result<TokenInfo> find_token(const std::string&) override { return unused(); }
  Result<Stats> stats() override { return unused(); }
  Result<std::string> secret(const std::string&) override { return unused(); }
  Status check() override { return unused(); }

 private:
  static Status unused() { return Status(Code::internal, "unused"); }
};

}  // namespace

TEST_CASE("keyring: no snapshot before a successful reload") {
  Keyring ring;
  CHECK(ring.snapshot() == nullptr);
  KeyStore store;
  CHECK(ring.reload(store).code() == Code::failed_precondition);  // no issuer
  store.issuer_ = "dp.example";
  CHECK(ring.reload(store).code() == Code::failed_precondition);  // no key
  CHECK(ring.snapshot() == nullptr);
}

TEST_CASE("keyring: create_signing_key stores an active key named by its thumbprint") {
  KeyStore store;
  auto kid = create_signing_key(store, 1'800'000'000);
  REQUIRE(kid.ok());
  REQUIRE(store.keys_.size() == 1);
  const auto& key = store.keys_[0];
  CHECK(key.kid == *kid);
  CHECK(key.kid == jwk_thumbprint(key.public_key));
  CHECK(key.active);
  CHECK(key.created_at == 1'800'000'000);
  CHECK(Ed25519PrivateKey::from_seed(key.private_key)->public_key() == key.public_key);
}

TEST_CASE("keyring: reload publishes the active key first, then the others oldest first") {
  KeyStore store;
  store.issuer_ = "dp.example";
  const auto first = *create_signing_key(store, 100);
  const auto second = *create_signing_key(store, 200);
  const auto third = *create_signing_key(store, 300);
  store.keys_[2].active = false;  // as if rotated back to the second key
  store.keys_[1].active = true;

  Keyring ring;
  REQUIRE(ring.reload(store).ok());
  const auto snap = ring.snapshot();
  REQUIRE(snap != nullptr);
  CHECK(snap->issuer == "dp.example");
  CHECK(snap->active_kid == second);
  REQUIRE(snap->active.has_value());
  CHECK(snap->active->public_key() == store.keys_[1].public_key);
  const auto& keys = snap->jwks.at("keys");
  REQUIRE(keys.size() == 3);
  CHECK(keys[0] == public_jwk(store.keys_[1].public_key, second));
  CHECK(keys[1].at("kid") == first);
  CHECK(keys[2].at("kid") == third);
  CHECK(snap->public_key(third) == store.keys_[2].public_key);
  CHECK_FALSE(snap->public_key("nope").has_value());
}

TEST_CASE("keyring: a rotation shows after reload and old snapshots stay valid") {
  KeyStore store;
  store.issuer_ = "dp.example";
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
  KeyStore store;
  store.issuer_ = "dp.example";
  REQUIRE(create_signing_key(store, 100).ok());
  Keyring ring;
  REQUIRE(ring.reload(store).ok());
  const auto good = ring.snapshot();

  store.fail_keys_ = Status(Code::unavailable, "The index cannot be read.");
  CHECK(ring.reload(store).code() == Code::unavailable);
  store.fail_keys_ = Status::Ok();

  store.keys_[0].private_key = "short";
  CHECK(ring.reload(store).code() == Code::internal);
  store.keys_[0].private_key = std::string(32, 'x');  // a valid seed for some other key
  CHECK(ring.reload(store).code() == Code::internal);
  CHECK(ring.snapshot() == good);
}
