// Unit tests of the Service: routes, errors, auth and admin writes over plain Requests.
#include "discovery/service.hpp"

#include <doctest/doctest.h>

#include <set>

#include "resolver/base64url.hpp"
#include "service_fixture.hpp"

using test::ServiceFixture;

TEST_CASE("lookup: found, several providers, provider filter, not found, opted out") {
  ServiceFixture f;
  f.load_demo();
  auto r = f.call("GET", "/v1/lookup?id=tel:%2B1-415-555-2671");
  REQUIRE(r.status == 200);
  CHECK(r.content_type == "application/json; charset=utf-8");
  CHECK(ServiceFixture::header(r, "X-Request-Id").size() == 16);
  auto j = ServiceFixture::json(r);
  CHECK(j["identifier"] == "tel:+14155552671");
  CHECK(j["status"] == "found");
  CHECK(j["mappings"].size() == 2);

  j = ServiceFixture::json(f.call("GET", "/v1/lookup?id=+14155552671&provider=Talk.Example"));
  REQUIRE(j["mappings"].size() == 1);
  CHECK(j["mappings"][0]["provider"] == "talk.example");

  j = ServiceFixture::json(f.call("GET", "/v1/lookup?id=415%20555%202671&region=us"));
  CHECK(j["status"] == "found");

  j = ServiceFixture::json(f.call("GET", "/v1/lookup?id=nobody@example.com"));
  CHECK(j["status"] == "not_found");

  REQUIRE(f.call("POST", "/v1/admin/optout", R"({"identifier": "alice@example.com"})", f.admin).status == 200);
  j = ServiceFixture::json(f.call("GET", "/v1/lookup?id=mailto:Alice@Example.com"));
  CHECK(j["status"] == "opted_out");
  CHECK(j["mappings"].empty());
  REQUIRE(f.call("DELETE", "/v1/admin/optout", R"({"identifier": "alice@example.com"})", f.admin).status == 200);
  j = ServiceFixture::json(f.call("GET", "/v1/lookup?id=alice@example.com"));
  CHECK(j["status"] == "not_found");  // the opt-out removed the mappings
}

TEST_CASE("lookup: request errors carry the exact code") {
  ServiceFixture f;
  struct Case { const char* target; int status; const char* code; };
  const Case cases[] = {
      {"/v1/lookup", 400, "invalid_request"},
      {"/v1/lookup?id=", 400, "invalid_identifier"},
      {"/v1/lookup?id=not%20an%20identifier", 400, "invalid_identifier"},
      {"/v1/lookup?id=4155552671", 400, "invalid_identifier"},
      {"/v1/lookup?id=a@b.example&region=XX", 400, "invalid_request"},
      {"/v1/lookup?id=a@b.example&provider=not_a_domain", 400, "invalid_request"},
      {"/v1/lookup?id=a@b.example&federate=maybe", 400, "invalid_request"},
      {"/v1/lookup?id=a@b.example&id=c@d.example", 400, "invalid_request"},
      {"/v1/lookup?id=a@b.example&foo=1", 400, "invalid_request"},
      {"/v1/lookup?id=%00", 400, "invalid_request"},
      {"/v1/lookup?id=%ff%fe", 400, "invalid_request"},
      {"/v1/lookup?id=%zz", 400, "invalid_request"},
      {"/v1/lookups", 404, "not_found"},
      {"/index.html", 404, "not_found"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.target);
    auto r = f.call("GET", c.target);
    CHECK(r.status == c.status);
    CHECK(ServiceFixture::code(r) == c.code);
  }
  auto r = f.call("DELETE", "/v1/lookup");
  CHECK(r.status == 405);
  CHECK(ServiceFixture::header(r, "Allow") == "GET, HEAD, POST");
}

TEST_CASE("batch lookup: order, bad identifiers, limits and types") {
  discovery::Config config;
  config.max_batch = 3;
  ServiceFixture f(nullptr, config);
  f.load_demo();
  auto r = f.call("POST", "/v1/lookup", R"({"identifiers": ["+14155552671", "garbage", "bob@nowhere.example"], "region": "US"})");
  REQUIRE(r.status == 200);
  auto j = ServiceFixture::json(r)["results"];
  REQUIRE(j.size() == 3);
  CHECK(j[0]["status"] == "found");
  CHECK(j[1]["query"] == "garbage");
  CHECK(j[1]["error"]["code"] == "invalid_identifier");
  CHECK(j[2]["status"] == "not_found");

  CHECK(f.call("POST", "/v1/lookup", R"({"identifiers": ["a@b.c", "a@b.c", "a@b.c", "a@b.c"]})").status == 413);
  const std::string bad[] = {"", "[]", "{", R"({"identifiers": "a@b.c"})", R"({"identifiers": [1]})",
                       R"({"identifiers": [], "federate": "yes"})", R"({"identifiers": [], "region": 1})",
                       R"({"identifiers": [], "extra": 1})", "\xff\xfe",
                       "{\"" + std::string(63, 'k') + "\xC3\xA9\": 1}"};
  for (const auto& body : bad) {
    CAPTURE(body);
    auto e = f.call("POST", "/v1/lookup", body);
    CHECK(e.status == 400);
    CHECK(ServiceFixture::code(e) == "invalid_request");
  }
}

