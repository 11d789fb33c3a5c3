// End-to-end tests of shared rate limits (DESIGN.md §10, issue 11): two real discoveryd nodes on
// one SQLite index and one real redis-server share each caller's distinct budget; Redis killed
// gives redis_failure "closed" (503 with Retry-After for budget roles, counted in /metrics,
// logged once) and Redis restarted brings sharing back without restarting the nodes; nothing in
// Redis is in clear and every key has a TTL. And trusted_proxies (§7): anonymous callers behind a
// trusted proxy keep separate limits, an untrusted peer's X-Forwarded-For is ignored.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "server_fixture.hpp"
#include "tests/support/redis_server.hpp"

using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// A discoveryd whose stderr goes to a file, so that a test can count its log lines.
struct Node {
  Node(const std::string& db, const std::vector<std::string>& config, const std::string& log) : log(log) {
    std::vector<std::string> argv = {test::bin("discoveryd"), "--db", db, "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), config.begin(), config.end());
    process = std::make_unique<test::Process>(argv, log);
    std::string line = process->wait_for_line("listening on ");
    REQUIRE_FALSE(line.empty());
    port = std::stoi(line.substr(line.rfind(':') + 1));
    client = std::make_unique<httplib::Client>("127.0.0.1", port);
    client->set_connection_timeout(5, 0);
    client->set_read_timeout(10, 0);
  }
  std::size_t log_count(const std::string& needle) const {
    std::string text = test::read_file(log);
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
  }
  std::string log;
  std::unique_ptr<test::Process> process;
  int port = 0;
  std::unique_ptr<httplib::Client> client;
};

std::string batch(int from, int to) {
  json ids = json::array();
  for (int i = from; i < to; ++i) ids.push_back("+1415555" + std::to_string(1000 + i));
  return json{{"identifiers", ids}}.dump();
}

std::string code_of(const httplib::Result& r) { return json::parse(r->body)["error"]["code"]; }

}  // namespace

