// The Store contract for the private index of DESIGN.md §12 (resolver/store.hpp): epochs, entries
// by bucket, changes recorded by every write path while an epoch exists, and the refresher's
// lease, on SQLite and PostgreSQL. MemoryStore keeps no private index (failed_precondition).
#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "resolver/store.hpp"
#include "tests/resolver/store_conformance.hpp"

using namespace resolver;
using test::mapping;

namespace {

PrivateEpoch epoch(const std::string& key_id, UnixTime created_at) {
  PrivateEpoch e;
  e.key_id = key_id;
  e.secret = std::string(32, '\1');
  e.secret[5] = '\0';  // NUL bytes must survive
  e.public_key = std::string(32, '\2');
  e.bucket_bits = 3;
  e.created_at = created_at;
  return e;
}

PrivateEntry entry(std::int64_t bucket, char tag, const std::string& record, UnixTime exp = 0) {
  PrivateEntry e;
  e.bucket = bucket;
  e.tag = std::string(16, tag);
  e.tag[0] = '\0';
  e.record = record;
  e.expires_at = exp;
  return e;
}

std::vector<std::string> changed(Store& store) {
  auto c = store.private_changes(100);
  REQUIRE(c.ok());
  std::vector<std::string> out;
  for (const auto& x : *c) out.push_back(x.identifier);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

#define MIMI_PRIVATE_STORES test::SqliteFactory, test::PgFactory

TEST_CASE_TEMPLATE("store: private epochs are built, made current and retired", F, MIMI_PRIVATE_STORES) {
  F factory;
  const auto store = factory.make();
  CHECK(store->private_epochs()->empty());
  REQUIRE(store->add_private_epoch(epoch("first", 10)).ok());
  CHECK(store->add_private_epoch(epoch("first", 11)).code() == Code::already_exists);
  auto all = store->private_epochs();
  REQUIRE(all->size() == 1);
  CHECK((*all)[0].secret == epoch("first", 10).secret);
  CHECK((*all)[0].public_key == std::string(32, '\2'));
  CHECK((*all)[0].bucket_bits == 3);
  CHECK_FALSE((*all)[0].activated_at);
  CHECK(store->activate_private_epoch("nope", 20).code() == Code::not_found);
  REQUIRE(store->activate_private_epoch("first", 20).ok());
  REQUIRE(store->add_private_epoch(epoch("second", 30)).ok());
  REQUIRE(store->activate_private_epoch("second", 40).ok());
  all = store->private_epochs();
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].key_id == "second");  // the current one first
  CHECK((*all)[0].activated_at == 40);
  CHECK_FALSE((*all)[0].retired_at);
  CHECK((*all)[1].key_id == "first");
  CHECK((*all)[1].retired_at == 40);
  REQUIRE(store->drop_private_epoch("first").ok());
  CHECK(store->private_epochs()->size() == 1);
}