TEST_CASE("auth: anonymous, bad token, client and admin roles") {
  ServiceFixture f;
  CHECK(f.call("GET", "/v1/lookup?id=a@b.example", "", "nope").status == 401);
  CHECK(f.call("GET", "/v1/lookup?id=a@b.example", "", f.client).status == 200);
  const char* body = R"({"identifier": "a@b.example"})";
  auto none = f.call("POST", "/v1/admin/optout", body);
  CHECK(none.status == 401);
  CHECK(ServiceFixture::code(none) == "unauthorized");
  auto client = f.call("POST", "/v1/admin/optout", body, f.client);
  CHECK(client.status == 403);
  CHECK(ServiceFixture::code(client) == "forbidden");
  CHECK(f.call("POST", "/v1/admin/optout", body, f.admin).status == 200);
}

TEST_CASE("admin: upsert is all or nothing, removal counts") {
  ServiceFixture f;
  auto r = f.call("PUT", "/v1/admin/mappings", R"({"mappings": [
      {"identifier": "a@b.example", "provider": "chat.example", "user": "mimi://chat.example/u/1"},
      {"identifier": "c@d.example", "provider": "not a domain", "user": "mimi://x/u/2"}]})", f.admin);
  CHECK(r.status == 400);
  CHECK(ServiceFixture::json(r)["error"]["message"].get<std::string>().rfind("mappings[1]", 0) == 0);
  CHECK(ServiceFixture::json(f.call("GET", "/v1/lookup?id=a@b.example"))["status"] == "not_found");

  r = f.call("PUT", "/v1/admin/mappings", R"({"mappings": [
      {"identifier": "a@b.example", "provider": "chat.example", "user": "mimi://chat.example/u/1"},
      {"identifier": "a@b.example", "provider": "talk.example", "user": "mimi://talk.example/u/1"}]})", f.admin);
  REQUIRE(r.status == 200);
  CHECK(ServiceFixture::json(r)["upserted"] == 2);
  r = f.call("DELETE", "/v1/admin/mappings", R"({"identifier": "A@B.example", "provider": "talk.example"})", f.admin);
  REQUIRE(r.status == 200);
  CHECK(ServiceFixture::json(r)["removed"] == 1);
  CHECK(ServiceFixture::json(f.call("GET", "/v1/lookup?id=a@b.example"))["mappings"].size() == 1);
  CHECK(f.call("DELETE", "/v1/admin/mappings", R"({"identifier": "nonsense"})", f.admin).status == 400);
}

TEST_CASE("operations: well-known, healthz, metrics, openapi") {
  ServiceFixture f;
  auto j = ServiceFixture::json(f.call("GET", "/.well-known/mimi-discovery"));
  CHECK(j["issuer"] == "dp.example");
  CHECK(j["jwks"]["keys"].size() == 1);
  CHECK(j["max_batch"] == 1000);
  CHECK(j["api"] == "/v1");
  // Each role's limits, the largest batch it may send among them (DESIGN.md §7 defaults).
  CHECK(j["rate_limits"]["anonymous"] ==
        nlohmann::json{{"rate", 20.0}, {"burst", 40}, {"distinct_per_day", 1000}, {"max_batch", 40}});
  CHECK(j["rate_limits"]["client"]["max_batch"] == 400);
  CHECK(j["rate_limits"]["peer"]["max_batch"] == 1000);
  CHECK(f.call("GET", "/healthz").body == R"({"status":"ok"})");
  (void)f.call("GET", "/v1/lookup?id=a@b.example");
  auto m = f.call("GET", "/metrics");
  CHECK(m.content_type.rfind("text/plain", 0) == 0);
  CHECK(m.body.find("discovery_requests_total{route=\"/v1/lookup\",status=\"200\"} 1") != std::string::npos);
  CHECK(m.body.find("discovery_lookups_total{outcome=\"not_found\"} 1") != std::string::npos);
  CHECK(m.body.find("discovery_index_mappings 0") != std::string::npos);
  CHECK(nlohmann::json::parse(f.call("GET", "/openapi.json").body).contains("openapi"));
}

