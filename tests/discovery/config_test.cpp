// Unit tests of the config loader: defaults, overrides, and one sentence per bad file.
#include "discovery/config.hpp"

#include <doctest/doctest.h>

#include "tests/support/process.hpp"

TEST_CASE("config: empty object keeps every default of DESIGN.md §9") {
  auto c = discovery::parse_config("{}");
  REQUIRE(c.ok());
  CHECK(c->threads == 2);
  CHECK(c->max_batch == 1000);
  CHECK(c->max_body_bytes == 1048576);
  CHECK(c->assertion_ttl_s == 86400);
  CHECK(c->request_timeout_ms == 10000);
  CHECK(c->rate_limits.client.rate == 200);
  CHECK(c->rate_limits.admin.distinct_per_day == 0);
  CHECK(c->federation.peer_timeout_ms == 800);
  CHECK(c->federation.max_peer_response_bytes == 4194304);
  CHECK_FALSE(c->federation.anonymous);
  CHECK(c->store.pool_size == 8);
  CHECK(c->store.answer_timeout_ms == 5000);
  CHECK(c->web.enabled);
}

TEST_CASE("config: overrides") {
  auto c = discovery::parse_config(
      R"({"threads": 4, "max_batch": 10, "rate_limits": {"peer": {"burst": 5}}, "federation": {"anonymous": true},)"
      R"( "store": {"pool_size": 16, "answer_timeout_ms": 250}, "web": {"enabled": false}})");
  REQUIRE(c.ok());
  CHECK(c->threads == 4);
  CHECK(c->max_batch == 10);
  CHECK(c->rate_limits.peer.burst == 5);
  CHECK(c->rate_limits.peer.rate == 1000);
  CHECK(c->federation.anonymous);
  CHECK(c->store.pool_size == 16);
  CHECK(c->store.answer_timeout_ms == 250);
  CHECK_FALSE(c->web.enabled);
}

TEST_CASE("config: shared rate limits and trusted proxies (DESIGN.md §7, §10)") {
  auto defaults = discovery::parse_config("{}");
  REQUIRE(defaults.ok());
  CHECK(defaults->rate_limits.redis.empty());
  CHECK(defaults->rate_limits.redis_failure == discovery::RedisFailure::closed);
  CHECK(defaults->trusted_proxies.empty());
  auto c = discovery::parse_config(
      R"({"rate_limits": {"redis": "redis://10.1.2.3:6380/2", "redis_failure": "open"},
          "trusted_proxies": ["10.0.0.0/8", "2001:db8::/32"]})");
  REQUIRE(c.ok());
  CHECK(c->rate_limits.redis == "redis://10.1.2.3:6380/2");
  CHECK(c->rate_limits.redis_failure == discovery::RedisFailure::open);
  CHECK(c->trusted_proxies.contains("10.9.9.9"));
  CHECK(c->trusted_proxies.contains("2001:db8::7"));
  CHECK_FALSE(c->trusted_proxies.contains("192.0.2.1"));
}

