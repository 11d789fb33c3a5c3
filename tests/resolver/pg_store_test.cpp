// Tests for resolver/pg_store.hpp beyond the Store conformance suite: a database without an
// index, a newer schema, the pool's bound, losing PostgreSQL and getting it back, values that
// need escaping in arrays and COPY text, and an import's hashes meeting a concurrent write's.
// On a real PostgreSQL (tests/support/).
#include "resolver/pg_store.hpp"
#include "resolver/pepper.hpp"
#include "schema/embedded.hpp"

#include <doctest/doctest.h>

#include <libpq-fe.h>

#include <atomic>
#include <cstdlib>
#include <limits>
#include <chrono>
#include <thread>
#include <vector>

#include "tests/resolver/store_conformance.hpp"
#include "tests/support/postgres_server.hpp"

using namespace resolver;

namespace {

std::unique_ptr<PgStore> open_new(const std::string& uri, std::size_t pool_size = 8) {
  auto store = PgStore::open(uri, OpenMode::create_if_missing, {.pool_size = pool_size});
  REQUIRE_MESSAGE(store.ok(), store.status().message());
  return std::move(*store);
}

}  // namespace

TEST_CASE("PostgresServer: without PostgreSQL's binaries the tests fail and say what to install") {
  setenv("MIMI_POSTGRES_BIN", "/nonexistent/", 1);
  CHECK_THROWS_WITH(test::PostgresServer(),
                    "PostgreSQL 15 is not installed (/nonexistent/postgres is missing); run "
                    "scripts/setup.sh, which installs the postgresql package, then run the tests "
                    "again");
  unsetenv("MIMI_POSTGRES_BIN");
}

TEST_CASE("PgStore: must_exist on a database without an index is not_found and creates nothing") {
  test::PostgresServer& server = test::PostgresServer::shared();
  const std::string uri = server.create_database();
  auto store = PgStore::open(uri, OpenMode::must_exist);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().code() == Code::not_found);
  CHECK(store.status().message().find("init --issuer") != std::string::npos);
  const std::string name = uri.substr(uri.rfind('/') + 1);
  CHECK(server.query(name, "SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public'") == "0\n");
  // Every embedded migration is applied at once, the newest last.
  const int newest = schema::pg_migrations().back().version;
  CHECK(newest == 3);  // 001 initial, 002 Matrix peppers, 003 the private index
  CHECK(open_new(uri)->schema_version() == newest);
  CHECK(server.query(name, "SELECT MAX(version) FROM schema_migrations") == std::to_string(newest) + "\n");
}

TEST_CASE("PgStore: an index at schema 2 (Matrix peppers) upgrades to the private index, 003") {
  test::PostgresServer& server = test::PostgresServer::shared();
  const std::string uri = server.create_database();
  const std::string name = uri.substr(uri.rfind('/') + 1);
  // A database as the build before private lookups left it: migrations 001 and 002.
  std::string sql = "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL);";
  for (const auto& m : schema::pg_migrations()) {
    if (m.version > 2) continue;
    sql += std::string(m.sql) + ";\nINSERT INTO schema_migrations (version, name) VALUES (" +
           std::to_string(m.version) + ", '" + std::string(m.name) + "');";
  }
  server.query(name, sql);
  CHECK(std::string(schema::pg_migrations().back().name) == "003_private_index");
  auto store = PgStore::open(uri, OpenMode::create_if_missing);
  REQUIRE_MESSAGE(store.ok(), store.status().message());
  CHECK((*store)->schema_version() == 3);
  CHECK((*store)->peppers().ok());
  auto epochs = (*store)->private_epochs();
  REQUIRE(epochs.ok());
  CHECK(epochs->empty());
  CHECK(server.query(name, "SELECT string_agg(name, ',' ORDER BY version) FROM schema_migrations") ==
        "001_initial,002_matrix_peppers,003_private_index\n");
}

TEST_CASE("PgStore: a schema newer than the build is failed_precondition") {
  test::PostgresServer& server = test::PostgresServer::shared();
  const std::string uri = server.create_database();
  open_new(uri);
  server.query(uri.substr(uri.rfind('/') + 1),
               "INSERT INTO schema_migrations (version, name) VALUES (999, '999_future')");
  auto store = PgStore::open(uri, OpenMode::must_exist);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().code() == Code::failed_precondition);
  CHECK(store.status().message().find("upgrade the binaries") != std::string::npos);
}