namespace {
class RejectingLimiter final : public discovery::RateLimiter {
 public:
  discovery::RateDecision admit(const discovery::RateRequest& r) override {
    last = r;
    last_ids.assign(r.identifiers.begin(), r.identifiers.end());
    return {resolver::Status(resolver::Code::quota_exceeded, "Budget spent."), 42, discovery::RateHeaders{100, 0, 42}};
  }
  discovery::RateRequest last;
  std::vector<std::string> last_ids;
};
}  // namespace

TEST_CASE("rate limiter seam: 429 with Retry-After and RateLimit headers") {
  RejectingLimiter limiter;
  ServiceFixture f(&limiter);
  auto r = f.call("POST", "/v1/lookup", R"({"identifiers": ["+14155552671", "junk"]})", f.client);
  CHECK(r.status == 429);
  CHECK(ServiceFixture::code(r) == "quota_exceeded");
  CHECK(ServiceFixture::header(r, "Retry-After") == "42");
  CHECK(ServiceFixture::header(r, "RateLimit-Limit") == "100");
  CHECK(ServiceFixture::header(r, "RateLimit-Remaining") == "0");
  CHECK(limiter.last.cost == 2);
  CHECK(limiter.last.role == resolver::Role::client);
  CHECK(limiter.last.caller.rfind("token:", 0) == 0);
  CHECK(limiter.last_ids == std::vector<std::string>{"tel:+14155552671"});
  CHECK(f.call("GET", "/healthz").status == 200);  // operations are never limited
  CHECK(f.call("GET", "/v1/lookup?id=a@b.example").status == 429);
  CHECK(limiter.last.caller == "ip:192.0.2.7");
}

TEST_CASE("openapi.json documents exactly the routes of the route tables") {
  ServiceFixture f;
  auto doc = nlohmann::json::parse(f.call("GET", "/openapi.json").body);
  std::set<std::pair<std::string, std::string>> served;
  for (const auto& surface : f.service().router().surfaces()) {
    for (const auto& route : surface.routes) {
      std::string method(route.method);
      for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      served.emplace(std::string(route.path), method);
    }
  }
  std::set<std::pair<std::string, std::string>> documented;
  const std::set<std::string> kMethods = {"get", "put", "post", "delete", "options", "head", "patch"};
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      if (kMethods.count(method)) documented.emplace(path, method);
    }
  }
  CHECK(served.size() >= 10);
  for (const auto& r : served) {
    CAPTURE(r.first);
    CAPTURE(r.second);
    CHECK(documented.count(r));  // every route the server has is documented
  }
  for (const auto& d : documented) {
    CAPTURE(d.first);
    CAPTURE(d.second);
    CHECK(served.count(d));  // every documented route exists
  }
}

TEST_CASE("a rotated signing key is published and used within seconds, without a restart") {
  ServiceFixture f;
  f.load_demo();
  auto kid_of = [&](const std::string& target) {
    auto jws = ServiceFixture::json(f.call("GET", target))["mappings"][0]["assertion"].get<std::string>();
    auto header = resolver::base64url_decode(jws.substr(0, jws.find('.')));
    return nlohmann::json::parse(*header)["kid"].get<std::string>();
  };
  std::string old_kid = kid_of("/v1/lookup?id=alice@example.com");
  auto new_kid = resolver::create_signing_key(f.store(), f.clock().now());
  REQUIRE(new_kid.ok());
  f.clock().advance(std::chrono::seconds(11));
  CHECK(ServiceFixture::json(f.call("GET", "/.well-known/mimi-discovery"))["jwks"]["keys"].size() == 2);
  CHECK(kid_of("/v1/lookup?id=alice@example.com") == *new_kid);
  CHECK(old_kid != *new_kid);
}

TEST_CASE("a retired signing key leaves the served JWKS within seconds, without a restart") {
  ServiceFixture f;
  f.load_demo();
  auto kids = [&] {
    std::set<std::string> out;
    const auto meta = ServiceFixture::json(f.call("GET", "/.well-known/mimi-discovery"));
    for (const auto& k : meta["jwks"]["keys"]) out.insert(k["kid"].get<std::string>());
    return out;
  };
  const auto before = kids();
  REQUIRE(before.size() == 1);
  auto new_kid = resolver::create_signing_key(f.store(), f.clock().now());
  REQUIRE(new_kid.ok());
  REQUIRE(f.store().remove_signing_key(*before.begin()).ok());
  f.clock().advance(std::chrono::seconds(11));
  CHECK(kids() == std::set<std::string>{*new_kid});
}

