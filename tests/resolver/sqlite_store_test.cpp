// Tests of what only SqliteStore does, on a temporary file: opening, migrations, WAL readers, the
// stock integrity check, persistence across reopen. The Store contract itself is the conformance
// suite (store_conformance.hpp), which runs on SqliteStore too.
#include "resolver/sqlite_store.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <filesystem>

#include "resolver/sqlite_connection.hpp"
#include "schema/embedded.hpp"
#include "tests/resolver/store_conformance.hpp"
#include "tests/support/process.hpp"

using namespace resolver;
using test::mapping;

namespace {

std::unique_ptr<SqliteStore> open_index(const test::TempDir& dir) {
  auto s = SqliteStore::open(dir.file("index.db"), OpenMode::create_if_missing);
  REQUIRE(s.ok());
  return std::move(*s);
}

// Runs `sql` on the file (created if missing) with the stock API; the first column of the last row, or "".
std::string sql_value(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) ==
          SQLITE_OK);
  std::string last;
  auto keep = [](void* out, int, char** values, char**) {
    *static_cast<std::string*>(out) = values[0] ? values[0] : "";
    return 0;
  };
  char* error = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), keep, &last, &error);
  CAPTURE(error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
  REQUIRE(rc == SQLITE_OK);
  return last;
}

// The value of `pragma` on a connection opened for `use`.
std::int64_t pragma(const std::string& path, ConnectionUse use, const char* pragma) {
  auto c = SqliteConnection::open(path, false, use);
  REQUIRE(c.ok());
  auto st = (*c)->prepare(pragma);
  REQUIRE(st.ok());
  REQUIRE(*st->step("reading a pragma"));
  return st->integer(0);
}

}  // namespace

TEST_CASE("a missing index is not_found under must_exist and is created on demand") {
  test::TempDir dir;
  auto missing = SqliteStore::open(dir.file("nope.db"), OpenMode::must_exist);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == Code::not_found);
  CHECK(missing.status().message().find("discoveryctl") != std::string::npos);
  auto store = open_index(dir);
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