TEST_CASE("PgStore: identifiers and users that need escaping round-trip through lookups and imports") {
  const auto store = open_new(test::PostgresServer::shared().create_database());
  const std::vector<std::string> odd = {"acct:a\"b@x.example", "acct:a\\b@x.example",
                                        "acct:a,b}{@x.example", "acct:NULL@x.example"};
  std::vector<Mapping> written;
  for (const std::string& id : odd) written.push_back(test::mapping(id, "a.example", "u\t1\n\\"));
  REQUIRE(store->upsert_mappings(written).ok());
  auto session = store->begin_import();
  REQUIRE(session.ok());
  REQUIRE((*session)->expect(odd).ok());
  for (const std::string& id : odd)
    CHECK(*(*session)->put_mapping(test::mapping(id, "b.example", "v\\N\r")) == Upsert::inserted);
  REQUIRE((*session)->commit().ok());
  auto answers = store->lookup(odd, 0);
  REQUIRE(answers.ok());
  for (std::size_t i = 0; i < odd.size(); ++i) {
    CAPTURE(odd[i]);
    REQUIRE((*answers)[i].mappings.size() == 2);
    CHECK((*answers)[i].mappings[0].user == "u\t1\n\\");
    CHECK((*answers)[i].mappings[1].user == "v\\N\r");
    CHECK((*answers)[i].mappings[0].identifier == odd[i]);
  }
}

TEST_CASE("PgStore: an import's counts follow the index when expect() announced the identifiers") {
  const auto store = open_new(test::PostgresServer::shared().create_database());
  REQUIRE(store->upsert_mappings({test::mapping("tel:+1", "a.example", "u"),
                                  test::mapping("tel:+2", "a.example", "u")})
              .ok());
  auto session = store->begin_import();
  REQUIRE(session.ok());
  const std::vector<std::string> ids = {"tel:+1", "tel:+2", "tel:+3"};
  REQUIRE((*session)->expect(ids).ok());
  CHECK(*(*session)->put_mapping(test::mapping("tel:+1", "a.example", "u")) == Upsert::updated);
  CHECK(*(*session)->put_mapping(test::mapping("tel:+3", "a.example", "u")) == Upsert::inserted);
  CHECK(*(*session)->put_optout("tel:+2", 5) == 1);
  CHECK(*(*session)->put_mapping(test::mapping("tel:+2", "a.example", "u")) == Upsert::inserted);
  CHECK(*(*session)->put_mapping(test::mapping("tel:+3", "a.example", "u")) == Upsert::updated);
  REQUIRE((*session)->commit().ok());
  const Stats stats = *store->stats();
  CHECK(stats.mappings == 3);
  CHECK(stats.optouts == 1);
  CHECK(store->lookup(ids, 0)->at(1).opted_out);
}

TEST_CASE("PgStore: an import's new identifier whose hash a concurrent write stored meanwhile still imports") {
  const auto store = open_new(test::PostgresServer::shared().create_database());
  REQUIRE(*store->rotate_pepper(100, std::numeric_limits<UnixTime>::min()));
  const std::string pepper = store->peppers()->front().value;
  auto session = store->begin_import();
  REQUIRE(session.ok());
  const std::vector<std::string> ids = {"tel:+15550001", "tel:+15550002", "mailto:c@example.com"};
  REQUIRE((*session)->expect(ids).ok());  // none has a mapping yet
  // Another connection writes one of them, with its hash, before the import commits: the
  // import's COPY of the new identifiers' hashes meets that row and must not fail.
  REQUIRE(*store->upsert_mappings({test::mapping("tel:+15550002", "b.example", "w")}) == 1);
  for (const std::string& id : ids) REQUIRE((*session)->put_mapping(test::mapping(id, "a.example", "u")).ok());
  REQUIRE((*session)->commit().ok());
  const std::vector<std::string> hashes = {matrix_hash("15550001", "msisdn", pepper),
                                           matrix_hash("15550002", "msisdn", pepper),
                                           matrix_hash("c@example.com", "email", pepper)};
  CHECK(*store->identifiers_by_hash(pepper, hashes) == ids);
  CHECK(store->stats()->mappings == 4);
}

TEST_CASE("PgStore: the pool never opens more than pool_size connections") {
  test::PostgresServer& server = test::PostgresServer::shared();
  const std::string uri = server.create_database();
  const std::string name = uri.substr(uri.rfind('/') + 1);
  const auto store = open_new(uri, 2);
  std::atomic<int> failures = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 30; ++i)
        if (!store->check().ok()) ++failures;
    });
  for (std::thread& t : threads) t.join();
  CHECK(failures == 0);
  const int open = std::stoi(server.query(
      "postgres", "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = '" + name + "'"));
  CHECK(open >= 1);
  CHECK(open <= 2);
}