TEST_CASE("shared limits: two nodes, one Redis: a budget spent on node A is spent on node B") {
  test::DemoIndex demo;
  test::RedisServer redis;
  auto config = demo.config(R"({"rate_limits": {"redis": ")" + redis.url() + R"(",
      "anonymous": {"rate": 1000, "burst": 1000, "distinct_per_day": 4},
      "client": {"rate": 1000, "burst": 1000, "distinct_per_day": 0}}})");
  Node a(demo.db, config, demo.dir.file("a.log"));
  Node b(demo.db, config, demo.dir.file("b.log"));

  // Four new identifiers through A use the whole budget; one more through B is refused.
  auto spent = a.client->Post("/v1/lookup", batch(0, 4), "application/json");
  REQUIRE(spent);
  CHECK(spent->status == 200);
  CHECK(spent->get_header_value("RateLimit-Remaining") == "0");
  auto refused = b.client->Post("/v1/lookup", batch(4, 5), "application/json");
  REQUIRE(refused);
  CHECK(refused->status == 429);
  CHECK(code_of(refused) == "quota_exceeded");
  CHECK(std::stoll(refused->get_header_value("Retry-After")) > 80000);
  // Repeats stay free on either node.
  CHECK(b.client->Post("/v1/lookup", batch(1, 3), "application/json")->status == 200);

  SUBCASE("Redis killed: closed mode answers 503 for budget roles, logged once, counted; back when it returns") {
    redis.kill();
    for (int i = 0; i < 4; ++i) {
      auto r = b.client->Get("/v1/lookup?id=%2B14155552671");
      REQUIRE(r);
      CHECK(r->status == 503);
      CHECK(code_of(r) == "unavailable");
      CHECK(std::stoll(r->get_header_value("Retry-After")) >= 1);
    }
    // A client token has no distinct budget: its lookups go on with an in-process bucket.
    auto c = b.client->Get("/v1/lookup?id=%2B14155552671", test::bearer(demo.client));
    REQUIRE(c);
    CHECK(c->status == 200);
    auto m = b.client->Get("/metrics");
    REQUIRE(m);
    CHECK(m->body.find("discovery_rate_limiter_redis_up 0") != std::string::npos);
    CHECK(m->body.find("discovery_rate_limiter_redis_outages_total 1") != std::string::npos);
    CHECK(m->body.find("discovery_rate_limiter_without_redis_total{outcome=\"refused\"} 4") != std::string::npos);
    CHECK(m->body.find("discovery_rate_limited_total{role=\"anonymous\",code=\"unavailable\"} 4") != std::string::npos);
    CHECK(b.log_count("Rate limits are decided in process") == 1);

    redis.restart();  // empty: its keys were lost with it
    int status = 0;
    for (int i = 0; i < 100 && status != 200; ++i) {
      std::this_thread::sleep_for(100ms);
      status = b.client->Get("/v1/lookup?id=%2B14155552671")->status;
    }
    CHECK(status == 200);
    CHECK(b.log_count("Redis is reachable again") == 1);
    CHECK(b.client->Get("/metrics")->body.find("discovery_rate_limiter_redis_up 1") != std::string::npos);
    // Sharing is back: the identifier charged through B counts on A.
    auto on_a = a.client->Post("/v1/lookup", batch(10, 14), "application/json");
    REQUIRE(on_a);
    CHECK(on_a->status == 429);
    CHECK(code_of(on_a) == "quota_exceeded");
  }

  // Nothing in Redis is an identifier, a token or an address in clear, and every key expires.
  auto keys = redis.cli_lines({"--scan"});
  CHECK_FALSE(keys.empty());
  for (const auto& key : keys) {
    CAPTURE(key);
    for (const std::string& clear : {std::string("1415"), std::string("127.0.0.1"), std::string("token"),
                                     demo.client.substr(0, 12)}) {
      CHECK(key.find(clear) == std::string::npos);
    }
    CHECK(std::stoll(redis.cli({"PTTL", key})) > 0);
    if (redis.cli({"TYPE", key}) == "zset\n") {
      for (const auto& member : redis.cli_lines({"ZRANGE", key, "0", "-1"})) {
        CHECK(member.size() == 16);
        CHECK(member.find("1415") == std::string::npos);
      }
    }
  }
}

TEST_CASE("trusted_proxies: callers behind a trusted proxy keep separate limits, an untrusted peer's header is ignored") {
  test::DemoIndex demo;
  const char* limits = R"("rate_limits": {"anonymous": {"rate": 0.001, "burst": 2, "distinct_per_day": 0}})";
  auto lookup = [](httplib::Client& c, const char* forwarded_for) {
    return c.Get("/v1/lookup?id=%2B14155552671", httplib::Headers{{"X-Forwarded-For", forwarded_for}})->status;
  };
  SUBCASE("trusted: each forwarded address has its own bucket") {
    test::Server server(demo.db, demo.config(std::string("{") + limits + R"(, "trusted_proxies": ["127.0.0.0/8"]})"));
    auto c = test::client_for(server);
    for (int i = 0; i < 2; ++i) CHECK(lookup(*c, "198.51.100.1") == 200);
    CHECK(lookup(*c, "198.51.100.1") == 429);
    for (int i = 0; i < 2; ++i) CHECK(lookup(*c, "203.0.113.9, 198.51.100.2") == 200);
    CHECK(lookup(*c, "198.51.100.2") == 429);
    CHECK(lookup(*c, "not an address") == 200);  // malformed: the proxy's own address, a fresh bucket
  }
  SUBCASE("untrusted: the header is ignored and both share the connection's bucket") {
    test::Server server(demo.db, demo.config(std::string("{") + limits + R"(, "trusted_proxies": ["10.0.0.0/8"]})"));
    auto c = test::client_for(server);
    CHECK(lookup(*c, "198.51.100.1") == 200);
    CHECK(lookup(*c, "198.51.100.2") == 200);
    CHECK(lookup(*c, "198.51.100.3") == 429);
  }
}
