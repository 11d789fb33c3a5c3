// Tests for resolver/memory_store.hpp: the in-memory Store fake behaves as store.hpp says.
#include "resolver/memory_store.hpp"

#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

namespace resolver {
namespace {

Mapping mapping(std::string identifier, std::string provider, std::string user,
                std::optional<UnixTime> expires_at = std::nullopt) {
  Mapping m;
  m.identifier = std::move(identifier);
  m.provider = std::move(provider);
  m.user = std::move(user);
  m.updated_at = 100;
  m.expires_at = expires_at;
  return m;
}

const std::string kAlice = "tel:+14155552671";
const std::string kBob = "mailto:bob@example.com";

TEST_CASE("issuer is set once") {
  MemoryStore store;
  CHECK(store.issuer().status().code() == Code::failed_precondition);
  CHECK(store.set_issuer("dp.example").ok());
  CHECK(store.set_issuer("other.example").code() == Code::already_exists);
  CHECK(*store.issuer() == "dp.example");
  CHECK(store.check().ok());
}

TEST_CASE("lookup answers in input order, skips expired mappings, orders by provider and user") {
  MemoryStore store;
  REQUIRE(*store.upsert_mappings(
              {mapping(kAlice, "z.example", "u1"), mapping(kAlice, "a.example", "u2"),
               mapping(kAlice, "a.example", "u1"), mapping(kAlice, "old.example", "u3", 1000),
               mapping(kBob, "chat.example", "b")}) == 5);
  const std::vector<std::string> ids = {kBob, "tel:+440000", kAlice};
  const auto answers = store.lookup(ids, 1000);
  REQUIRE(answers.ok());
  REQUIRE(answers->size() == 3);
  CHECK((*answers)[0].mappings.size() == 1);
  CHECK((*answers)[1].mappings.empty());
  CHECK_FALSE((*answers)[1].opted_out);
  const auto& alice = (*answers)[2].mappings;
  REQUIRE(alice.size() == 3);
  CHECK(alice[0].provider == "a.example");
  CHECK(alice[0].user == "u1");
  CHECK(alice[1].user == "u2");
  CHECK(alice[2].provider == "z.example");
  CHECK(alice[0].updated_at == 100);
  // Not yet expired one second earlier.
  CHECK((*store.lookup(ids, 999))[2].mappings.size() == 4);
}

TEST_CASE("every write transaction gets a new revision") {
  MemoryStore store;
  REQUIRE(store.upsert_mappings({mapping(kAlice, "a.example", "u1")}).ok());
  const std::int64_t first = (*store.lookup({&kAlice, 1}, 0))[0].mappings[0].revision;
  REQUIRE(store.upsert_mappings({mapping(kAlice, "a.example", "u1")}).ok());
  const std::int64_t second = (*store.lookup({&kAlice, 1}, 0))[0].mappings[0].revision;
  CHECK(second > first);
}

TEST_CASE("remove_mappings, opt-out and opt-in") {
  MemoryStore store;
  REQUIRE(
      store
          .upsert_mappings({mapping(kAlice, "a.example", "u1"), mapping(kAlice, "b.example", "u2"),
                            mapping(kAlice, "b.example", "u3")})
          .ok());
  CHECK(*store.remove_mappings(kAlice, std::string("b.example")) == 2);
  CHECK(*store.remove_mappings(kAlice, std::string("b.example")) == 0);
  CHECK(*store.add_optout(kAlice, 5) == 1);
  auto answer = (*store.lookup({&kAlice, 1}, 0))[0];
  CHECK(answer.opted_out);
  CHECK(answer.mappings.empty());
  CHECK(*store.remove_optout(kAlice));
  CHECK_FALSE(*store.remove_optout(kAlice));
  CHECK_FALSE((*store.lookup({&kAlice, 1}, 0))[0].opted_out);
  REQUIRE(store.upsert_mappings({mapping(kBob, "a.example", "b")}).ok());
  CHECK(*store.remove_mappings(kBob, std::nullopt) == 1);
}

TEST_CASE("an import session applies everything on commit, nothing without") {
  MemoryStore store;
  REQUIRE(store.upsert_mappings({mapping(kBob, "a.example", "b")}).ok());
  {
    auto session = store.begin_import();
    REQUIRE(session.ok());
    CHECK(*(*session)->put_mapping(mapping(kAlice, "a.example", "u1")) == Upsert::inserted);
  }
  CHECK((*store.lookup({&kAlice, 1}, 0))[0].mappings.empty());

  auto session = store.begin_import();
  REQUIRE(session.ok());
  ImportSession& import = **session;
  CHECK(*import.put_mapping(mapping(kAlice, "a.example", "u1")) == Upsert::inserted);
  CHECK(*import.put_mapping(mapping(kAlice, "a.example", "u1")) == Upsert::updated);
  CHECK(*import.put_mapping(mapping(kBob, "a.example", "b")) == Upsert::updated);
  CHECK(*import.put_mapping(mapping(kBob, "a.example", "b2")) == Upsert::inserted);
  CHECK(*import.put_optout(kBob, 7) == 2);
  CHECK((*store.lookup({&kAlice, 1}, 0))[0].mappings.empty());  // not visible before commit
  CHECK(import.commit().ok());
  CHECK(import.commit().code() == Code::failed_precondition);
  CHECK((*store.lookup({&kAlice, 1}, 0))[0].mappings.size() == 1);
  CHECK((*store.lookup({&kBob, 1}, 0))[0].opted_out);
  const Stats stats = *store.stats();
  CHECK(stats.identifiers == 1);
  CHECK(stats.mappings == 1);
  CHECK(stats.optouts == 1);
}

TEST_CASE("export_all yields mappings (expired too) and opt-outs, and stops on the sink's error") {
  MemoryStore store;
  REQUIRE(store
              .upsert_mappings(
                  {mapping(kAlice, "a.example", "u1", 1), mapping(kAlice, "b.example", "u1")})
              .ok());
  REQUIRE(store.add_optout(kBob, 3).ok());
  int mappings = 0;
  int optouts = 0;
  CHECK(store
            .export_all([&](const ExportRecord& r) {
              (r.optout ? optouts : mappings)++;
              return Status::Ok();
            })
            .ok());
  CHECK(mappings == 2);
  CHECK(optouts == 1);
  int calls = 0;
  const Status stopped = store.export_all([&](const ExportRecord&) {
    ++calls;
    return Status(Code::unavailable, "the output is closed");
  });
  CHECK(stopped.code() == Code::unavailable);
  CHECK(calls == 1);
}

TEST_CASE("peers, tokens and signing keys") {
  MemoryStore store;
  CHECK(store.add_peer(Peer{"dp2.example", "https://dp2.example", "k", "", true, 1}).ok());
  CHECK(store.add_peer(Peer{"dp2.example", "https://x", "k", "", true, 1}).code() ==
        Code::already_exists);
  CHECK(store.list_peers()->size() == 1);
  CHECK(store.remove_peer("dp2.example").ok());
  CHECK(store.remove_peer("dp2.example").code() == Code::not_found);

  CHECK(store.add_token(TokenInfo{"tok_1", "ci", Role::admin, 1, {}}, "hash1").ok());
  CHECK(store.add_token(TokenInfo{"tok_1", "x", Role::client, 1, {}}, "hash2").code() ==
        Code::already_exists);
  CHECK(store.find_token("hash1")->role == Role::admin);
  CHECK(store.find_token("nope").status().code() == Code::not_found);
  CHECK(store.revoke_token("tok_1", 9).ok());
  CHECK(store.revoke_token("tok_9", 9).code() == Code::not_found);
  CHECK(store.find_token("hash1").status().code() == Code::not_found);
  CHECK(store.list_tokens()->at(0).revoked_at == 9);
  CHECK(store.stats()->tokens == 0);

  CHECK(store.add_signing_key(SigningKey{"k2", "s", "p", 20, true}).ok());
  CHECK(store.add_signing_key(SigningKey{"k1", "s", "p", 10, true}).ok());
  CHECK(store.add_signing_key(SigningKey{"k1", "s", "p", 10, true}).code() == Code::already_exists);
  const auto keys = *store.signing_keys();
  REQUIRE(keys.size() == 2);
  CHECK(keys[0].kid == "k1");  // oldest first
  CHECK(keys[0].active);
  CHECK_FALSE(keys[1].active);
}

TEST_CASE("concurrent writers and readers") {
  MemoryStore store;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&store, t] {
      for (int i = 0; i < 200; ++i) {
        const std::string id = "tel:+1" + std::to_string(t * 1000 + i);
        (void)store.upsert_mappings({mapping(id, "a.example", "u")});
        (void)store.lookup({&id, 1}, 0);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(store.stats()->mappings == 800);
}

}  // namespace
}  // namespace resolver

TEST_CASE("secret: 32 random bytes made once, one per name") {
  resolver::MemoryStore store;
  auto a = store.secret("rate_limiter");
  REQUIRE(a.ok());
  CHECK(a->size() == 32);
  CHECK(*store.secret("rate_limiter") == *a);
  CHECK(*store.secret("other") != *a);
}