namespace {
// Admits everything and counts what it was asked, with headers as a real limiter sends them.
class CountingLimiter final : public discovery::RateLimiter {
 public:
  discovery::RateDecision admit(const discovery::RateRequest& r) override {
    ++calls;
    cost += r.cost;
    return {resolver::Status::Ok(), 0, discovery::RateHeaders{40, 39, 1}};
  }
  int calls = 0;
  std::size_t cost = 0;
};
}  // namespace

TEST_CASE("issue 8: a bad region is the same error on every route that takes one") {
  ServiceFixture f;
  const std::string want = "region must be an ISO 3166 alpha-2 country code such as US.";
  std::vector<discovery::Response> answers = {
      f.call("GET", "/v1/lookup?id=030901820&region=XX"),
      f.call("POST", "/v1/lookup", R"({"identifiers": ["030901820"], "region": "XX"})"),
      f.call("PUT", "/v1/admin/mappings",
             R"({"region": "XX", "mappings": [{"identifier": "030901820", "provider": "chat.example", "user": "mimi://chat.example/u/1"}]})",
             f.admin),
      f.call("DELETE", "/v1/admin/mappings", R"({"identifier": "030901820", "region": "XX"})", f.admin),
      f.call("POST", "/v1/admin/optout", R"({"identifier": "030901820", "region": "XX"})", f.admin),
      f.call("DELETE", "/v1/admin/optout", R"({"identifier": "030901820", "region": "XX"})", f.admin),
  };
  for (std::size_t i = 0; i < answers.size(); ++i) {
    CAPTURE(i);
    CHECK(answers[i].status == 400);
    CHECK(ServiceFixture::code(answers[i]) == "invalid_request");
    CHECK(ServiceFixture::json(answers[i])["error"]["message"] == want);
  }
  // A known region in lower case is accepted everywhere.
  CHECK(f.call("GET", "/v1/lookup?id=030901820&region=de").status == 200);
  CHECK(f.call("POST", "/v1/admin/optout", R"({"identifier": "030901820", "region": "de"})", f.admin).status == 200);
}

TEST_CASE("issue 8: a repeated query parameter is refused unless the route declares it") {
  ServiceFixture f;
  auto r = f.call("GET", "/v1/lookup?id=%2B14155552671&id=%2B14155552672");
  CHECK(r.status == 400);
  CHECK(ServiceFixture::json(r)["error"]["message"] == "The query parameter \"id\" is given more than once.");
  auto unknown = f.call("GET", "/v1/lookup?id=%2B14155552671&idd=1");
  CHECK(ServiceFixture::json(unknown)["error"]["message"] ==
        "Unknown query parameter; use id, region, provider and federate.");
}

TEST_CASE("issue 8: unknown body fields are named with the fields the route takes") {
  ServiceFixture f;
  auto r = f.call("POST", "/v1/admin/optout", R"({"identifier": "a@b.example", "regoin": "US"})", f.admin);
  CHECK(r.status == 400);
  CHECK(ServiceFixture::json(r)["error"]["message"] == "Unknown field \"regoin\"; use identifier and region.");
}

TEST_CASE("issue 8: an admitted lookup carries the RateLimit headers, an invalid identifier too") {
  CountingLimiter limiter;
  ServiceFixture f(&limiter);
  auto bad = f.call("GET", "/v1/lookup?id=12");
  CHECK(bad.status == 400);
  CHECK(ServiceFixture::code(bad) == "invalid_identifier");
  CHECK(ServiceFixture::header(bad, "RateLimit-Remaining") == "39");  // it was charged
  CHECK(ServiceFixture::header(bad, "Retry-After") == "");
  // Refused before the limiter (a malformed request): not charged, no headers.
  auto malformed = f.call("GET", "/v1/lookup");
  CHECK(malformed.status == 400);
  CHECK(ServiceFixture::header(malformed, "RateLimit-Remaining") == "");
  CHECK(limiter.calls == 1);
  CHECK(f.call("POST", "/v1/lookup", R"({"identifiers": ["+14155552671", "junk", "a@b.example"]})").status == 200);
  CHECK(limiter.calls == 2);
  CHECK(limiter.cost == 4);
}

TEST_CASE("issue 8: routes that need a role say which, by credential") {
  ServiceFixture f;
  auto none = f.call("PUT", "/v1/admin/mappings", R"({"mappings": []})");
  CHECK(none.status == 401);
  CHECK(ServiceFixture::json(none)["error"]["message"] ==
        "This route needs an admin token: send Authorization: Bearer <token>.");
  auto client = f.call("PUT", "/v1/admin/mappings", R"({"mappings": []})", f.client);
  CHECK(client.status == 403);
  CHECK(ServiceFixture::json(client)["error"]["message"] == "This route needs a token with the admin role.");
}
