// End-to-end tests of the rate limiter in the real discoveryd (DESIGN.md §7, issue 5): anonymous
// bursts get 429 with the headers, a second source address has its own bucket, a batch over the
// burst of its caller's role (anonymous or client token) is 413, a client token's distinct budget
// is enforced while repeats pass, and budgets hold across a restart.
#include <doctest/doctest.h>
#include <signal.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "server_fixture.hpp"

using nlohmann::json;

namespace {

constexpr const char* kConfig = R"({"rate_limits": {
  "anonymous": {"rate": 0.001, "burst": 5, "distinct_per_day": 1000},
  "client": {"rate": 1000, "burst": 1000, "distinct_per_day": 3}}})";

std::string code_of(const httplib::Result& r) { return json::parse(r->body)["error"]["code"]; }

std::string batch(int from, int to) {
  json ids = json::array();
  for (int i = from; i < to; ++i) ids.push_back("+1415555" + std::to_string(1000 + i));
  return json{{"identifiers", ids}}.dump();
}

// Checks that `r` is the 413 of a batch of `size` identifiers over a burst of `burst`: the
// message names the largest batch, no Retry-After (a client honouring it would retry forever).
void check_batch_over_burst(const httplib::Result& r, int size, int burst) {
  REQUIRE(r);
  CHECK(r->status == 413);
  CHECK(code_of(r) == "payload_too_large");
  CHECK(json::parse(r->body)["error"]["message"] ==
        "A batch of " + std::to_string(size) + " identifiers can never pass: this caller may send at most " +
            std::to_string(burst) + " identifiers at once (its burst); split it into batches of at most " +
            std::to_string(burst) + ".");
  CHECK_FALSE(r->has_header("Retry-After"));
  CHECK(r->get_header_value("RateLimit-Limit") == std::to_string(burst));
}

}  // namespace

TEST_CASE("issue 14: an anonymous batch over the burst is 413 naming the largest batch, and the limits are advertised") {
  test::DemoIndex demo;
  test::Server server(demo.db, demo.config(kConfig));
  auto c = test::client_for(server);
  // /.well-known/mimi-discovery says what each role may send before a client meets a limit.
  auto meta = json::parse(c->Get("/.well-known/mimi-discovery")->body);
  CHECK(meta["rate_limits"]["anonymous"] == json{{"rate", 0.001}, {"burst", 5}, {"distinct_per_day", 1000}, {"max_batch", 5}});
  CHECK(meta["rate_limits"]["client"]["max_batch"] == 1000);
  CHECK(meta["rate_limits"]["admin"]["distinct_per_day"] == 0);
  // A batch of 6 can never pass under a burst of 5: 413, no Retry-After (a client honouring it
  // would retry forever), and nothing charged.
  auto r = c->Post("/v1/lookup", batch(0, 6), "application/json");
  check_batch_over_burst(r, 6, 5);
  auto fits = c->Post("/v1/lookup", batch(0, 5), "application/json");
  REQUIRE(fits);
  CHECK(fits->status == 200);
}

TEST_CASE("ratelimit: a client token's batch over its role's burst is 413 naming the largest batch") {
  // Only the client's burst is set: its rate (200) and budget keep their defaults, and the
  // anonymous role keeps its burst of 40, so a 9-identifier batch is refused only if the limiter
  // applies the client role's own burst to a caller with a client token.
  test::DemoIndex demo;
  test::Server server(demo.db, demo.config(R"({"rate_limits": {"client": {"burst": 3}}})"));
  auto c = test::client_for(server);
  auto auth = test::bearer(demo.client);
  auto meta = json::parse(c->Get("/.well-known/mimi-discovery")->body);
  CHECK(meta["rate_limits"]["client"]["burst"] == 3);
  CHECK(meta["rate_limits"]["client"]["max_batch"] == 3);
  CHECK(meta["rate_limits"]["anonymous"]["burst"] == 40);

  auto r = c->Post("/v1/lookup", auth, batch(0, 9), "application/json");
  check_batch_over_burst(r, 9, 3);
  CHECK(r->get_header_value("RateLimit-Remaining") == "3");  // a rejected request consumes nothing

  auto fits = c->Post("/v1/lookup", auth, batch(0, 3), "application/json");
  REQUIRE(fits);
  CHECK(fits->status == 200);
  CHECK(json::parse(fits->body)["results"].size() == 3);
  CHECK(fits->get_header_value("RateLimit-Limit") == "3");

  // The same batch without the token is the anonymous role's: under its burst of 40.
  CHECK(c->Post("/v1/lookup", batch(0, 9), "application/json")->status == 200);
  auto m = c->Get("/metrics");
  REQUIRE(m);
  CHECK(m->body.find("discovery_rate_limited_total{role=\"client\",code=\"payload_too_large\"} 1") !=
        std::string::npos);
}

TEST_CASE("ratelimit: a config giving rate_limits twice stops the start instead of dropping the client's burst") {
  // JSON keeps the last of two equal keys: the first "rate_limits" (the client's burst of 3) would
  // be lost without a word and a client token could send 400 identifiers at once.
  test::DemoIndex demo;
  auto config = demo.config(R"({"rate_limits": {"client": {"burst": 3}}, "max_batch": 500,
    "rate_limits": {"enabled": true}})");
  test::RunResult r = test::run({test::bin("discoveryd"), "--db", demo.db, "--listen", "127.0.0.1:0",
                                 config[0], config[1]});
  CHECK(r.exit_code == 1);
  CHECK(r.out.find("listening on") == std::string::npos);
  CHECK(r.err.find("config key \"rate_limits\" is given twice, and only the last would count; merge them into one.") !=
        std::string::npos);
}