TEST_CASE_TEMPLATE("store: private entries are kept by tag and read by bucket in tag order", F,
                   MIMI_PRIVATE_STORES) {
  F factory;
  const auto store = factory.make();
  const std::vector<PrivateEntry> none;
  CHECK(store->put_private_entries("nope", none, 1).code() == Code::not_found);
  REQUIRE(store->add_private_epoch(epoch("k", 1)).ok());
  const std::vector<PrivateEntry> first = {entry(2, 'b', std::string("r\0b", 3), 500),
                                           entry(2, 'a', "ra", 300), entry(5, 'c', "rc")};
  REQUIRE(store->put_private_entries("k", first, 100).ok());
  auto bucket = store->private_bucket("k", 2);
  REQUIRE(bucket.ok());
  REQUIRE(bucket->size() == 2);
  CHECK((*bucket)[0].tag == entry(0, 'a', "").tag);
  CHECK((*bucket)[0].record == "ra");
  CHECK((*bucket)[1].record == std::string("r\0b", 3));
  CHECK(store->private_bucket("k", 3)->empty());
  CHECK(store->private_bucket("other", 2)->empty());
  auto stats = store->private_epoch_stats("k");
  CHECK(stats->entries == 3);
  CHECK(stats->earliest_expiry == 300);
  CHECK(stats->oldest_build == 100);
  // A newer build replaces by tag and leaves what it did not write to remove_before.
  const std::vector<PrivateEntry> second = {entry(2, 'a', "ra2", 900)};
  REQUIRE(store->put_private_entries("k", second, 200).ok());
  CHECK((*store->private_bucket("k", 2))[0].record == "ra2");
  CHECK(*store->remove_private_entries_before("k", 200) == 2);
  CHECK(store->private_epoch_stats("k")->entries == 1);
  const std::vector<std::string> tags = {entry(0, 'a', "").tag, entry(0, 'z', "").tag};
  REQUIRE(store->remove_private_entries("k", tags).ok());
  CHECK(store->private_epoch_stats("k")->entries == 0);
  REQUIRE(store->put_private_entries("k", second, 300).ok());
  REQUIRE(store->drop_private_epoch("k").ok());
  CHECK(store->private_bucket("k", 2)->empty());
}

TEST_CASE_TEMPLATE("store: writes are recorded as private changes only while an epoch exists", F,
                   MIMI_PRIVATE_STORES) {
  F factory;
  const auto store = factory.make();
  REQUIRE(store->upsert_mappings({mapping("tel:+14155552671", "a.example", "u")}).ok());
  CHECK(changed(*store).empty());  // no epoch: nothing follows writes
  REQUIRE(store->add_private_epoch(epoch("k", 1)).ok());
  REQUIRE(store->upsert_mappings({mapping("tel:+14155552671", "a.example", "u")}).ok());
  REQUIRE(store->remove_mappings("mailto:x@example.com", std::nullopt).ok());  // removes nothing
  REQUIRE(store->add_optout("acct:bob@chat.example", 5).ok());
  auto session = store->begin_import();
  REQUIRE(session.ok());
  REQUIRE((*session)->put_mapping(mapping("mailto:carol@example.com", "b.example", "c")).ok());
  REQUIRE((*session)->commit().ok());
  CHECK(changed(*store) == std::vector<std::string>{"acct:bob@chat.example", "mailto:carol@example.com",
                                                    "tel:+14155552671"});
  auto seen = store->private_changes(100);
  REQUIRE(seen.ok());
  // A write after the read keeps its change: only what was seen is cleared.
  REQUIRE(store->remove_mappings("tel:+14155552671", std::nullopt).ok());
  REQUIRE(store->clear_private_changes(*seen).ok());
  CHECK(changed(*store) == std::vector<std::string>{"tel:+14155552671"});
  REQUIRE(store->remove_optout("acct:bob@chat.example").ok());
  CHECK(changed(*store) == std::vector<std::string>{"acct:bob@chat.example", "tel:+14155552671"});
  REQUIRE(store->drop_private_epoch("k").ok());
  CHECK(changed(*store).empty());
}

TEST_CASE_TEMPLATE("store: one holder at a time has the private refresh lease", F, MIMI_PRIVATE_STORES) {
  F factory;
  const auto store = factory.make();
  CHECK(*store->claim_private_lease("node-a", 100, 30));
  CHECK(*store->claim_private_lease("node-a", 110, 30));  // renewed by its holder
  CHECK_FALSE(*store->claim_private_lease("node-b", 120, 30));
  CHECK_FALSE(*store->claim_private_lease("node-b", 139, 30));
  CHECK(*store->claim_private_lease("node-b", 140, 30));  // node-a's lapsed at 140
  CHECK_FALSE(*store->claim_private_lease("node-a", 141, 30));
}

TEST_CASE("store: MemoryStore keeps no private index") {
  MemoryStore store;
  CHECK(store.private_epochs().status().code() == Code::failed_precondition);
  CHECK(store.add_private_epoch(epoch("k", 1)).code() == Code::failed_precondition);
}