TEST_CASE("readers are not blocked by an open import") {
  test::TempDir dir;
  auto store = open_index(dir);
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

TEST_CASE("the index passes the stock sqlite3 integrity check") {
  test::TempDir dir;
  {
    auto store = open_index(dir);
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

TEST_CASE("secret: kept in the file across reopen") {
  test::TempDir dir;
  std::string first;
  {
    auto store = open_index(dir);
    auto a = store->secret("rate_limiter");
    REQUIRE(a.ok());
    first = *a;
  }
  auto again = SqliteStore::open(dir.file("index.db"), OpenMode::must_exist);
  REQUIRE(again.ok());
  CHECK(*(*again)->secret("rate_limiter") == first);
}

TEST_CASE("issue 14: a new index and its WAL and SHM files are readable by their owner only") {
  test::TempDir dir;
  auto store = open_index(dir);
  REQUIRE(store->set_issuer("dp.example").ok());  // a write: the WAL and SHM files exist now
  namespace fs = std::filesystem;
  for (const char* name : {"index.db", "index.db-wal", "index.db-shm"}) {
    CAPTURE(name);
    REQUIRE(fs::exists(dir.file(name)));
    auto perms = fs::status(dir.file(name)).permissions();
    CHECK((perms & (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none);
    CHECK((perms & fs::perms::owner_read) != fs::perms::none);
  }
}

TEST_CASE("issue 13: an index at schema 3 (Matrix peppers) upgrades to the private index, 004") {
  test::TempDir dir;
  const std::string path = dir.file("index.db");
  // An index as the build before private lookups left it: migrations 001 to 003, one mapping.
  std::string sql = "PRAGMA journal_mode=WAL; BEGIN;";
  for (const auto& m : schema::migrations()) {
    if (m.version <= 3) sql += std::string(m.sql) + "\n";
  }
  sql += "PRAGMA user_version=3;"
         "INSERT INTO mappings (identifier, provider, user, tags, keys, updated_at, expires_at, revision)"
         " VALUES ('tel:+1', 'a.example', 'mimi://a/1', '[]', '[]', 10, NULL, 3);"
         "COMMIT;";
  sql_value(path, sql);
  CHECK(schema::migrations().back().version == 4);
  CHECK(std::string(schema::migrations().back().name) == "004_private_index");

  auto store = SqliteStore::open(path, OpenMode::must_exist);
  REQUIRE(store.ok());
  CHECK((*store)->schema_version() == 4);
  std::vector<std::string> ids = {"tel:+1"};
  auto r = (*store)->lookup(ids, 100);
  REQUIRE(r.ok());
  CHECK((*r)[0].mappings.size() == 1);
  CHECK((*store)->peppers().ok());
  auto epochs = (*store)->private_epochs();
  REQUIRE(epochs.ok());
  CHECK(epochs->empty());
  CHECK(sql_value(path, "PRAGMA user_version") == "4");
}

TEST_CASE("issue 9: migration 002 keeps every mapping of an index written by schema 1") {
  test::TempDir dir;
  const std::string path = dir.file("index.db");
  // An index as schema 1 left it: a rowid table and its key in a separate index.
  const auto& first = schema::migrations().front();
  REQUIRE(first.version == 1);
  sql_value(path, "PRAGMA journal_mode=WAL; BEGIN;" + std::string(first.sql) +
                      "PRAGMA user_version=1;"
                      "INSERT INTO mappings (identifier, provider, user, tags, keys, updated_at,"
                      " expires_at, revision) VALUES"
                      " ('tel:+1', 'b.example', 'mimi://b/1', '[\"work\"]', '[]', 10, NULL, 3),"
                      " ('tel:+1', 'a.example', 'mimi://a/1', '[]',"
                      "  '[{\"kind\":\"ed25519\",\"id\":\"k1\",\"key\":\"AAAA\"}]', 11, 500, 4),"
                      " ('tel:+2', 'a.example', 'mimi://a/2', '[]', '[]', 12, 50, 5);"
                      "COMMIT;");

  auto store = SqliteStore::open(path, OpenMode::must_exist);
  REQUIRE(store.ok());
  CHECK((*store)->schema_version() >= 2);
  std::vector<std::string> ids = {"tel:+1", "tel:+2"};
  auto r = (*store)->lookup(ids, 100);
  REQUIRE(r.ok());
  const auto& one = (*r)[0].mappings;
  REQUIRE(one.size() == 2);
  CHECK(one[0].provider == "a.example");  // ordered by provider, user
  CHECK(one[0].user == "mimi://a/1");
  CHECK(one[0].keys.size() == 1);
  CHECK(one[0].updated_at == 11);
  CHECK(one[0].expires_at == 500);
  CHECK(one[0].revision == 4);
  CHECK(one[1].provider == "b.example");
  CHECK(one[1].tags == std::vector<std::string>{"work"});
  CHECK_FALSE(one[1].expires_at.has_value());
  CHECK((*r)[1].mappings.empty());  // expired at 50
  CHECK((*(*store)->stats()).mappings == 3);

  // One B-tree keyed by (identifier, provider, user): no rowid table, no second index.
  const std::string table = sql_value(path, "SELECT sql FROM sqlite_schema WHERE name = 'mappings'");
  CHECK(table.find("WITHOUT ROWID") != std::string::npos);
  CHECK(sql_value(path, "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'index'"
                        " AND tbl_name = 'mappings'") == "0");
  CHECK(sql_value(path, "PRAGMA integrity_check") == "ok");
  // The key is still unique, and writes go on after the migration.
  REQUIRE((*store)->upsert_mappings({mapping("tel:+1", "a.example", "mimi://a/1")}).ok());
  CHECK((*(*store)->stats()).mappings == 3);
}

TEST_CASE("issue 9: lookup connections cache a working set, a scan and the WAL stay small") {
  test::TempDir dir;
  auto store = open_index(dir);
  const std::string path = dir.file("index.db");
  CHECK(pragma(path, ConnectionUse::lookups, "PRAGMA cache_size") ==
        -(SqliteConnection::kLookupCacheBytes >> 10));
  CHECK(pragma(path, ConnectionUse::scan, "PRAGMA cache_size") == -2000);  // SQLite's default
  CHECK(pragma(path, ConnectionUse::scan, "PRAGMA journal_size_limit") == 64 << 20);
  // Durability as DESIGN §6.1 documents it, on both kinds.
  CHECK(pragma(path, ConnectionUse::lookups, "PRAGMA synchronous") == 1);  // NORMAL
  CHECK(pragma(path, ConnectionUse::scan, "PRAGMA synchronous") == 1);
  // All of SQLite's memory in the process is held near the budget, whatever the connections.
  CHECK(sqlite3_soft_heap_limit64(-1) == SqliteConnection::kMemoryBudgetBytes);
  // An import's cache is added to the budget while it runs, and taken back when it ends.
  {
    auto session = store->begin_import();
    REQUIRE(session.ok());
    CHECK(sqlite3_soft_heap_limit64(-1) ==
          SqliteConnection::kMemoryBudgetBytes + SqliteConnection::kImportCacheBytes);
    REQUIRE((*session)->put_mapping(mapping("tel:+1", "a.example", "mimi://a/1")).ok());
    REQUIRE((*session)->commit().ok());
  }
  CHECK(sqlite3_soft_heap_limit64(-1) == SqliteConnection::kMemoryBudgetBytes);
}

TEST_CASE("issue 9: the answer cache serves repeated lookups and sees every commit at once") {
  test::TempDir dir;
  auto writer = open_index(dir);  // another connection, as discoveryctl or another process is
  REQUIRE(writer->upsert_mappings({mapping("tel:+15550000001", "a.example", "mimi://a.example/u/1")}).ok());
  auto opened = SqliteStore::open(dir.file("index.db"), OpenMode::must_exist, 100);
  REQUIRE(opened.ok());
  SqliteStore& reader = **opened;
  const std::vector<std::string> id = {"tel:+15550000001"};
  auto mappings_now = [&](UnixTime now) {
    auto a = reader.lookup(id, now);
    REQUIRE(a.ok());
    return a->front();
  };

  CHECK(mappings_now(500).mappings.size() == 1);  // read from the index, then kept
  CHECK(reader.cached_answers() == 0);
  CHECK(mappings_now(500).mappings.size() == 1);
  CHECK(reader.cached_answers() == 1);

  // Commits by another connection are seen by the very next lookup, not a moment later.
  REQUIRE(writer->upsert_mappings({mapping("tel:+15550000001", "b.example", "mimi://b.example/u/1")}).ok());
  LocalAnswer a = mappings_now(500);
  REQUIRE(a.mappings.size() == 2);
  CHECK(a.mappings[1].provider == "b.example");
  REQUIRE(writer->add_optout("tel:+15550000001", 600).ok());
  CHECK(mappings_now(600).opted_out);
  CHECK(mappings_now(600).opted_out);  // the opt-out itself is served from the cache
  const std::uint64_t hits = reader.cached_answers();
  CHECK(hits == 2);
  // A commit through the stock API, outside any Store, as well.
  CHECK(sql_value(dir.file("index.db"), "DELETE FROM optouts; SELECT changes()") == "1");
  CHECK_FALSE(mappings_now(600).opted_out);
  CHECK(reader.cached_answers() == hits);

  // A mapping that expires is not served past its expiry, though nothing was written.
  REQUIRE(writer->upsert_mappings({mapping("tel:+15550000002", "a.example", "mimi://a.example/u/2", 1000)}).ok());
  const std::vector<std::string> expiring = {"tel:+15550000002"};
  CHECK(reader.lookup(expiring, 900)->front().mappings.size() == 1);
  CHECK(reader.lookup(expiring, 999)->front().mappings.size() == 1);
  CHECK(reader.lookup(expiring, 1000)->front().mappings.empty());
  CHECK(reader.lookup(expiring, 1000)->front().mappings.empty());

  // A batch mixes answers from the cache with answers read now, each in its place.
  REQUIRE(writer->upsert_mappings({mapping("tel:+15550000003", "c.example", "mimi://c.example/u/3")}).ok());
  CHECK(reader.lookup(id, 900)->front().mappings.empty());  // opted out, then lifted: no mappings
  const std::uint64_t before = reader.cached_answers();
  auto batch = reader.lookup(std::vector<std::string>{"tel:+15550000003", "tel:+15550000001", "tel:+15550000002"}, 900);
  REQUIRE(batch.ok());
  REQUIRE(batch->size() == 3);
  REQUIRE((*batch)[0].mappings.size() == 1);
  CHECK((*batch)[0].mappings[0].provider == "c.example");
  CHECK((*batch)[1].mappings.empty());
  CHECK_FALSE((*batch)[1].opted_out);
  REQUIRE((*batch)[2].mappings.size() == 1);
  CHECK((*batch)[2].mappings[0].identifier == "tel:+15550000002");
  CHECK(reader.cached_answers() == before + 1);
}

TEST_CASE("issue 9: an index opened with 0 answer cache entries reads the index on every lookup") {
  test::TempDir dir;
  open_index(dir);
  auto none = SqliteStore::open(dir.file("index.db"), OpenMode::must_exist, 0);
  REQUIRE(none.ok());
  const std::vector<std::string> id = {"tel:+15550000001"};
  for (int i = 0; i < 3; ++i) REQUIRE((*none)->lookup(id, 1).ok());
  CHECK((*none)->cached_answers() == 0);
}
