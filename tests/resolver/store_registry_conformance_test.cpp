// The Store contract for everything but mappings (resolver/store.hpp): issuer, peers, tokens,
// signing keys, secrets, stats and check, run on every store in MIMI_STORES.
#include <doctest/doctest.h>

#include "resolver/store.hpp"
#include "tests/resolver/store_conformance.hpp"

using namespace resolver;

TEST_CASE_TEMPLATE("store: the issuer is set once", F, MIMI_STORES) {
  F factory;
  const auto store = factory.make();
  CHECK(store->check().ok());
  CHECK(store->issuer().status().code() == Code::failed_precondition);
  CHECK(store->set_issuer("dp.example").ok());
  CHECK(*store->issuer() == "dp.example");
  CHECK(store->set_issuer("other.example").code() == Code::already_exists);
  CHECK(*store->issuer() == "dp.example");
}

TEST_CASE_TEMPLATE("store: peers are kept whole by domain", F, MIMI_STORES) {
  F factory;
  const auto store = factory.make();
  const Peer second{"dp2.example", "https://dp2.example", "key2", "", true, 2};
  const Peer first{"dp1.example", "https://dp1.example:8443", "key1", "secret-token", false, 1};
  CHECK(store->add_peer(second).ok());
  CHECK(store->add_peer(first).ok());
  CHECK(store->add_peer(Peer{"dp2.example", "https://x", "k", "", true, 3}).code() ==
        Code::already_exists);
  auto peers = store->list_peers();
  REQUIRE(peers.ok());
  REQUIRE(peers->size() == 2);
  const Peer& p = (*peers)[0];
  CHECK(p.domain == "dp1.example");
  CHECK(p.url == first.url);
  CHECK(p.public_key == first.public_key);
  CHECK(p.token == first.token);
  CHECK_FALSE(p.enabled);
  CHECK(p.created_at == 1);
  CHECK((*peers)[1].url == second.url);  // the refused add changed nothing
  CHECK(store->stats()->peers == 2);
  CHECK(store->remove_peer("dp2.example").ok());
  CHECK(store->remove_peer("dp2.example").code() == Code::not_found);
  CHECK(store->list_peers()->size() == 1);
}

TEST_CASE_TEMPLATE("store: a peer is changed in place, keeping its created_at", F, MIMI_STORES) {
  F factory;
  const auto store = factory.make();
  CHECK(store->add_peer(Peer{"dp2.example", "https://dp2.example", "key1", "tok1", true, 7}).ok());
  CHECK(store->add_peer(Peer{"dp3.example", "https://dp3.example", "key3", "", true, 8}).ok());
  CHECK(store->update_peer(Peer{"dp2.example", "https://dp2.example:8443", "key2", "", false, 99}).ok());
  auto peers = store->list_peers();
  REQUIRE(peers.ok());
  REQUIRE(peers->size() == 2);
  const Peer& p = (*peers)[0];
  CHECK(p.domain == "dp2.example");
  CHECK(p.url == "https://dp2.example:8443");
  CHECK(p.public_key == "key2");
  CHECK(p.token.empty());
  CHECK_FALSE(p.enabled);
  CHECK(p.created_at == 7);
  CHECK((*peers)[1].public_key == "key3");  // the other peer is untouched
  CHECK(store->update_peer(Peer{"dp4.example", "https://dp4.example", "k", "", true, 1}).code() ==
        Code::not_found);
  CHECK(store->list_peers()->size() == 2);
}

TEST_CASE_TEMPLATE("store: a token is found by its hash until revoked and listed after", F,
                   MIMI_STORES) {
  F factory;
  const auto store = factory.make();
  const std::string hash(32, '\0');  // SHA-256 bytes; NUL bytes must survive
  std::string other_hash = hash;
  other_hash[31] = '\1';
  CHECK(store->add_token(TokenInfo{"tok_c", "ops", Role::admin, 20, {}}, hash).ok());
  CHECK(store->add_token(TokenInfo{"tok_b", "app", Role::client, 10, {}}, other_hash).ok());
  CHECK(store->add_token(TokenInfo{"tok_a", "dp2", Role::peer, 10, {}}, std::string(32, 'a')).ok());
  CHECK(store->add_token(TokenInfo{"tok_c", "x", Role::client, 30, {}}, std::string(32, 'x'))
            .code() == Code::already_exists);
  CHECK(store->add_token(TokenInfo{"tok_d", "x", Role::client, 30, {}}, hash).code() ==
        Code::already_exists);

  auto found = store->find_token(hash);
  REQUIRE(found.ok());
  CHECK(found->id == "tok_c");
  CHECK(found->name == "ops");
  CHECK(found->role == Role::admin);
  CHECK(found->created_at == 20);
  CHECK_FALSE(found->revoked_at.has_value());
  CHECK(store->find_token(other_hash)->id == "tok_b");
  CHECK(store->find_token(std::string(32, 'z')).status().code() == Code::not_found);
  CHECK(store->find_token(hash.substr(0, 31)).status().code() == Code::not_found);

  CHECK(store->revoke_token("tok_c", 40).ok());
  CHECK(store->revoke_token("tok_c", 50).ok());  // the first time stands
  CHECK(store->revoke_token("tok_nope", 40).code() == Code::not_found);
  CHECK(store->find_token(hash).status().code() == Code::not_found);
  auto tokens = store->list_tokens();
  REQUIRE(tokens.ok());
  REQUIRE(tokens->size() == 3);
  CHECK((*tokens)[0].id == "tok_a");  // by created_at, then id
  CHECK((*tokens)[1].id == "tok_b");
  CHECK((*tokens)[2].id == "tok_c");
  CHECK((*tokens)[2].revoked_at == 40);
  CHECK((*tokens)[0].role == Role::peer);
  CHECK(store->stats()->tokens == 2);
}

