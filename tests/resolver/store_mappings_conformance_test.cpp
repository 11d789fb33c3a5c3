// The Store contract for mappings and opt-outs (resolver/store.hpp): lookups, revisions, admin
// writes, import sessions and export, run on every store in MIMI_STORES.
#include <doctest/doctest.h>

#include <thread>
#include <vector>

#include "resolver/store.hpp"
#include "tests/resolver/store_conformance.hpp"

using namespace resolver;
using test::mapping;

namespace {

const std::string kAlice = "tel:+14155552671";
const std::string kBob = "mailto:bob@example.com";
const std::string kCarol = "acct:carol@chat.example";

// The one answer for `identifier` at `now`.
LocalAnswer answer(Store& store, const std::string& identifier, UnixTime now = 0) {
  auto r = store.lookup({&identifier, 1}, now);
  REQUIRE(r.ok());
  REQUIRE(r->size() == 1);
  return (*r)[0];
}

}  // namespace

TEST_CASE_TEMPLATE("store: lookup answers in input order from unexpired mappings", F, MIMI_STORES) {
  F factory;
  const auto store = factory.make();
  Mapping bare = mapping(kCarol, "a.example", "c");
  bare.tags.clear();
  bare.keys.clear();
  REQUIRE(*store->upsert_mappings(
              {mapping(kAlice, "z.example", "u1"), mapping(kAlice, "a.example", "u2"),
               mapping(kAlice, "a.example", "u1"), mapping(kAlice, "old.example", "u3", 1000),
               mapping(kBob, "chat.example", "b", 5000), bare}) == 6);
  const std::vector<std::string> ids = {kBob, "tel:+440000", kAlice, kCarol, kAlice};
  auto r = store->lookup(ids, 1000);
  REQUIRE(r.ok());
  REQUIRE(r->size() == 5);
  REQUIRE((*r)[0].mappings.size() == 1);
  CHECK((*r)[0].mappings[0].expires_at == 5000);
  CHECK((*r)[1].mappings.empty());
  CHECK_FALSE((*r)[1].opted_out);
  const auto& alice = (*r)[2].mappings;  // old.example expires at 1000, so it is not served
  REQUIRE(alice.size() == 3);
  CHECK((alice[0].provider == "a.example" && alice[0].user == "u1"));
  CHECK((alice[1].provider == "a.example" && alice[1].user == "u2"));
  CHECK(alice[2].provider == "z.example");
  CHECK(alice[0].identifier == kAlice);
  CHECK(alice[0].tags == std::vector<std::string>{"personal"});
  CHECK(alice[0].keys == std::vector<UserKey>{{"ed25519", "k1", "AAAA"}});
  CHECK(alice[0].updated_at == 100);
  CHECK_FALSE(alice[0].expires_at.has_value());
  REQUIRE((*r)[3].mappings.size() == 1);
  CHECK((*r)[3].mappings[0].tags.empty());
  CHECK((*r)[3].mappings[0].keys.empty());
  CHECK((*r)[4].mappings.size() == 3);
  CHECK(answer(*store, kAlice, 999).mappings.size() == 4);
  CHECK(store->lookup({}, 0)->empty());
}

TEST_CASE_TEMPLATE("store: an upsert replaces the fields and every write raises the revision", F,
                   MIMI_STORES) {
  F factory;
  const auto store = factory.make();
  CHECK(*store->upsert_mappings({}) == 0);
  REQUIRE(store->upsert_mappings({mapping(kAlice, "a.example", "u1")}).ok());
  const std::int64_t first = answer(*store, kAlice).mappings.at(0).revision;
  Mapping changed = mapping(kAlice, "a.example", "u1", 9000);
  changed.tags = {"work", "personal"};
  changed.keys = {{"ed25519", "k2", "BBBB"}, {"x25519", "k3", "CCCC"}};
  changed.updated_at = 200;
  CHECK(*store->upsert_mappings({changed, mapping(kBob, "a.example", "b")}) == 2);
  const Mapping got = answer(*store, kAlice).mappings.at(0);
  CHECK(got.tags == changed.tags);
  CHECK(got.keys == changed.keys);
  CHECK(got.updated_at == 200);
  CHECK(got.expires_at == 9000);
  CHECK(got.revision > first);
  CHECK(store->stats()->mappings == 2);

  auto session = store->begin_import();
  REQUIRE(session.ok());
  CHECK(*(*session)->put_mapping(mapping(kAlice, "a.example", "u1")) == Upsert::updated);
  REQUIRE((*session)->commit().ok());
  CHECK(answer(*store, kAlice).mappings.at(0).revision > got.revision);
}

TEST_CASE_TEMPLATE("store: an opt-out removes the mappings and hides later ones until lifted", F,
                   MIMI_STORES) {
  F factory;
  const auto store = factory.make();
  REQUIRE(store
              ->upsert_mappings(
                  {mapping(kAlice, "a.example", "u1"), mapping(kAlice, "b.example", "u2")})
              .ok());
  CHECK(*store->add_optout(kAlice, 5) == 2);
  CHECK(*store->add_optout(kAlice, 6) == 0);
  REQUIRE(store->upsert_mappings({mapping(kAlice, "c.example", "u3")}).ok());
  const LocalAnswer hidden = answer(*store, kAlice);
  CHECK(hidden.opted_out);
  CHECK(hidden.mappings.empty());
  CHECK(store->stats()->optouts == 1);
  CHECK(*store->remove_optout(kAlice));
  CHECK_FALSE(*store->remove_optout(kAlice));
  const LocalAnswer lifted = answer(*store, kAlice);
  CHECK_FALSE(lifted.opted_out);
  REQUIRE(lifted.mappings.size() == 1);
  CHECK(lifted.mappings[0].provider == "c.example");
}

