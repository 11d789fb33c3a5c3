// Tests of what only SqliteStore does, on a temporary file: opening, migrations, WAL readers, the
// stock integrity check, persistence across reopen. The Store contract itself is the conformance
// suite (store_conformance.hpp), which runs on SqliteStore too.
#include "resolver/sqlite_store.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <filesystem>

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