TEST_CASE("config: bad files are invalid_request with the key named") {
  struct Case { const char* text; const char* needle; };
  const Case cases[] = {
      {"[", "not valid JSON"},
      {"[]", "JSON object"},
      {R"({"threads": "2"})", "\"threads\" must be an integer"},
      {R"({"threads": 0})", "\"threads\" must be between"},
      {R"({"max_batch": 1.5})", "\"max_batch\" must be an integer"},
      {R"({"thread": 2})", "\"thread\" is not a known setting"},
      {R"({"rate_limits": {"guest": {}}})", "rate_limits.guest"},
      {R"({"rate_limits": {"client": {"rate": -1}}})", "rate_limits.client.rate"},
      {R"({"federation": {"anonymous": 1}})", "federation.anonymous"},
      {R"({"store": {"pool_size": 0}})", "\"store.pool_size\" must be between 1 and 1000"},
      {R"({"store": {"pool": 4}})", "\"store.pool\" is not a known setting"},
      {R"({"rate_limits": {"redis": "localhost:6379"}})", "\"rate_limits.redis\" must start with redis://"},
      {R"({"rate_limits": {"redis": 6379}})", "\"rate_limits.redis\" must be a URL"},
      {R"({"rate_limits": {"redis_failure": "ignore"}})", "\"rate_limits.redis_failure\" must be \"closed\" or \"open\""},
      {R"({"trusted_proxies": "10.0.0.0/8"})", "\"trusted_proxies\" must be a list"},
      {R"({"trusted_proxies": [8]})", "\"trusted_proxies\" must hold strings"},
      {R"({"trusted_proxies": ["10.0.0.0/40"]})", "\"10.0.0.0/40\" is not an IPv4 or IPv6 CIDR"},
      {R"({"web": true})", "\"web\" must be an object"},
      {R"({"web": {"enabled": "no"}})", "\"web.enabled\" must be true or false"},
      {R"({"web": {"path": "/"}})", "\"web.path\" is not a known setting"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto r = discovery::parse_config(c.text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == resolver::Code::invalid_request);
    CHECK(r.status().message().find(c.needle) != std::string::npos);
  }
  CHECK(discovery::load_config("/nonexistent/config.json").status().code() == resolver::Code::invalid_request);
}

TEST_CASE("config: a key given twice in one object is an error naming it, never the last one silently") {
  // JSON parsers keep the last of two equal keys: "client": {"burst": 3} would be lost without a
  // word, and a client could send batches of 400 where the operator meant 3.
  struct Case { const char* text; const char* key; };
  const Case cases[] = {
      {R"({"rate_limits": {"client": {"burst": 3}}, "rate_limits": {"enabled": true}})", "rate_limits"},
      {R"({"rate_limits": {"client": {"burst": 3}, "client": {"rate": 5}}})", "rate_limits.client"},
      {R"({"rate_limits": {"client": {"burst": 3, "burst": 400}}})", "rate_limits.client.burst"},
      {R"({"threads": 2, "max_batch": 10, "threads": 4})", "threads"},
      {R"({"store": {"pool_size": 4}, "web": {"enabled": true, "enabled": false}})", "web.enabled"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto r = discovery::parse_config(c.text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == resolver::Code::invalid_request);
    CHECK(r.status().message() == std::string("config key \"") + c.key +
                                      "\" is given twice, and only the last would count; merge them into one.");
  }
  // The same key in different objects is no duplicate.
  auto ok = discovery::parse_config(
      R"({"rate_limits": {"anonymous": {"burst": 5}, "client": {"burst": 3}}, "web": {"enabled": true}})");
  REQUIRE(ok.ok());
  CHECK(ok->rate_limits.client.burst == 3);
  CHECK(ok->rate_limits.anonymous.burst == 5);
  // Invalid JSON is still reported as such, even with a duplicate before the mistake.
  auto broken = discovery::parse_config(R"({"threads": 2, "threads": 3,})");
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.status().message().rfind("The config file is not valid JSON at ", 0) == 0);
}

TEST_CASE("config: invalid JSON names the line and column of the mistake") {
  struct Case { const char* text; const char* says; };
  const Case cases[] = {
      {"{\n  \"threads\": 2,\n  \"max_batch\": 10,\n}\n", "at line 4, column 1: "},  // trailing comma
      {"{\"threads\": 2 \"max_batch\": 10}", "at line 1, column 25: "},              // missing comma
      {"{\n  \"threads\": 2\n", "at line 3, column 1: syntax error while parsing object - unexpected end of input"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    auto r = discovery::parse_config(c.text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == resolver::Code::invalid_request);
    CHECK(r.status().message().rfind("The config file is not valid JSON at line ", 0) == 0);
    CHECK(r.status().message().find(c.says) != std::string::npos);
  }
}

TEST_CASE("config: a federation.ca_file that cannot be loaded fails the load, as TLS files fail the start") {
  test::TempDir dir;
  const std::string config = dir.file("config.json");
  auto with_ca = [&](const std::string& ca) {
    test::write_file(config, "{\"federation\": {\"ca_file\": \"" + ca + "\"}}");
    return discovery::load_config(config);
  };
  auto missing = with_ca(dir.file("missing.pem"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == resolver::Code::invalid_request);
  CHECK(missing.status().message() ==
        "federation.ca_file " + dir.file("missing.pem") + " cannot be read: No such file or directory.");
  test::write_file(dir.file("junk.pem"), "not a certificate\n");
  auto junk = with_ca(dir.file("junk.pem"));
  REQUIRE_FALSE(junk.ok());
  CHECK(junk.status().message().find("holds no PEM certificate") != std::string::npos);
}
