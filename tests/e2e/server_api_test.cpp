// End-to-end tests of every route of the real discoveryd over HTTP (DESIGN.md §4).
#include <chrono>
#include <thread>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "resolver/assertion.hpp"
#include "resolver/base64url.hpp"
#include "server_fixture.hpp"

using nlohmann::json;

namespace {

json get_json(httplib::Client& c, const std::string& path, int expect = 200, const httplib::Headers& h = {}) {
  auto r = c.Get(path.c_str(), h);
  REQUIRE(r);
  CHECK(r->status == expect);
  CHECK(r->get_header_value("Content-Type") == "application/json; charset=utf-8");
  CHECK(r->get_header_value("X-Request-Id").size() > 0);
  return json::parse(r->body);
}

std::string error_code(const httplib::Result& r) {
  REQUIRE(r);
  CHECK(r->has_header("X-Request-Id"));
  return json::parse(r->body)["error"]["code"];
}

// Checks that `r` is the JSON error `code` with `status`.
void check_error(const httplib::Result& r, int status, const std::string& code) {
  REQUIRE(r);
  CHECK(r->status == status);
  CHECK(r->get_header_value("Content-Type") == "application/json; charset=utf-8");
  CHECK(error_code(r) == code);
}

}  // namespace

TEST_CASE("server: lookup outcomes over HTTP") {
  test::DemoIndex demo;
  test::Server server(demo.db);
  auto c = test::client_for(server);

  auto j = get_json(*c, "/v1/lookup?id=tel:%2B14155552671");
  CHECK(j["status"] == "found");
  CHECK(j["type"] == "phone");
  CHECK(j["mappings"].size() == 2);  // several providers
  CHECK(j["complete"] == true);

  j = get_json(*c, "/v1/lookup?id=%2B14155552671&provider=talk.example");
  REQUIRE(j["mappings"].size() == 1);
  CHECK(j["mappings"][0]["user"] == "mimi://talk.example/users/alice");

  j = get_json(*c, "/v1/lookup?id=030%20901820&region=DE");
  CHECK(j["identifier"] == "tel:+4930901820");
  CHECK(j["mappings"].size() == 2);  // two accounts at one provider

  CHECK(get_json(*c, "/v1/lookup?id=Alice@Example.COM")["status"] == "found");
  CHECK(get_json(*c, "/v1/lookup?id=%40alice%40chat.example")["identifier"] == "acct:alice@chat.example");
  CHECK(get_json(*c, "/v1/lookup?id=nobody@example.com")["status"] == "not_found");
  CHECK(get_json(*c, "/v1/lookup?id=%2B14155550100")["status"] == "opted_out");
  CHECK(get_json(*c, "/v1/lookup?id=%2B33142685300")["status"] == "not_found");  // expired

  auto r = c->Post("/v1/lookup", R"({"identifiers": ["+14155552671", "bad input", "bob@example.org"]})",
                   "application/json");
  REQUIRE(r);
  CHECK(r->status == 200);
  auto results = json::parse(r->body)["results"];
  REQUIRE(results.size() == 3);
  CHECK(results[0]["status"] == "found");
  CHECK(results[1]["error"]["code"] == "invalid_identifier");
  CHECK(results[2]["status"] == "found");
}

TEST_CASE("server: assertions verify against the served JWKS") {
  test::DemoIndex demo;
  test::Server server(demo.db);
  auto c = test::client_for(server);
  auto meta = get_json(*c, "/.well-known/mimi-discovery");
  CHECK(meta["issuer"] == "dp.example");
  CHECK(meta["identifier_types"] == json::array({"phone", "email", "handle"}));
  auto keys = meta["jwks"]["keys"];
  resolver::KeyLookup lookup = [&](const std::string& kid) -> std::optional<std::string> {
    for (const auto& k : keys) {
      if (k["kid"] == kid) return resolver::base64url_decode(k["x"].get<std::string>());
    }
    return std::nullopt;
  };
  auto j = get_json(*c, "/v1/lookup?id=alice@example.com");
  REQUIRE(j["mappings"].size() == 1);
  auto claims = resolver::verify_assertion(j["mappings"][0]["assertion"].get<std::string>(), lookup);
  REQUIRE(claims.ok());
  CHECK(claims->iss == "dp.example");
  CHECK(claims->sub == "mailto:alice@example.com");
  CHECK(claims->provider == "chat.example");
  CHECK(claims->exp > claims->iat);
}

