// Tests of SqliteStore on a temporary file: schema, mappings, expiry, opt-outs, revisions, registry.
#include "resolver/sqlite_store.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <thread>

#include "tests/support/process.hpp"

using namespace resolver;

namespace {

Mapping mapping(const std::string& id, const std::string& provider, const std::string& user,
                std::optional<UnixTime> expires = std::nullopt) {
  Mapping m;
  m.identifier = id;
  m.provider = provider;
  m.user = user;
  m.tags = {"personal"};
  m.keys = {{"ed25519", "k1", "AAAA"}};
  m.updated_at = 1000;
  m.expires_at = expires;
  return m;
}

std::unique_ptr<SqliteStore> open_store(const test::TempDir& dir) {
  auto s = SqliteStore::open(dir.file("index.db"), OpenMode::create_if_missing);
  REQUIRE(s.ok());
  return std::move(*s);
}

}  // namespace

TEST_CASE("a missing index is not_found under must_exist and is created on demand") {
  test::TempDir dir;
  auto missing = SqliteStore::open(dir.file("nope.db"), OpenMode::must_exist);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == Code::not_found);
  CHECK(missing.status().message().find("discoveryctl") != std::string::npos);
  auto store = open_store(dir);
  CHECK(store->schema_version() >= 1);
  CHECK(store->check().ok());
}

TEST_CASE("a file that is not an index is unavailable, and it is not modified") {
  test::TempDir dir;
  test::write_file(dir.file("junk.db"), std::string(4096, 'x'));
  auto s = SqliteStore::open(dir.file("junk.db"), OpenMode::must_exist);
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().code() == Code::unavailable);
  CHECK(test::read_file(dir.file("junk.db")) == std::string(4096, 'x'));
}

TEST_CASE("issuer is set once") {
  test::TempDir dir;
  auto store = open_store(dir);
  CHECK(store->issuer().status().code() == Code::failed_precondition);
  CHECK(store->set_issuer("dp.example").ok());
  CHECK(*store->issuer() == "dp.example");
  CHECK(store->set_issuer("other.example").code() == Code::already_exists);
}

TEST_CASE("lookup answers a batch in input order, skips expired mappings and honours opt-outs") {
  test::TempDir dir;
  auto store = open_store(dir);
  REQUIRE(store->upsert_mappings({mapping("tel:+1", "b.example", "mimi://b/1"),
                                  mapping("tel:+1", "a.example", "mimi://a/1"),
                                  mapping("tel:+2", "a.example", "mimi://a/2", 500),
                                  mapping("tel:+3", "a.example", "mimi://a/3", 5000)})
              .ok());
  std::vector<std::string> ids = {"tel:+3", "tel:+1", "tel:+2", "tel:+9", "tel:+1"};
  auto r = store->lookup(ids, 1000);
  REQUIRE(r.ok());
  REQUIRE(r->size() == 5);
  CHECK((*r)[0].mappings.size() == 1);
  REQUIRE((*r)[1].mappings.size() == 2);
  CHECK((*r)[1].mappings[0].provider == "a.example");  // ordered by provider
  CHECK((*r)[1].mappings[0].tags == std::vector<std::string>{"personal"});
  CHECK((*r)[1].mappings[0].keys == std::vector<UserKey>{{"ed25519", "k1", "AAAA"}});
  CHECK((*r)[2].mappings.empty());  // expired at 500
  CHECK((*r)[3].mappings.empty());
  CHECK((*r)[4].mappings.size() == 2);

  auto removed = store->add_optout("tel:+1", 1000);
  REQUIRE(removed.ok());
  CHECK(*removed == 2);
  auto after = store->lookup(ids, 1000);
  CHECK((*after)[1].opted_out);
  CHECK((*after)[1].mappings.empty());
  CHECK(*store->remove_optout("tel:+1"));
  CHECK_FALSE(*store->remove_optout("tel:+1"));
}

TEST_CASE("every write changes the revision of what it writes") {
  test::TempDir dir;
  auto store = open_store(dir);
  REQUIRE(store->upsert_mappings({mapping("tel:+1", "a.example", "mimi://a/1")}).ok());
  std::vector<std::string> ids = {"tel:+1"};
  auto first = (*store->lookup(ids, 0))[0].mappings.at(0).revision;
  REQUIRE(store->upsert_mappings({mapping("tel:+1", "a.example", "mimi://a/1")}).ok());
  auto second = (*store->lookup(ids, 0))[0].mappings.at(0).revision;
  CHECK(second > first);
}

TEST_CASE("an import session commits all or nothing and counts inserts and updates") {
  test::TempDir dir;
  auto store = open_store(dir);
  {
    auto session = store->begin_import();
    REQUIRE(session.ok());
    CHECK(*(*session)->put_mapping(mapping("tel:+1", "a.example", "mimi://a/1")) == Upsert::inserted);
    CHECK(*(*session)->put_mapping(mapping("tel:+1", "a.example", "mimi://a/1")) == Upsert::updated);
    CHECK(*(*session)->put_mapping(mapping("tel:+1", "a.example", "mimi://a/2")) == Upsert::inserted);
    // destroyed without commit: rolled back
  }
  CHECK(store->stats()->mappings == 0);
  auto session = store->begin_import();
  REQUIRE(session.ok());
  REQUIRE((*session)->put_mapping(mapping("tel:+1", "a.example", "mimi://a/1")).ok());
  REQUIRE((*session)->commit().ok());
  CHECK(store->stats()->mappings == 1);
}