TEST_CASE("PgStore: PostgreSQL down is unavailable, and the pool reconnects once it is back") {
  test::PostgresServer server;  // its own server: this one is stopped
  const std::string uri = server.create_database();
  const auto store = open_new(uri);
  REQUIRE(store->upsert_mappings({test::mapping("tel:+1", "a.example", "u")}).ok());
  const std::string id = "tel:+1";
  REQUIRE(store->lookup({&id, 1}, 0).ok());  // a pooled connection now exists
  auto import = store->begin_import();  // cut off by the stop below: none of it may land
  REQUIRE(import.ok());
  REQUIRE((*import)->put_mapping(test::mapping("tel:+3", "a.example", "u")).ok());
  server.stop();
  CHECK((*import)->commit().code() == Code::unavailable);
  import->reset();
  auto down = store->lookup({&id, 1}, 0);
  REQUIRE_FALSE(down.ok());
  CHECK(down.status().code() == Code::unavailable);
  CHECK(down.status().message().find("PostgreSQL") != std::string::npos);
  CHECK(store->check().code() == Code::unavailable);
  CHECK(store->upsert_mappings({test::mapping("tel:+2", "a.example", "u")}).status().code() ==
        Code::unavailable);
  server.start();
  auto back = store->lookup({&id, 1}, 0);
  REQUIRE_MESSAGE(back.ok(), back.status().message());
  CHECK(back->at(0).mappings.size() == 1);  // committed before the stop: kept
  CHECK(store->check().ok());
  CHECK(store->stats()->mappings == 1);  // the cut import left nothing
}

TEST_CASE("PgStore: secret() gives every store on one database the same value, even racing") {
  const std::string uri = test::PostgresServer::shared().create_database();
  const auto a = open_new(uri);
  const auto b = open_new(uri);
  std::string from_a, from_b;
  std::thread ta([&] { from_a = *a->secret("rate_limiter"); });
  std::thread tb([&] { from_b = *b->secret("rate_limiter"); });
  ta.join();
  tb.join();
  CHECK(from_a.size() == 32);
  CHECK(from_a == from_b);
  CHECK(*a->secret("other") != from_a);
}

TEST_CASE("PgStore: a pooled connection the server dropped is replaced without an error") {
  test::PostgresServer& server = test::PostgresServer::shared();
  const std::string uri = server.create_database();
  const std::string name = uri.substr(uri.rfind('/') + 1);
  const auto store = open_new(uri, 1);
  REQUIRE(store->check().ok());
  CHECK(server.query("postgres", "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity"
                                 " WHERE datname = '" + name + "'") == "1\n");
  // The server told the idle connection before closing it, so the pool sees it gone.
  for (int i = 0; i < 50 && server.query("postgres", "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = '" +
                                                         name + "'") != "0\n";
       ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  // A backend leaves pg_stat_activity before its process exits and closes the socket: give the
  // close time to reach this side (without it the test failed about one run in twenty).
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(store->check().ok());
  CHECK(store->upsert_mappings({test::mapping("tel:+1", "a.example", "u")}).ok());
}

TEST_CASE("PgStore: a statement not answered in time is unavailable, and the next call works") {
  const std::string uri = test::PostgresServer::shared().create_database();
  auto opened = PgStore::open(uri, OpenMode::create_if_missing, {.pool_size = 2, .answer_timeout_ms = 300});
  REQUIRE(opened.ok());
  PgStore& store = **opened;
  REQUIRE(store.upsert_mappings({test::mapping("tel:+1", "a.example", "u")}).ok());
  const std::string id = "tel:+1";
  // Another session holds the table: the lookup waits on its lock, as on a stuck server.
  PGconn* locker = PQconnectdb(uri.c_str());
  REQUIRE(PQstatus(locker) == CONNECTION_OK);
  PQclear(PQexec(locker, "BEGIN"));
  PQclear(PQexec(locker, "LOCK TABLE mappings"));
  const auto start = std::chrono::steady_clock::now();
  auto stuck = store.lookup({&id, 1}, 0);
  const auto waited = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(stuck.ok());
  CHECK(stuck.status().code() == Code::unavailable);
  CHECK(stuck.status().message() ==
        "reading the index failed: PostgreSQL did not answer within 300 ms; try again");
  CHECK(waited < std::chrono::seconds(3));
  PQclear(PQexec(locker, "ROLLBACK"));
  PQfinish(locker);
  auto again = store.lookup({&id, 1}, 0);
  REQUIRE_MESSAGE(again.ok(), again.status().message());
  CHECK(again->at(0).mappings.size() == 1);
}
