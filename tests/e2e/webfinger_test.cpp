// End-to-end tests of the WebFinger surface of the real discoveryd (DESIGN.md §11, RFC 7033):
// the JRD of a hit, the 404s, the 400s, rel filtering, CORS on every answer, the rate limit.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server_fixture.hpp"

using nlohmann::json;

namespace {

constexpr const char* kMappingRel = "https://mimi-discovery.example/rel/mapping";
constexpr const char* kProp = "https://mimi-discovery.example/prop/";

std::string prop(const json& link, const std::string& name) {
  const json& v = link["properties"][kProp + name];
  return v.is_null() ? "null" : v.get<std::string>();
}

// Checks the CORS header every WebFinger answer carries, errors included.
void check_cors(const httplib::Result& r) {
  REQUIRE(r);
  CHECK(r->get_header_value("Access-Control-Allow-Origin") == "*");
}

json jrd(httplib::Client& c, const std::string& target) {
  auto r = c.Get(target.c_str());
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->get_header_value("Content-Type") == "application/jrd+json");
  check_cors(r);
  return json::parse(r->body);
}

// Checks a 4xx answer in our JSON error shape (not a JRD) with CORS.
void check_error(const httplib::Result& r, int status, const std::string& code) {
  REQUIRE(r);
  CHECK(r->status == status);
  CHECK(r->get_header_value("Content-Type") == "application/json; charset=utf-8");
  check_cors(r);
  auto body = json::parse(r->body);
  CHECK(body["error"]["code"] == code);
  CHECK_FALSE(body["error"]["message"].get<std::string>().empty());
  CHECK_FALSE(body.contains("subject"));
}

}  // namespace

TEST_CASE("webfinger: a hit is a JRD with one mapping link per mapping, in lookup order") {
  test::DemoIndex demo;
  test::Server server(demo.db);
  auto c = test::client_for(server);

  // '+' stays '+' (percent-decoding only), unlike /v1's form decoding.
  json j = jrd(*c, "/.well-known/webfinger?resource=tel:+14155552671");
  CHECK(j["subject"] == "tel:+14155552671");
  CHECK_FALSE(j.contains("aliases"));
  REQUIRE(j["links"].size() == 2);
  // The same mappings as /v1/lookup, in the same order, with the same assertions' subjects.
  auto v1 = json::parse(c->Get("/v1/lookup?id=%2B14155552671&federate=false")->body);
  REQUIRE(v1["mappings"].size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    const json& link = j["links"][i];
    const json& m = v1["mappings"][i];
    CHECK(link["rel"] == kMappingRel);
    CHECK(link["href"] == m["user"]);
    CHECK(link["titles"] == json{{"und", m["provider"]}});
    CHECK(prop(link, "provider") == m["provider"].get<std::string>());
    CHECK(json::parse(prop(link, "tags")) == m["tags"]);
    CHECK(json::parse(prop(link, "keys")) == m["keys"]);
    CHECK(prop(link, "expires_at") == (m["expires_at"].is_null() ? "null" : m["expires_at"].get<std::string>()));
    CHECK(prop(link, "assertion").size() > 100);
    CHECK(link["properties"].size() == 5);
  }
  CHECK(j["links"][0]["href"] == "mimi://chat.example/u/8c1f3a");
  CHECK(prop(j["links"][0], "expires_at") == "2030-01-01T00:00:00Z");
  CHECK(prop(j["links"][1], "expires_at") == "null");

  // The same resource percent-encoded, and mailto:/acct: through the canonicaliser.
  CHECK(jrd(*c, "/.well-known/webfinger?resource=tel%3A%2B14155552671") == j);
  CHECK(jrd(*c, "/.well-known/webfinger?resource=mailto:Alice@Example.COM")["subject"] ==
        "mailto:alice@example.com");
  json acct = jrd(*c, "/.well-known/webfinger?resource=ACCT:Alice%40Chat.Example");
  CHECK(acct["subject"] == "acct:alice@chat.example");
  REQUIRE(acct["links"].size() == 1);
  CHECK(acct["links"][0]["href"] == "mimi://chat.example/u/8c1f3a");

  // HEAD answers the GET's headers.
  auto head = c->Head("/.well-known/webfinger?resource=tel:+14155552671");
  REQUIRE(head);
  CHECK(head->status == 200);
  check_cors(head);
}