TEST_CASE("server: every error code with its status") {
  test::DemoIndex demo;
  test::Server server(demo.db, demo.config(R"({"max_batch": 5, "max_body_bytes": 4096})"));
  auto c = test::client_for(server);

  auto r = c->Get("/v1/lookup?id=12");
  check_error(r, 400, "invalid_identifier");
  r = c->Get("/v1/lookup?region=US");
  check_error(r, 400, "invalid_request");
  r = c->Post("/v1/lookup", "{not json", "application/json");
  check_error(r, 400, "invalid_request");
  r = c->Post("/v1/lookup", R"({"identifiers": [1, 2]})", "application/json");
  check_error(r, 400, "invalid_request");
  r = c->Get("/v1/lookup?id=a@b.example", test::bearer("not-a-token"));
  check_error(r, 401, "unauthorized");
  r = c->Get("/v1/nothing");
  check_error(r, 404, "not_found");
  r = c->Put("/v1/lookup", "{}", "application/json");
  check_error(r, 405, "method_not_allowed");
  CHECK(r->get_header_value("Allow") == "GET, HEAD, POST");
  r = c->Post("/v1/lookup", R"({"identifiers": ["a@b.c","a@b.c","a@b.c","a@b.c","a@b.c","a@b.c"]})", "application/json");
  check_error(r, 413, "payload_too_large");
  r = c->Post("/v1/lookup", std::string(5000, ' '), "application/json");
  check_error(r, 413, "payload_too_large");
  // The server is still fine.
  auto c2 = test::client_for(server);
  CHECK(c2->Get("/healthz")->status == 200);
}

TEST_CASE("server: admin routes need the admin role") {
  test::DemoIndex demo;
  test::Server server(demo.db);
  auto c = test::client_for(server);
  const std::string put = R"({"mappings": [{"identifier": "dave@example.net", "provider": "chat.example",
                             "user": "mimi://chat.example/u/dave", "tags": ["personal"]}]})";
  auto r = c->Put("/v1/admin/mappings", put, "application/json");
  check_error(r, 401, "unauthorized");
  r = c->Put("/v1/admin/mappings", test::bearer(demo.client), put, "application/json");
  check_error(r, 403, "forbidden");
  r = c->Put("/v1/admin/mappings", test::bearer(demo.admin), put, "application/json");
  REQUIRE(r->status == 200);
  CHECK(json::parse(r->body)["upserted"] == 1);
  CHECK(get_json(*c, "/v1/lookup?id=dave@example.net")["status"] == "found");

  r = c->Post("/v1/admin/optout", test::bearer(demo.admin), R"({"identifier": "dave@example.net"})", "application/json");
  REQUIRE(r->status == 200);
  CHECK(json::parse(r->body)["removed"] == 1);
  CHECK(get_json(*c, "/v1/lookup?id=dave@example.net")["status"] == "opted_out");
  r = c->Delete("/v1/admin/optout", test::bearer(demo.admin), R"({"identifier": "dave@example.net"})", "application/json");
  REQUIRE(r->status == 200);
  CHECK(json::parse(r->body)["lifted"] == true);

  r = c->Delete("/v1/admin/mappings", test::bearer(demo.admin), R"({"identifier": "+14155552671", "provider": "talk.example"})",
                "application/json");
  REQUIRE(r->status == 200);
  CHECK(json::parse(r->body)["removed"] == 1);
  CHECK(get_json(*c, "/v1/lookup?id=%2B14155552671")["mappings"].size() == 1);
}

