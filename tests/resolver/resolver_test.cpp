// Tests of the Resolver over a real SqliteStore: outcomes, filters, expiry, signed assertions,
// the assertion cache and its invalidation by writes and key rotation.
#include "resolver/resolver.hpp"

#include <doctest/doctest.h>

#include "resolver/assertion.hpp"
#include "resolver/sqlite_store.hpp"
#include "tests/support/process.hpp"

using namespace resolver;

namespace {

struct Fixture {
  test::TempDir dir;
  std::unique_ptr<SqliteStore> store;
  Keyring keyring;
  ManualClock clock{1'800'000'000};

  Fixture() {
    auto s = SqliteStore::open(dir.file("index.db"), OpenMode::create_if_missing);
    REQUIRE(s.ok());
    store = std::move(*s);
    REQUIRE(store->set_issuer("dp.example").ok());
    REQUIRE(create_signing_key(*store, clock.now()).ok());
    REQUIRE(keyring.reload(*store).ok());
  }

  void add(const std::string& id, const std::string& provider, const std::string& user,
           std::optional<UnixTime> expires = std::nullopt) {
    Mapping m;
    m.identifier = id;
    m.provider = provider;
    m.user = user;
    m.updated_at = clock.now();
    m.expires_at = expires;
    REQUIRE(store->upsert_mappings({m}).ok());
  }
};

LookupQuery q(const std::string& input, std::optional<std::string> provider = std::nullopt) {
  return {input, "", {std::move(provider), false}};
}

}  // namespace

TEST_CASE("found, not found, opted out and invalid") {
  Fixture f;
  f.add("tel:+14155552671", "chat.example", "mimi://chat.example/u/1");
  Resolver r(*f.store, f.keyring, f.clock);
  auto found = r.lookup(q("+1 (415) 555-2671"));
  REQUIRE(found.ok());
  CHECK(found->status == LookupStatus::found);
  CHECK(found->identifier.canonical == "tel:+14155552671");
  REQUIRE(found->mappings.size() == 1);
  CHECK(found->mappings[0].source == "local");
  CHECK(found->complete);

  auto missing = r.lookup(q("+14155552672"));
  REQUIRE(missing.ok());
  CHECK(missing->status == LookupStatus::not_found);

  REQUIRE(f.store->add_optout("tel:+14155552671", f.clock.now()).ok());
  auto opted = r.lookup(q("tel:+1-415-555-2671"));
  REQUIRE(opted.ok());
  CHECK(opted->status == LookupStatus::opted_out);
  CHECK(opted->mappings.empty());

  CHECK(r.lookup(q("")).status().code() == Code::invalid_identifier);
}

TEST_CASE("provider filter and several mappings") {
  Fixture f;
  f.add("mailto:alice@example.com", "chat.example", "mimi://chat.example/u/1");
  f.add("mailto:alice@example.com", "talk.example", "mimi://talk.example/u/1");
  Resolver r(*f.store, f.keyring, f.clock);
  CHECK(r.lookup(q("Alice@Example.com"))->mappings.size() == 2);
  auto only = r.lookup(q("alice@example.com", "talk.example"));
  REQUIRE(only->mappings.size() == 1);
  CHECK(only->mappings[0].mapping.provider == "talk.example");
  CHECK(r.lookup(q("alice@example.com", "none.example"))->status == LookupStatus::not_found);
}

TEST_CASE("expired mappings are never returned") {
  Fixture f;
  f.add("acct:a@chat.example", "chat.example", "mimi://c/a", f.clock.now() + 10);
  Resolver r(*f.store, f.keyring, f.clock);
  CHECK(r.lookup(q("acct:a@chat.example"))->status == LookupStatus::found);
  f.clock.advance(std::chrono::seconds(10));
  CHECK(r.lookup(q("acct:a@chat.example"))->status == LookupStatus::not_found);
}

TEST_CASE("assertions verify under the JWKS, carry the claims and are capped by expires_at") {
  Fixture f;
  f.add("tel:+14155552671", "chat.example", "mimi://chat.example/u/1", f.clock.now() + 600);
  Resolver r(*f.store, f.keyring, f.clock, {.assertion_ttl_s = 3600});
  auto res = r.lookup(q("+14155552671"));
  REQUIRE(res->mappings.size() == 1);
  auto keys = f.keyring.snapshot();
  auto claims = verify_assertion(res->mappings[0].assertion,
                                 [&](const std::string& kid) { return keys->public_key(kid); });
  REQUIRE(claims.ok());
  CHECK(claims->iss == "dp.example");
  CHECK(claims->sub == "tel:+14155552671");
  CHECK(claims->provider == "chat.example");
  CHECK(claims->user == "mimi://chat.example/u/1");
  CHECK(claims->iat == f.clock.now());
  CHECK(claims->exp == f.clock.now() + 600);  // capped by the mapping's expires_at
}

TEST_CASE("the assertion cache reuses a signature until a write, a rotation or half its life") {
  Fixture f;
  f.add("tel:+14155552671", "chat.example", "mimi://chat.example/u/1");
  Resolver r(*f.store, f.keyring, f.clock, {.assertion_ttl_s = 1000});
  const std::string first = r.lookup(q("+14155552671"))->mappings.at(0).assertion;
  f.clock.advance(std::chrono::seconds(1));
  CHECK(r.lookup(q("+14155552671"))->mappings.at(0).assertion == first);  // cached

  f.add("tel:+14155552671", "chat.example", "mimi://chat.example/u/1");  // a write: new revision
  const std::string after_write = r.lookup(q("+14155552671"))->mappings.at(0).assertion;
  CHECK(after_write != first);

  REQUIRE(create_signing_key(*f.store, f.clock.now()).ok());  // rotation
  REQUIRE(f.keyring.reload(*f.store).ok());
  const std::string after_rotation = r.lookup(q("+14155552671"))->mappings.at(0).assertion;
  CHECK(after_rotation != after_write);

  f.clock.advance(std::chrono::seconds(501));  // past half of the 1000 s lifetime
  CHECK(r.lookup(q("+14155552671"))->mappings.at(0).assertion != after_rotation);
}

TEST_CASE("a batch answers in input order with per-entry errors") {
  Fixture f;
  f.add("tel:+14155552671", "chat.example", "mimi://chat.example/u/1");
  Resolver r(*f.store, f.keyring, f.clock);
  const std::vector<std::string> inputs = {"+14155552671", "nonsense@", "bob@example.com", "+14155552671"};
  auto res = r.lookup_batch(parse_identifiers(inputs), {std::nullopt, false});
  REQUIRE(res.ok());
  REQUIRE(res->size() == 4);
  CHECK((*res)[0]->status == LookupStatus::found);
  CHECK((*res)[1].status().code() == Code::invalid_identifier);
  CHECK((*res)[2]->status == LookupStatus::not_found);
  CHECK((*res)[3]->status == LookupStatus::found);
  auto j = to_json(*(*res)[0]);
  CHECK(j["identifier"] == "tel:+14155552671");
  CHECK(j["type"] == "phone");
  CHECK(j["status"] == "found");
  CHECK(j["mappings"][0]["source"] == "local");
  CHECK(j["complete"] == true);
  CHECK(j["peers"].is_array());
}

TEST_CASE("a cold batch is signed on several threads: every assertion verifies for its own mapping") {
  Fixture f;
  std::vector<std::string> inputs;
  for (int i = 0; i < 300; ++i) {
    std::string id = "+1415555" + std::to_string(1000 + i);
    f.add("tel:" + id, "chat.example", "mimi://chat.example/u/" + std::to_string(i));
    inputs.push_back(id);
  }
  Resolver r(*f.store, f.keyring, f.clock);
  auto cold = r.lookup_batch(parse_identifiers(inputs), {std::nullopt, false});
  REQUIRE(cold.ok());
  REQUIRE(cold->size() == inputs.size());
  auto snap = f.keyring.snapshot();
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const auto& m = (*cold)[i]->mappings.at(0);
    auto claims = verify_assertion(m.assertion, [&](const std::string& kid) { return snap->public_key(kid); });
    REQUIRE(claims.ok());
    CHECK(claims->sub == "tel:" + inputs[i]);
    CHECK(claims->user == m.mapping.user);
  }
  // Warm: the same assertions, from the cache.
  auto warm = r.lookup_batch(parse_identifiers(inputs), {std::nullopt, false});
  REQUIRE(warm.ok());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    CHECK((*warm)[i]->mappings.at(0).assertion == (*cold)[i]->mappings.at(0).assertion);
  }
}