TEST_CASE("webfinger: an https user URI gets a self link of type activity+json first") {
  test::DemoIndex demo;
  std::string extra = demo.dir.file("actors.jsonl");
  test::write_file(extra,
                   R"({"identifier": "@dana@social.example", "provider": "chat.example", "user": "mimi://chat.example/u/dana"})"
                   "\n"
                   R"({"identifier": "@dana@social.example", "provider": "social.example", "user": "https://social.example/users/dana"})"
                   "\n");
  demo.ctl({"import", extra});
  test::Server server(demo.db);
  auto c = test::client_for(server);

  json j = jrd(*c, "/.well-known/webfinger?resource=acct:dana@social.example");
  REQUIRE(j["links"].size() == 3);
  CHECK(j["links"][0] == json{{"rel", "self"}, {"type", "application/activity+json"},
                              {"href", "https://social.example/users/dana"}});
  CHECK(j["links"][1]["rel"] == kMappingRel);
  CHECK(j["links"][2]["href"] == "https://social.example/users/dana");

  json self = jrd(*c, "/.well-known/webfinger?resource=acct:dana@social.example&rel=self");
  REQUIRE(self["links"].size() == 1);
  CHECK(self["links"][0]["rel"] == "self");
}

TEST_CASE("webfinger: rel filters by exact match, unknown rels filter all out, order never matters") {
  test::DemoIndex demo;
  test::Server server(demo.db);
  auto c = test::client_for(server);
  const std::string base = "/.well-known/webfinger?resource=tel:+14155552671";
  json all = jrd(*c, base);
  REQUIRE(all["links"].size() == 2);

  json mapped = jrd(*c, base + "&rel=https%3A%2F%2Fmimi-discovery.example%2Frel%2Fmapping");
  CHECK(mapped == all);
  json none = jrd(*c, base + "&rel=http://webfinger.net/rel/avatar");
  CHECK(none["subject"] == "tel:+14155552671");
  CHECK(none["links"] == json::array());
  // A rel that differs only in case or a trailing slash is another rel.
  CHECK(jrd(*c, base + "&rel=https://mimi-discovery.example/rel/mapping/")["links"].empty());
  CHECK(jrd(*c, base + "&rel=HTTPS://mimi-discovery.example/rel/mapping")["links"].empty());

  json ab = jrd(*c, base + "&rel=self&rel=" + kMappingRel + "&rel=http://webfinger.net/rel/avatar");
  json ba = jrd(*c, base + "&rel=http://webfinger.net/rel/avatar&rel=" + kMappingRel + "&rel=self");
  CHECK(ab == ba);
  CHECK(ab == all);
}

TEST_CASE("webfinger: misses are 404 in our error shape, bad requests 400, both with CORS") {
  test::DemoIndex demo;
  test::Server server(demo.db);
  auto c = test::client_for(server);
  const std::string wf = "/.well-known/webfinger";

  check_error(c->Get((wf + "?resource=acct:nobody@chat.example").c_str()), 404, "not_found");
  check_error(c->Get((wf + "?resource=tel:+14155550100").c_str()), 404, "not_found");   // opted out
  check_error(c->Get((wf + "?resource=tel:+33142685300").c_str()), 404, "not_found");   // expired
  check_error(c->Get((wf + "?resource=https://chat.example/u/8c1f3a").c_str()), 404, "not_found");
  check_error(c->Get((wf + "?resource=xmpp:alice@example.com").c_str()), 404, "not_found");
  check_error(c->Get((wf + "?resource=tel:4155552671").c_str()), 404, "not_found");    // not global
  check_error(c->Get((wf + "?resource=mailto:not-an-address").c_str()), 404, "not_found");
  // An encoded space is a space, not the plus sign a form decoder would confuse it with.
  check_error(c->Get((wf + "?resource=tel:%2014155552671").c_str()), 404, "not_found");

  check_error(c->Get(wf.c_str()), 400, "invalid_request");                             // absent
  check_error(c->Get((wf + "?resource=").c_str()), 400, "invalid_request");            // empty
  check_error(c->Get((wf + "?resource=alice@chat.example").c_str()), 400, "invalid_request");
  check_error(c->Get((wf + "?resource=%3Dacct:alice@chat.example").c_str()), 400, "invalid_request");
  check_error(c->Get((wf + "?resource=%2B14155552671").c_str()), 400, "invalid_request");
  check_error(c->Get((wf + "?resource=acct:a@chat.example&resource=acct:b@chat.example").c_str()), 400,
              "invalid_request");
  check_error(c->Get((wf + "?resource=acct:alice@chat.example&x=1").c_str()), 400, "invalid_request");
  check_error(c->Get((wf + "?resource=%zz").c_str()), 400, "invalid_request");          // bad escape
  auto post = c->Post(wf.c_str(), "", "application/json");
  check_error(post, 405, "method_not_allowed");
  CHECK(post->get_header_value("Allow") == "GET, HEAD, OPTIONS");

  // Other routes do not carry the WebFinger CORS header.
  auto other = c->Get("/v1/lookup?id=%2B14155552671");
  REQUIRE(other);
  CHECK_FALSE(other->has_header("Access-Control-Allow-Origin"));
}