TEST_CASE("server: HEAD answers a GET route's headers, its Content-Length included, without the body") {
  test::DemoIndex demo;
  test::Server server(demo.db);
  auto c = test::client_for(server);
  for (const std::string path : {"/healthz", "/v1/lookup?id=%2B14155552671", "/.well-known/mimi-discovery"}) {
    CAPTURE(path);
    auto get = c->Get(path);
    REQUIRE(get);
    const std::string head = test::raw_exchange(
        server.port(), "HEAD " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    CHECK(head.starts_with("HTTP/1.1 " + std::to_string(get->status) + " "));
    CHECK(head.find("Content-Length: " + std::to_string(get->body.size()) + "\r\n") != std::string::npos);
    CHECK(head.ends_with("\r\n\r\n"));  // nothing after the headers
  }
  const std::string post = test::raw_exchange(server.port(), "HEAD /v1/admin/mappings HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(post.starts_with("HTTP/1.1 405 "));  // no GET route there: 405, and still no body
  CHECK(post.ends_with("\r\n\r\n"));
}

TEST_CASE("server: a token revoked with discoveryctl is refused by the running server within a second") {
  test::DemoIndex demo;
  test::Server server(demo.db);
  auto c = test::client_for(server);
  const std::string path = "/v1/lookup?id=%2B14155552671";
  REQUIRE(c->Get(path, test::bearer(demo.client))->status == 200);  // read once, then cached
  std::string id;
  for (const auto& t : json::parse(demo.ctl({"token", "list"}))) {
    if (t["role"] == "client") id = t["id"];
  }
  REQUIRE(!id.empty());
  demo.ctl({"token", "revoke", id});
  const auto revoked = std::chrono::steady_clock::now();
  int status = 200;
  while (status == 200 && std::chrono::steady_clock::now() - revoked < std::chrono::seconds(3)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    status = c->Get(path, test::bearer(demo.client))->status;
  }
  check_error(c->Get(path, test::bearer(demo.client)), 401, "unauthorized");
  CHECK(std::chrono::steady_clock::now() - revoked < std::chrono::milliseconds(2500));
}

TEST_CASE("server: what discoveryctl commits is served by the next lookup, after lookups the server keeps") {
  test::DemoIndex demo;
  test::Server server(demo.db);
  auto c = test::client_for(server);
  const std::string path = "/v1/lookup?id=%2B14155552671&federate=false";
  for (int i = 0; i < 5; ++i) CHECK(get_json(*c, path)["mappings"].size() == 2);  // kept in the answer cache
  demo.ctl({"remove", "+14155552671", "--provider", "talk.example"});
  CHECK(get_json(*c, path)["mappings"].size() == 1);  // no wait: the next request
  demo.ctl({"optout", "+14155552671"});
  CHECK(get_json(*c, path)["status"] == "opted_out");
  CHECK(get_json(*c, path)["status"] == "opted_out");
  demo.ctl({"optin", "+14155552671"});
  CHECK(get_json(*c, path)["status"] == "not_found");
  demo.ctl({"import", test::source_path("data/demo.jsonl")});
  CHECK(get_json(*c, path)["mappings"].size() == 2);
  // The same through POST batches, which share the cache.
  const std::string body = R"({"identifiers": ["+14155552671", "alice@example.com"], "federate": false})";
  auto batch = [&] {
    auto r = c->Post("/v1/lookup", body, "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    return json::parse(r->body)["results"];
  };
  CHECK(batch()[0]["mappings"].size() == 2);
  demo.ctl({"optout", "alice@example.com"});
  auto results = batch();
  CHECK(results[0]["mappings"].size() == 2);
  CHECK(results[1]["status"] == "opted_out");
}

TEST_CASE("server: operations routes") {
  test::DemoIndex demo;
  test::Server server(demo.db);
  auto c = test::client_for(server);
  CHECK(get_json(*c, "/healthz")["status"] == "ok");
  CHECK(get_json(*c, "/openapi.json")["openapi"].get<std::string>().rfind("3.", 0) == 0);
  // Issue 14: the document names the address this server listens on, not the default 127.0.0.1:8080.
  CHECK(get_json(*c, "/openapi.json")["servers"] ==
        nlohmann::json::array({{{"url", "http://127.0.0.1:" + std::to_string(server.port())}}}));
  (void)c->Get("/v1/lookup?id=alice@example.com");
  auto m = c->Get("/metrics");
  REQUIRE(m);
  CHECK(m->status == 200);
  CHECK(m->body.find("discovery_lookups_total{outcome=\"found\"}") != std::string::npos);
  CHECK(m->body.find("discovery_request_duration_seconds_bucket") != std::string::npos);
  CHECK(m->body.find("discovery_index_mappings") != std::string::npos);
}