TEST_CASE("ratelimit: an anonymous burst gets 429 with Retry-After and RateLimit headers") {
  test::DemoIndex demo;
  test::Server server(demo.db, demo.config(kConfig));
  auto c = test::client_for(server);
  for (int i = 0; i < 5; ++i) {
    auto r = c->Get("/v1/lookup?id=%2B14155552671");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->get_header_value("RateLimit-Limit") == "5");
    CHECK(r->get_header_value("RateLimit-Remaining") == std::to_string(4 - i));
    CHECK(r->has_header("RateLimit-Reset"));
  }
  auto r = c->Get("/v1/lookup?id=%2B14155552671");
  REQUIRE(r);
  CHECK(r->status == 429);
  CHECK(code_of(r) == "rate_limited");
  CHECK(std::stoll(r->get_header_value("Retry-After")) >= 900);  // one unit at 0.001/s
  CHECK(r->get_header_value("RateLimit-Remaining") == "0");
  CHECK(r->has_header("RateLimit-Limit"));
  CHECK(r->has_header("RateLimit-Reset"));
  // A batch is no way around it, and operations are not limited.
  CHECK(c->Post("/v1/lookup", batch(0, 2), "application/json")->status == 429);
  CHECK(c->Get("/healthz")->status == 200);
  CHECK(c->Get("/.well-known/mimi-discovery")->status == 200);
  auto m = c->Get("/metrics");
  REQUIRE(m);
  CHECK(m->body.find("discovery_rate_limited_total{role=\"anonymous\",code=\"rate_limited\"} 2") !=
        std::string::npos);

  SUBCASE("a second source address has its own bucket") {
    httplib::Client other("127.0.0.1", server.port());
    other.set_interface("127.0.0.2");  // binds the client socket to this source address
    other.set_connection_timeout(5, 0);
    auto o = other.Get("/v1/lookup?id=%2B14155552671");
    REQUIRE(o);
    CHECK(o->status == 200);
    CHECK(o->get_header_value("RateLimit-Remaining") == "4");
    CHECK(c->Get("/v1/lookup?id=%2B14155552671")->status == 429);  // the first is still limited
  }
  SUBCASE("a batch larger than the burst is 413 and says to split it") {
    httplib::Client other("127.0.0.1", server.port());
    other.set_interface("127.0.0.3");
    auto o = other.Post("/v1/lookup", batch(0, 6), "application/json");
    REQUIRE(o);
    CHECK(o->status == 413);
    CHECK(json::parse(o->body)["error"]["message"].get<std::string>().find("split") !=
          std::string::npos);
  }
}

TEST_CASE(
    "ratelimit: a client's distinct budget is enforced, repeats pass, and it survives a restart") {
  test::DemoIndex demo;
  auto config = demo.config(kConfig);
  auto auth = test::bearer(demo.client);
  {
    test::Server server(demo.db, config);
    auto c = test::client_for(server);
    auto r = c->Post("/v1/lookup", auth, batch(0, 3), "application/json");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->get_header_value("RateLimit-Limit") == "3");  // the budget is the closer limit
    CHECK(r->get_header_value("RateLimit-Remaining") == "0");
    auto over = c->Post("/v1/lookup", auth, batch(3, 4), "application/json");
    REQUIRE(over);
    CHECK(over->status == 429);
    CHECK(code_of(over) == "quota_exceeded");
    long long retry = std::stoll(over->get_header_value("Retry-After"));
    CHECK(retry > 86000);
    CHECK(retry <= 86400);
    for (int i = 0; i < 5; ++i)
      CHECK(c->Post("/v1/lookup", auth, batch(0, 3), "application/json")->status == 200);
    CHECK(c->Get("/v1/lookup?id=%2B14155551001", auth)->status == 200);  // one of the three
    // A mixed batch with one new identifier is rejected whole.
    CHECK(c->Post("/v1/lookup", auth, batch(1, 4), "application/json")->status == 429);
    auto m = c->Get("/metrics");
    CHECK(m->body.find("discovery_rate_limited_total{role=\"client\",code=\"quota_exceeded\"} 2") !=
          std::string::npos);
    CHECK(server.process().stop(SIGTERM) == 0);
  }
  REQUIRE(std::filesystem::exists(demo.db + ".ratelimit"));
  {
    test::Server server(demo.db, config);
    auto c = test::client_for(server);
    auto over = c->Post("/v1/lookup", auth, batch(3, 4), "application/json");
    REQUIRE(over);
    CHECK(over->status == 429);
    CHECK(code_of(over) == "quota_exceeded");
    CHECK(c->Post("/v1/lookup", auth, batch(0, 3), "application/json")->status == 200);
    CHECK(server.process().stop(SIGTERM) == 0);
  }
  // A corrupt snapshot is logged and ignored: the server starts with empty budgets.
  test::write_file(demo.db + ".ratelimit", "garbage");
  test::Server server(demo.db, config);
  auto c = test::client_for(server);
  CHECK(c->Post("/v1/lookup", auth, batch(3, 4), "application/json")->status == 200);
}

TEST_CASE("ratelimit: \"enabled\": false admits everything without RateLimit headers") {
  test::DemoIndex demo;
  test::Server server(demo.db, demo.config(R"({"rate_limits": {"enabled": false,
    "anonymous": {"rate": 0.001, "burst": 1, "distinct_per_day": 1}}})"));
  auto c = test::client_for(server);
  for (int i = 0; i < 10; ++i) {
    auto r = c->Post("/v1/lookup", batch(i * 3, i * 3 + 3), "application/json");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK_FALSE(r->has_header("RateLimit-Limit"));
  }
}
