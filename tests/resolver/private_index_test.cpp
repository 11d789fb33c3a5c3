// Tests for resolver/private_index.hpp with resolver/private_client.hpp on a real SqliteStore: a
// rotation seals every identifier, a client finds the same §4.1 answer as a local lookup, misses
// what is absent, follows writes after a refresh, and keeps the previous epoch during its grace.
#include "resolver/private_index.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "resolver/base64url.hpp"
#include "resolver/keyring.hpp"
#include "resolver/lookup_json.hpp"
#include "resolver/private_client.hpp"
#include "resolver/private_record.hpp"
#include "resolver/sqlite_store.hpp"
#include "tests/support/process.hpp"

using namespace resolver;
using json = nlohmann::json;

namespace {

struct Fixture {
  test::TempDir dir;
  std::unique_ptr<SqliteStore> store;
  Keyring keyring;
  ManualClock clock{1'800'000'000};
  std::unique_ptr<Resolver> local;
  std::unique_ptr<PrivateIndex> index;

  Fixture() {
    auto s = SqliteStore::open(dir.file("index.db"), OpenMode::create_if_missing);
    REQUIRE(s.ok());
    store = std::move(*s);
    REQUIRE(store->set_issuer("dp.example").ok());
    REQUIRE(create_signing_key(*store, clock.now()).ok());
    REQUIRE(keyring.reload(*store).ok());
    local = std::make_unique<Resolver>(*store, keyring, clock);
    PrivateIndexOptions options;
    options.threads = 2;
    options.grace_s = 100;
    index = std::make_unique<PrivateIndex>(*store, *local, clock, options);
  }
  void add(const std::string& id, const std::string& provider, const std::string& user) {
    Mapping m;
    m.identifier = id;
    m.provider = provider;
    m.user = user;
    m.tags = {"work"};
    m.updated_at = clock.now();
    REQUIRE(store->upsert_mappings({m}).ok());
  }
  PrivateEpoch current() {
    auto served = served_private_epochs(*store->private_epochs(), clock.now(), 100);
    REQUIRE_FALSE(served.empty());
    return served.front();
  }
  // The whole client protocol against this index: metadata, evaluate, bucket, open.
  std::optional<json> lookup(const std::string& id, const PrivateEpoch& epoch) {
    json meta = {{"private",
                  {{"suite", "ristretto255-SHA512"}, {"mode", 1}, {"key_id", epoch.key_id},
                   {"public_key", base64url_encode(epoch.public_key)},
                   {"bucket_bits", epoch.bucket_bits}, {"max_elements", 256}}}};
    auto key = read_private_metadata(meta);
    REQUIRE(key.ok());
    auto q = PrivateQuery::start(*key, {id});
    REQUIRE(q.ok());
    const Oprf oprf(OprfMode::voprf);
    auto server_key = oprf.key_pair_from_secret(epoch.secret);
    auto request = json::parse(q->evaluate_request());
    std::vector<std::string> blinded;
    for (const auto& b : request["blinded"]) blinded.push_back(*base64url_decode(b.get<std::string>()));
    auto evaluation = oprf.blind_evaluate(*server_key, blinded);
    REQUIRE(evaluation.ok());
    json answer = {{"key_id", epoch.key_id},
                   {"evaluated", {base64url_encode(evaluation->evaluated[0])}},
                   {"proof", base64url_encode(evaluation->proof)}};
    REQUIRE(q->finish(answer.dump()).ok());
    auto entries = store->private_bucket(epoch.key_id, q->bucket(0));
    REQUIRE(entries.ok());
    json bucket = {{"key_id", epoch.key_id}, {"bucket", q->bucket(0)}, {"entries", json::array()}};
    for (const auto& e : *entries)
      bucket["entries"].push_back({{"tag", base64url_encode(e.tag)}, {"record", base64url_encode(e.record)}});
    auto opened = q->open(0, bucket.dump());
    REQUIRE(opened.ok());
    if (!*opened) return std::nullopt;
    return json::parse(**opened);
  }
  json local_answer(const std::string& id) {
    auto r = local->lookup({id, "", {std::nullopt, false}});
    REQUIRE(r.ok());
    std::string text;
    append_json(text, *r);
    return json::parse(text);
  }
};

}  // namespace

TEST_CASE("private index: a rotation seals found and opted-out identifiers, misses the rest") {
  Fixture f;
  f.add("tel:+14155552671", "chat.example", "mimi://chat.example/u/1");
  f.add("tel:+14155552671", "talk.example", "mimi://talk.example/u/9");
  f.add("mailto:alice@example.com", "chat.example", "mimi://chat.example/u/2");
  REQUIRE(f.store->add_optout("tel:+14155550100", f.clock.now()).ok());
  std::int64_t last_total = -1;
  auto epoch = f.index->rotate([&](std::int64_t, std::int64_t total) { last_total = total; });
  REQUIRE(epoch.ok());
  CHECK(last_total == 3);
  CHECK(epoch->key_id == private_key_id(epoch->public_key));
  CHECK(f.store->private_epoch_stats(epoch->key_id)->entries == 3);
  for (const std::string id : {"tel:+14155552671", "mailto:alice@example.com", "tel:+14155550100"}) {
    INFO(id);
    auto found = f.lookup(id, *epoch);
    REQUIRE(found);
    CHECK(*found == f.local_answer(id));
  }
  CHECK((*f.lookup("tel:+14155550100", *epoch))["status"] == "opted_out");
  CHECK((*f.lookup("tel:+14155552671", *epoch))["mappings"].size() == 2);
  CHECK_FALSE(f.lookup("tel:+14155550199", *epoch));
}

TEST_CASE("private index: a refresh follows writes into the current and the previous epoch") {
  Fixture f;
  f.add("tel:+14155552671", "chat.example", "mimi://chat.example/u/1");
  auto first = f.index->rotate();
  REQUIRE(first.ok());
  f.clock.advance(std::chrono::seconds(10));
  auto second = f.index->rotate();
  REQUIRE(second.ok());
  CHECK(served_private_epochs(*f.store->private_epochs(), f.clock.now(), 100).size() == 2);
  f.add("mailto:new@example.com", "chat.example", "mimi://chat.example/u/3");
  REQUIRE(f.store->remove_mappings("tel:+14155552671", std::nullopt).ok());
  CHECK_FALSE(f.lookup("mailto:new@example.com", *second));  // not yet refreshed
  auto report = f.index->refresh("test");
  REQUIRE(report.ok());
  CHECK(report->leader);
  CHECK(report->followed == 2);
  for (const auto& e : {*first, *second}) {
    CHECK(f.lookup("mailto:new@example.com", e));
    CHECK_FALSE(f.lookup("tel:+14155552671", e));
  }
  CHECK_FALSE(f.index->refresh("another node")->leader);  // the lease is held
  // After the grace, the previous epoch is dropped and only the current one is served.
  f.clock.advance(std::chrono::seconds(200));
  report = f.index->refresh("test");
  REQUIRE(report.ok());
  CHECK(report->dropped == std::vector<std::string>{first->key_id});
  auto served = served_private_epochs(*f.store->private_epochs(), f.clock.now(), 100);
  REQUIRE(served.size() == 1);
  CHECK(served[0].key_id == second->key_id);
}

TEST_CASE("private client: refuses a wrong key_id, a bad proof and a count mismatch") {
  const Oprf oprf(OprfMode::voprf);
  const auto key = oprf.generate_key_pair();
  json meta = {{"private",
                {{"suite", "ristretto255-SHA512"}, {"mode", 1}, {"key_id", private_key_id(key.public_key)},
                 {"public_key", base64url_encode(key.public_key)}, {"bucket_bits", 0}}}};
  CHECK(read_private_metadata(json::object()).status().code() == Code::not_found);
  json wrong = meta;
  wrong["private"]["key_id"] = "AAAAAAAAAAA";
  CHECK(read_private_metadata(wrong).status().code() == Code::invalid_request);
  json identity = meta;
  identity["private"]["public_key"] = base64url_encode(std::string(32, '\0'));
  CHECK(read_private_metadata(identity).status().code() == Code::invalid_request);
  auto server = read_private_metadata(meta);
  REQUIRE(server.ok());
  auto q = PrivateQuery::start(*server, {"tel:+14155552671", "mailto:a@example.com"});
  REQUIRE(q.ok());
  std::vector<std::string> blinded;
  const json request = json::parse(q->evaluate_request());
  for (const auto& b : request["blinded"]) blinded.push_back(*base64url_decode(b.get<std::string>()));
  const auto other = oprf.generate_key_pair();
  auto forged = oprf.blind_evaluate(other, blinded);  // another key: the proof cannot verify
  REQUIRE_MESSAGE(forged.ok(), forged.status().message());
  json answer = {{"key_id", server->key_id},
                 {"evaluated", {base64url_encode(forged->evaluated[0]), base64url_encode(forged->evaluated[1])}},
                 {"proof", base64url_encode(forged->proof)}};
  CHECK(q->finish(answer.dump()).code() == Code::invalid_request);
  answer["evaluated"].erase(1);
  CHECK(q->finish(answer.dump()).code() == Code::invalid_request);
  auto good = oprf.blind_evaluate(key, blinded);
  REQUIRE(good.ok());
  answer = {{"key_id", server->key_id},
            {"evaluated", {base64url_encode(good->evaluated[0]), base64url_encode(std::string(32, '\0'))}},
            {"proof", base64url_encode(good->proof)}};
  CHECK(q->finish(answer.dump()).code() == Code::invalid_request);  // an identity element
  answer["evaluated"][1] = base64url_encode(good->evaluated[1]);
  CHECK(q->finish(answer.dump()).ok());
}

TEST_CASE("private client: a bucket answer is read once for all its identifiers, a malformed one refused") {
  const std::string tag(kPrivateTagBytes, 't');
  const json answer = {{"key_id", "K"},
                       {"bucket", 3},
                       {"entries", json::array({json{{"tag", base64url_encode(tag)}, {"record", "AAAA"}}})}};
  auto read = read_private_bucket(answer.dump());
  REQUIRE(read.ok());
  CHECK(read->key_id == "K");
  CHECK(read->bucket == 3);
  REQUIRE(read->entries.size() == 1);
  CHECK(read->entries[0].first == tag);
  CHECK(read->entries[0].second == "AAAA");

  CHECK(read_private_bucket("not json").status().code() == Code::invalid_request);
  CHECK(read_private_bucket(R"({"key_id": "K", "entries": []})").status().code() == Code::invalid_request);
  json short_tag = answer;
  short_tag["entries"][0]["tag"] = "c2hvcnQ";
  CHECK(read_private_bucket(short_tag.dump()).status().code() == Code::invalid_request);
  json not_object = answer;
  not_object["entries"][0] = 1;
  CHECK(read_private_bucket(not_object.dump()).status().code() == Code::invalid_request);
}