TEST_CASE("readers are not blocked by an open import") {
  test::TempDir dir;
  auto store = open_store(dir);
  REQUIRE(store->upsert_mappings({mapping("tel:+1", "a.example", "mimi://a/1")}).ok());
  auto session = store->begin_import();
  REQUIRE(session.ok());
  REQUIRE((*session)->put_mapping(mapping("tel:+2", "a.example", "mimi://a/2")).ok());
  std::vector<std::string> ids = {"tel:+1", "tel:+2"};
  auto r = store->lookup(ids, 0);  // another pooled connection, WAL snapshot
  REQUIRE(r.ok());
  CHECK((*r)[0].mappings.size() == 1);
  CHECK((*r)[1].mappings.empty());  // not committed yet
  REQUIRE((*session)->commit().ok());
  CHECK((*store->lookup(ids, 0))[1].mappings.size() == 1);
}

TEST_CASE("remove_mappings removes one provider or all") {
  test::TempDir dir;
  auto store = open_store(dir);
  REQUIRE(store->upsert_mappings({mapping("tel:+1", "a.example", "mimi://a/1"),
                                  mapping("tel:+1", "b.example", "mimi://b/1")})
              .ok());
  CHECK(*store->remove_mappings("tel:+1", std::string("b.example")) == 1);
  CHECK(*store->remove_mappings("tel:+1", std::nullopt) == 1);
  CHECK(*store->remove_mappings("tel:+1", std::nullopt) == 0);
}

TEST_CASE("export streams mappings, expired ones included, then opt-outs") {
  test::TempDir dir;
  auto store = open_store(dir);
  REQUIRE(store->upsert_mappings({mapping("tel:+1", "a.example", "mimi://a/1", 10)}).ok());
  REQUIRE(store->add_optout("tel:+2", 5).ok());
  std::vector<ExportRecord> seen;
  REQUIRE(store->export_all([&](const ExportRecord& r) {
                 seen.push_back(r);
                 return Status::Ok();
               }).ok());
  REQUIRE(seen.size() == 2);
  CHECK_FALSE(seen[0].optout);
  CHECK(seen[0].mapping.expires_at == 10);
  CHECK(seen[1].optout);
  CHECK(seen[1].mapping.identifier == "tel:+2");
  // A sink error stops the export and is returned.
  Status s = store->export_all([](const ExportRecord&) { return Status(Code::unavailable, "disk full"); });
  CHECK(s.code() == Code::unavailable);
}

TEST_CASE("peers, tokens and signing keys") {
  test::TempDir dir;
  auto store = open_store(dir);
  Peer p{"dp2.example", "https://dp2.example", "key", "", true, 1};
  CHECK(store->add_peer(p).ok());
  CHECK(store->add_peer(p).code() == Code::already_exists);
  CHECK(store->list_peers()->size() == 1);
  CHECK(store->remove_peer("dp2.example").ok());
  CHECK(store->remove_peer("dp2.example").code() == Code::not_found);

  TokenInfo t{"tok_1", "ops", Role::admin, 1, std::nullopt};
  CHECK(store->add_token(t, std::string(32, 'h')).ok());
  auto found = store->find_token(std::string(32, 'h'));
  REQUIRE(found.ok());
  CHECK(found->role == Role::admin);
  CHECK(store->find_token(std::string(32, 'x')).status().code() == Code::not_found);
  CHECK(store->revoke_token("tok_1", 2).ok());
  CHECK(store->find_token(std::string(32, 'h')).status().code() == Code::not_found);
  CHECK(store->revoke_token("tok_nope", 2).code() == Code::not_found);

  CHECK(store->add_signing_key({"k1", std::string(32, '\0'), std::string(32, '\1'), 1, true}).ok());
  CHECK(store->add_signing_key({"k2", std::string(32, '\2'), std::string(32, '\3'), 2, true}).ok());
  auto keys = store->signing_keys();
  REQUIRE(keys->size() == 2);
  CHECK_FALSE((*keys)[0].active);
  CHECK((*keys)[1].active);
  CHECK((*keys)[0].private_key == std::string(32, '\0'));  // blobs with NUL bytes survive
}

TEST_CASE("the index passes the stock sqlite3 integrity check") {
  test::TempDir dir;
  {
    auto store = open_store(dir);
    REQUIRE(store->upsert_mappings({mapping("tel:+1", "a.example", "mimi://a/1")}).ok());
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(dir.file("index.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) == "ok");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_CASE("secret: 32 random bytes made once, kept across reopen, one per name") {
  test::TempDir dir;
  std::string first;
  {
    auto store = open_store(dir);
    auto a = store->secret("rate_limiter");
    REQUIRE(a.ok());
    CHECK(a->size() == 32);
    first = *a;
    CHECK(*store->secret("rate_limiter") == first);
    CHECK(*store->secret("other") != first);
  }
  auto again = SqliteStore::open(dir.file("index.db"), OpenMode::must_exist);
  REQUIRE(again.ok());
  CHECK(*(*again)->secret("rate_limiter") == first);
}