TEST_CASE_TEMPLATE("store: signing keys are listed oldest first with one active", F, MIMI_STORES) {
  F factory;
  const auto store = factory.make();
  CHECK(store->signing_keys()->empty());
  const std::string seed(32, '\0');  // raw bytes; NUL bytes must survive
  CHECK(
      store->add_signing_key({"k2", std::string(32, '\2'), std::string(32, '\3'), 20, true}).ok());
  CHECK(store->add_signing_key({"k1", seed, std::string(32, '\1'), 10, true}).ok());
  CHECK(
      store->add_signing_key({"k3", std::string(32, '\4'), std::string(32, '\5'), 20, false}).ok());
  CHECK(store->add_signing_key({"k1", seed, seed, 30, true}).code() == Code::already_exists);
  auto keys = store->signing_keys();
  REQUIRE(keys.ok());
  REQUIRE(keys->size() == 3);
  CHECK((*keys)[0].kid == "k1");
  CHECK((*keys)[1].kid == "k2");  // same created_at as k3: the order they were added
  CHECK((*keys)[2].kid == "k3");
  CHECK((*keys)[0].active);  // the refused add changed nothing
  CHECK_FALSE((*keys)[1].active);
  CHECK_FALSE((*keys)[2].active);
  CHECK((*keys)[0].private_key == seed);
  CHECK((*keys)[0].public_key == std::string(32, '\1'));
  CHECK((*keys)[0].created_at == 10);
}

TEST_CASE_TEMPLATE("store: an inactive signing key can be removed, the active one cannot", F,
                   MIMI_STORES) {
  F factory;
  const auto store = factory.make();
  CHECK(store->add_signing_key({"k1", std::string(32, '\1'), std::string(32, '\2'), 10, true}).ok());
  CHECK(store->add_signing_key({"k2", std::string(32, '\3'), std::string(32, '\4'), 20, true}).ok());
  CHECK(store->remove_signing_key("k2").code() == Code::failed_precondition);
  CHECK(store->remove_signing_key("k9").code() == Code::not_found);
  CHECK(store->signing_keys()->size() == 2);
  CHECK(store->remove_signing_key("k1").ok());
  auto keys = store->signing_keys();
  REQUIRE(keys.ok());
  REQUIRE(keys->size() == 1);
  CHECK((*keys)[0].kid == "k2");
  CHECK((*keys)[0].active);
  CHECK(store->remove_signing_key("k1").code() == Code::not_found);
  // After a rotation the key that was active can be retired in turn.
  CHECK(store->add_signing_key({"k3", std::string(32, '\5'), std::string(32, '\6'), 30, true}).ok());
  CHECK(store->remove_signing_key("k2").ok());
}

TEST_CASE_TEMPLATE("store: a secret is 32 bytes made once per name", F, MIMI_STORES) {
  F factory;
  const auto store = factory.make();
  auto first = store->secret("rate_limiter");
  REQUIRE(first.ok());
  CHECK(first->size() == 32);
  CHECK(*store->secret("rate_limiter") == *first);
  auto other = store->secret("other");
  REQUIRE(other.ok());
  CHECK(other->size() == 32);
  CHECK(*other != *first);
}

TEST_CASE_TEMPLATE("store: stats count what the index holds", F, MIMI_STORES) {
  F factory;
  const auto store = factory.make();
  const Stats empty = *store->stats();
  CHECK(empty.identifiers + empty.mappings + empty.optouts + empty.peers + empty.tokens == 0);
  REQUIRE(store
              ->upsert_mappings({test::mapping("tel:+1", "a.example", "u1", 1),
                                 test::mapping("tel:+1", "b.example", "u1"),
                                 test::mapping("tel:+2", "a.example", "u2")})
              .ok());
  REQUIRE(store->add_optout("tel:+3", 1).ok());
  REQUIRE(store->add_peer(Peer{"dp2.example", "https://dp2.example", "k", "", true, 1}).ok());
  REQUIRE(store->add_token(TokenInfo{"tok_1", "", Role::client, 1, {}}, std::string(32, '1')).ok());
  REQUIRE(store->add_token(TokenInfo{"tok_2", "", Role::client, 1, {}}, std::string(32, '2')).ok());
  REQUIRE(store->revoke_token("tok_2", 2).ok());
  const Stats s = *store->stats();
  CHECK(s.identifiers == 2);
  CHECK(s.mappings == 3);  // an expired mapping is still held
  CHECK(s.optouts == 1);
  CHECK(s.peers == 1);
  CHECK(s.tokens == 1);
}