TEST_CASE_TEMPLATE("store: remove_mappings removes one provider's mappings or all", F,
                   MIMI_STORES) {
  F factory;
  const auto store = factory.make();
  REQUIRE(
      store
          ->upsert_mappings({mapping(kAlice, "a.example", "u1"), mapping(kAlice, "b.example", "u2"),
                             mapping(kAlice, "b.example", "u3"), mapping(kBob, "b.example", "b")})
          .ok());
  CHECK(*store->remove_mappings(kAlice, std::string("b.example")) == 2);
  CHECK(*store->remove_mappings(kAlice, std::string("b.example")) == 0);
  CHECK(*store->remove_mappings(kAlice, std::nullopt) == 1);
  CHECK(*store->remove_mappings(kAlice, std::nullopt) == 0);
  CHECK(*store->remove_mappings(kCarol, std::nullopt) == 0);
  CHECK(answer(*store, kBob).mappings.size() == 1);
}

TEST_CASE_TEMPLATE("store: an import session is all or nothing and counts inserts and updates", F,
                   MIMI_STORES) {
  F factory;
  const auto store = factory.make();
  REQUIRE(
      store->upsert_mappings({mapping(kBob, "a.example", "b"), mapping(kCarol, "a.example", "c")})
          .ok());
  {
    auto session = store->begin_import();
    REQUIRE(session.ok());
    CHECK(*(*session)->put_mapping(mapping(kAlice, "a.example", "u1")) == Upsert::inserted);
    CHECK(*(*session)->put_optout(kCarol, 7) == 1);
  }  // destroyed without commit: rolled back
  CHECK(answer(*store, kAlice).mappings.empty());
  CHECK(answer(*store, kCarol).mappings.size() == 1);
  CHECK(store->stats()->optouts == 0);

  auto session = store->begin_import();
  REQUIRE(session.ok());
  ImportSession& import = **session;
  CHECK(*import.put_mapping(mapping(kAlice, "a.example", "u1")) == Upsert::inserted);
  CHECK(*import.put_mapping(mapping(kAlice, "a.example", "u1")) == Upsert::updated);
  CHECK(*import.put_mapping(mapping(kBob, "a.example", "b")) == Upsert::updated);
  CHECK(*import.put_mapping(mapping(kBob, "a.example", "b2")) == Upsert::inserted);
  CHECK(*import.put_optout(kBob, 7) == 2);
  CHECK(*import.put_mapping(mapping(kBob, "a.example", "b")) == Upsert::inserted);
  CHECK(answer(*store, kAlice).mappings.empty());  // not visible before commit
  CHECK_FALSE(answer(*store, kBob).opted_out);
  REQUIRE(import.commit().ok());
  CHECK(import.commit().code() == Code::failed_precondition);
  CHECK(import.put_mapping(mapping(kAlice, "b.example", "u1")).status().code() ==
        Code::failed_precondition);
  CHECK(import.put_optout(kAlice, 8).status().code() == Code::failed_precondition);
  CHECK(answer(*store, kAlice).mappings.size() == 1);
  CHECK(answer(*store, kBob).opted_out);
  const Stats stats = *store->stats();
  CHECK(stats.identifiers == 3);
  CHECK(stats.mappings == 3);
  CHECK(stats.optouts == 1);
}

TEST_CASE_TEMPLATE("store: export_all yields every mapping then every opt-out until the sink fails",
                   F, MIMI_STORES) {
  F factory;
  const auto store = factory.make();
  int calls = 0;
  const auto count = [&](const ExportRecord&) {
    ++calls;
    return Status::Ok();
  };
  CHECK(store->export_all(count).ok());
  CHECK(calls == 0);
  REQUIRE(store
              ->upsert_mappings(
                  {mapping(kAlice, "a.example", "u1", 1), mapping(kAlice, "b.example", "u1")})
              .ok());
  REQUIRE(store->add_optout(kBob, 3).ok());
  std::vector<ExportRecord> seen;
  REQUIRE(store
              ->export_all([&](const ExportRecord& r) {
                seen.push_back(r);
                return Status::Ok();
              })
              .ok());
  REQUIRE(seen.size() == 3);
  CHECK_FALSE(seen[0].optout);
  CHECK_FALSE(seen[1].optout);
  CHECK(seen[0].mapping.identifier == kAlice);
  CHECK((seen[0].mapping.expires_at == 1 || seen[1].mapping.expires_at == 1));  // expired, exported
  CHECK(seen[2].optout);
  CHECK(seen[2].mapping.identifier == kBob);
  calls = 0;
  const Status stopped = store->export_all([&](const ExportRecord&) {
    ++calls;
    return Status(Code::unavailable, "the output is closed");
  });
  CHECK(stopped.code() == Code::unavailable);
  CHECK(calls == 1);
}

TEST_CASE_TEMPLATE("store: writers and readers on many threads", F, MIMI_STORES) {
  F factory;
  const auto store = factory.make();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&store, t] {
      for (int i = 0; i < 50; ++i) {
        const std::string id = "tel:+1" + std::to_string(t * 1000 + i);
        (void)store->upsert_mappings({mapping(id, "a.example", "u")});
        (void)store->lookup({&id, 1}, 0);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(store->stats()->mappings == 200);
}
