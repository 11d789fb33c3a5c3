// The Store conformance suite's stores and helpers (STYLE.md "every seam has one contract test
// suite"). The cases, written once, are TEST_CASE_TEMPLATEs over MIMI_STORES in
// store_mappings_conformance_test.cpp and store_registry_conformance_test.cpp; SQLite is the
// reference. A new Store adds a factory here and its name to MIMI_STORES. PgStore runs on a real
// PostgreSQL that the test process starts (tests/support/postgres_server.hpp).
#pragma once

#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <string>

#include "resolver/memory_store.hpp"
#include "resolver/pg_store.hpp"
#include "resolver/sqlite_store.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/process.hpp"

namespace test {

// A factory makes one empty, writable store; it owns what the store needs (a folder) and
// outlives the store it made.
struct SqliteFactory {
  TempDir dir;
  std::unique_ptr<resolver::Store> make() {
    auto store =
        resolver::SqliteStore::open(dir.file("index.db"), resolver::OpenMode::create_if_missing);
    REQUIRE(store.ok());
    return std::move(*store);
  }
};

// SqliteStore with its answer cache (SqliteAnswerCache): every case must hold with it as without.
struct CachedSqliteFactory {
  TempDir dir;
  std::unique_ptr<resolver::Store> make() {
    auto store = resolver::SqliteStore::open(dir.file("index.db"), resolver::OpenMode::create_if_missing,
                                             resolver::StoreOptions::kDefaultAnswerCache);
    REQUIRE(store.ok());
    return std::move(*store);
  }
};

// A new database on the test process's PostgreSQL server (tests/support/postgres_server.hpp).
struct PgFactory {
  std::string uri = PostgresServer::shared().create_database();
  std::unique_ptr<resolver::Store> make() {
    auto store = resolver::PgStore::open(uri, resolver::OpenMode::create_if_missing);
    REQUIRE_MESSAGE(store.ok(), store.status().message());
    return std::move(*store);
  }
};

struct MemoryFactory {
  std::unique_ptr<resolver::Store> make() { return std::make_unique<resolver::MemoryStore>(); }
};

// A mapping with one tag and one key, written at time 100.
inline resolver::Mapping mapping(const std::string& identifier, const std::string& provider,
                                 const std::string& user,
                                 std::optional<resolver::UnixTime> expires_at = std::nullopt) {
  resolver::Mapping m;
  m.identifier = identifier;
  m.provider = provider;
  m.user = user;
  m.tags = {"personal"};
  m.keys = {{"ed25519", "k1", "AAAA"}};
  m.updated_at = 100;
  m.expires_at = expires_at;
  return m;
}

}  // namespace test

// The names the cases are reported under: "store: ...<SqliteStore>".
TYPE_TO_STRING_AS("SqliteStore", test::SqliteFactory);
TYPE_TO_STRING_AS("SqliteStore with answer cache", test::CachedSqliteFactory);
TYPE_TO_STRING_AS("MemoryStore", test::MemoryFactory);
TYPE_TO_STRING_AS("PgStore", test::PgFactory);

#define MIMI_STORES test::SqliteFactory, test::CachedSqliteFactory, test::MemoryFactory, test::PgFactory