TEST_CASE("webfinger: OPTIONS answers a CORS preflight") {
  test::DemoIndex demo;
  test::Server server(demo.db);
  auto c = test::client_for(server);
  auto r = c->Options("/.well-known/webfinger?resource=acct:alice@chat.example",
                      {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "GET"}});
  REQUIRE(r);
  CHECK(r->status == 204);
  CHECK(r->body.empty());
  check_cors(r);
  CHECK(r->get_header_value("Access-Control-Allow-Methods") == "GET, HEAD, OPTIONS");
  CHECK(r->get_header_value("Access-Control-Allow-Headers").find("Authorization") != std::string::npos);
  CHECK_FALSE(r->has_header("RateLimit-Remaining"));  // a preflight costs nothing
}

TEST_CASE("webfinger: one unit per resource, 429 with CORS and the rate headers") {
  test::DemoIndex demo;
  test::Server server(demo.db, demo.config(R"({"rate_limits": {
    "anonymous": {"rate": 0.001, "burst": 3, "distinct_per_day": 1000}}})"));
  auto c = test::client_for(server);
  const std::string hit = "/.well-known/webfinger?resource=tel:+14155552671";
  auto first = c->Get(hit.c_str());
  REQUIRE(first);
  CHECK(first->status == 200);
  CHECK(first->get_header_value("RateLimit-Remaining") == "2");
  auto miss = c->Get("/.well-known/webfinger?resource=xmpp:alice@example.com");  // a 404 costs a unit too
  REQUIRE(miss);
  CHECK(miss->status == 404);
  CHECK(miss->get_header_value("RateLimit-Remaining") == "1");
  // A 400 is answered before the limiter: it costs nothing.
  auto bad = c->Get("/.well-known/webfinger?resource=nobody");
  REQUIRE(bad);
  CHECK(bad->status == 400);
  CHECK(c->Get("/v1/lookup?id=%2B14155552671")->get_header_value("RateLimit-Remaining") == "0");

  auto limited = c->Get(hit.c_str());
  check_error(limited, 429, "rate_limited");
  CHECK(std::stoll(limited->get_header_value("Retry-After")) > 0);
  CHECK(limited->get_header_value("RateLimit-Remaining") == "0");
  CHECK(limited->get_header_value("Access-Control-Expose-Headers").find("Retry-After") != std::string::npos);
  // The well-known metadata stays unlimited.
  CHECK(c->Get("/.well-known/mimi-discovery")->status == 200);
}

TEST_CASE("webfinger: a client token has its own distinct budget, charged with the canonical id") {
  test::DemoIndex demo;
  test::Server server(demo.db, demo.config(R"({"rate_limits": {
    "client": {"rate": 1000, "burst": 1000, "distinct_per_day": 1}}})"));
  auto c = test::client_for(server);
  auto h = test::bearer(demo.client);
  // The same identifier in three spellings is one distinct identifier.
  CHECK(c->Get("/.well-known/webfinger?resource=tel:+14155552671", h)->status == 200);
  CHECK(c->Get("/.well-known/webfinger?resource=tel:+1-415-555-2671", h)->status == 200);
  CHECK(c->Get("/v1/lookup?id=%2B14155552671", h)->status == 200);
  auto second = c->Get("/.well-known/webfinger?resource=mailto:alice@example.com", h);
  check_error(second, 429, "quota_exceeded");
}
