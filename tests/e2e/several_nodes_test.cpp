// End-to-end tests of several nodes (DESIGN.md §10, issue 11) on the engines an operator runs: two
// real discoveryd nodes on one real PostgreSQL 15 and one real redis-server, both started by the
// tests. The nodes serve each other's writes and share every caller's budget, and neither Redis
// (every command it received) nor PostgreSQL's log holds an identifier or a token in clear. And a
// slow PostgreSQL (a table lock held elsewhere) stalls neither /healthz nor the requests that do
// not wait on it.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/e2e/server_fixture.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/redis_server.hpp"

using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::string batch(const std::vector<std::string>& ids) { return json{{"identifiers", ids}}.dump(); }

// What a secret looks like in text: none of `secrets` may appear in `text`.
void check_nothing_in_clear(const std::string& where, const std::string& text,
                            const std::vector<std::string>& secrets) {
  for (const std::string& s : secrets) {
    CAPTURE(where);
    CAPTURE(s);
    CHECK(text.find(s) == std::string::npos);
  }
}

}  // namespace

TEST_CASE("several nodes: two discoveryd on one PostgreSQL and one Redis share writes and budgets, "
          "and neither holds an identifier or a token in clear") {
  test::PostgresServer& postgres = test::PostgresServer::shared();
  test::DemoIndex demo(postgres.create_database());
  test::RedisServer redis;
  // Every command Redis receives from here on, to look for anything in clear.
  const std::string monitor_log = demo.dir.file("monitor.log");
  test::Process monitor({"/bin/sh", "-c", "exec stdbuf -oL redis-cli -p " + std::to_string(redis.port()) + " monitor 1>&2"},
                        monitor_log);
  for (int i = 0; i < 100 && test::read_file(monitor_log).find("OK") == std::string::npos; ++i)
    std::this_thread::sleep_for(20ms);
  REQUIRE(test::read_file(monitor_log).find("OK") != std::string::npos);
  auto config = demo.config(R"({"rate_limits": {"redis": ")" + redis.url() + R"(",
      "anonymous": {"rate": 1000, "burst": 1000, "distinct_per_day": 4}}})");
  test::Server a(demo.db, config);
  test::Server b(demo.db, config);
  auto to_a = test::client_for(a);
  auto to_b = test::client_for(b);

  // A write acknowledged by A is served by B at once: one index.
  const json put = {{"mappings", {{{"identifier", "carol@example.net"}, {"provider", "chat.example"},
                                   {"user", "mimi://chat.example/u/carol"}}}}};
  auto written = to_a->Put("/v1/admin/mappings", test::bearer(demo.admin), put.dump(), "application/json");
  REQUIRE(written);
  REQUIRE(written->status == 200);
  auto served = to_b->Get("/v1/lookup?id=carol@example.net");
  REQUIRE(served);
  REQUIRE(served->status == 200);
  CHECK(json::parse(served->body)["mappings"][0]["user"] == "mimi://chat.example/u/carol");

  // One anonymous budget of 4 distinct identifiers for both nodes: 1 spent on B, 3 on A, the
  // fifth refused by B.
  auto spent = to_a->Post("/v1/lookup", batch({"+14155551001", "+14155551002", "alice@example.com"}),
                          "application/json");
  REQUIRE(spent);
  CHECK(spent->status == 200);
  CHECK(spent->get_header_value("RateLimit-Remaining") == "0");
  auto refused = to_b->Post("/v1/lookup", batch({"+14155551003"}), "application/json");
  REQUIRE(refused);
  CHECK(refused->status == 429);
  CHECK(json::parse(refused->body)["error"]["code"] == "quota_exceeded");
  // A client's budget is its own, shared too, keyed by its token's hash.
  auto as_client = to_b->Get("/v1/lookup?id=%2B14155552671", test::bearer(demo.client));
  REQUIRE(as_client);
  CHECK(as_client->status == 200);
  CHECK(to_a->Get("/v1/lookup?id=%2B14155552671", test::bearer(demo.client))->status == 200);

  const std::vector<std::string> secrets = {"carol", "alice", "4155551001", "4155551002", "4155551003",
                                            "4155552671", demo.admin, demo.client};
  const std::vector<std::string> keys = redis.cli_lines({"--scan"});
  CHECK(keys.size() >= 2);  // the anonymous caller's and the client's budgets at least
  for (const std::string& key : keys) {
    CAPTURE(key);
    // Nothing stays for ever: every key has an expiry (PTTL -1 is a key without one). A token
    // bucket's expiry is about a second here, so it may already be gone (-2) on a slow machine,
    // and TTL, rounded to the nearest second, may say 0 for a key that lives on.
    CHECK(std::stoll(redis.cli({"pttl", key})) != -1);
  }
  std::this_thread::sleep_for(200ms);  // the last commands reach the monitor's file
  const std::string commands = test::read_file(monitor_log);
  CHECK(commands.find("\"EVALSHA\"") != std::string::npos);  // the limiter's script ran on this Redis
  check_nothing_in_clear("the commands Redis received", commands, secrets);
  check_nothing_in_clear("PostgreSQL's log", postgres.log(), secrets);
}

TEST_CASE("several nodes: a slow PostgreSQL stalls neither /healthz nor requests that do not wait on it") {
  test::PostgresServer& postgres = test::PostgresServer::shared();
  const std::string uri = postgres.create_database();
  const std::string database = uri.substr(uri.rfind('/') + 1);
  test::DemoIndex demo(uri);
  // One I/O thread: were lookups run on it, the first one waiting on PostgreSQL would hold every
  // other request back. Four workers, all taken by the four lookups below: /healthz has its own.
  test::Server node(demo.db, demo.config(R"({"threads": 1, "workers": {"threads": 4, "queue": 64}})"));

  // Another session holds the mappings table for 3 s, as a long migration or a stuck job would.
  std::thread holder([&] {
    postgres.query(database, "BEGIN; LOCK TABLE mappings IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(3); COMMIT");
  });
  const std::string held = "SELECT COUNT(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                           " WHERE c.relname = 'mappings' AND l.mode = 'AccessExclusiveLock' AND l.granted";
  for (int i = 0; i < 100 && postgres.query(database, held) != "1\n"; ++i) std::this_thread::sleep_for(20ms);
  REQUIRE(postgres.query(database, held) == "1\n");

  std::vector<int> statuses(4, 0);
  std::vector<std::thread> lookups;
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    lookups.emplace_back([&, i] {
      auto r = test::client_for(node)->Get("/v1/lookup?id=alice@example.com");
      statuses[i] = r ? r->status : 0;
    });
  }
  std::this_thread::sleep_for(300ms);  // the lookups now wait on the lock

  auto to_node = test::client_for(node);
  for (const char* path : {"/healthz", "/.well-known/mimi-discovery", "/openapi.json"}) {
    CAPTURE(path);
    const auto start = std::chrono::steady_clock::now();
    auto r = to_node->Get(path);
    const auto took = std::chrono::steady_clock::now() - start;
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(took < 500ms);
  }
  for (auto& t : lookups) t.join();
  holder.join();
  // The lookups waited, then were answered (within store.answer_timeout_ms).
  for (int status : statuses) CHECK(status == 200);
}
