// End-to-end tests of the Matrix identity service surface of the real discoveryd (DESIGN.md §11):
// versions, status, terms, account, logout, hash_details, the sha256 and none lookups, the Matrix
// error shapes, CORS, the rate limit and the pepper's rotation with its grace period.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "resolver/pepper.hpp"
#include "server_fixture.hpp"

using nlohmann::json;

namespace {

const std::string kV2 = "/_matrix/identity/v2";

// Matrix users for some of the demo identifiers (data/demo.jsonl has none).
void import_matrix_users(test::DemoIndex& demo) {
  std::string extra = demo.dir.file("matrix.jsonl");
  test::write_file(extra,
                   R"({"identifier": "alice@example.com", "provider": "matrix.example", "user": "matrix:u/alice:matrix.example"})"
                   "\n"
                   R"({"identifier": "+4930901820", "provider": "matrix.example", "user": "matrix:u/dieter:matrix.example"})"
                   "\n"
                   R"({"identifier": "carol@xn--bcher-kva.example", "provider": "matrix.example", "user": "matrix:u/carol:matrix.example"})"
                   "\n"
                   R"({"identifier": "+33142685300", "provider": "matrix.example", "user": "matrix:u/old:matrix.example", "expires_at": "2020-01-01T00:00:00Z"})"
                   "\n");
  demo.ctl({"import", extra});
}

void check_cors(const httplib::Result& r) {
  REQUIRE(r);
  CHECK(r->get_header_value("Access-Control-Allow-Origin") == "*");
  CHECK(r->get_header_value("Access-Control-Allow-Headers").find("Authorization") != std::string::npos);
}

// Checks a Matrix error: status, errcode, a sentence, CORS. Returns the body.
json check_error(const httplib::Result& r, int status, const std::string& errcode) {
  REQUIRE(r);
  CHECK(r->status == status);
  check_cors(r);
  json body = json::parse(r->body);
  CHECK(body["errcode"] == errcode);
  CHECK(body["error"].get<std::string>().size() > 10);
  CHECK_FALSE(body.contains("code"));
  return body;
}

std::string pepper_of(httplib::Client& c, const std::string& token) {
  auto r = c.Get((kV2 + "/hash_details").c_str(), test::bearer(token));
  REQUIRE(r);
  REQUIRE(r->status == 200);
  return json::parse(r->body)["lookup_pepper"].get<std::string>();
}

httplib::Result lookup(httplib::Client& c, const std::string& token, const json& body) {
  return c.Post((kV2 + "/lookup").c_str(), test::bearer(token), body.dump(), "application/json");
}

json hashed(const std::string& pepper, const std::vector<std::string>& addresses) {
  json out = json::array();
  for (const std::string& a : addresses) {
    auto space = a.rfind(' ');
    out.push_back(resolver::matrix_hash(a.substr(0, space), a.substr(space + 1), pepper));
  }
  return out;
}

json sha256_lookup(httplib::Client& c, const std::string& token, const std::string& pepper,
                   const std::vector<std::string>& addresses) {
  auto r = lookup(c, token, {{"addresses", hashed(pepper, addresses)}, {"algorithm", "sha256"}, {"pepper", pepper}});
  REQUIRE(r);
  CHECK(r->status == 200);
  check_cors(r);
  return json::parse(r->body)["mappings"];
}

}  // namespace

TEST_CASE("matrix: versions, status and GET terms need no token, and carry CORS") {
  test::DemoIndex demo;
  test::Server server(demo.db);
  auto c = test::client_for(server);
  auto v = c->Get("/_matrix/identity/versions");
  REQUIRE(v);
  CHECK(v->status == 200);
  check_cors(v);
  CHECK(json::parse(v->body)["versions"].size() > 0);
  auto s = c->Get(kV2.c_str());
  REQUIRE(s);
  CHECK(s->status == 200);
  CHECK(json::parse(s->body) == json::object());
  auto t = c->Get((kV2 + "/terms").c_str());
  REQUIRE(t);
  CHECK(t->status == 200);
  CHECK(json::parse(t->body) == json{{"policies", json::object()}});
  auto accepted = c->Post((kV2 + "/terms").c_str(), test::bearer(demo.client), R"({"user_accepts": []})",
                          "application/json");
  REQUIRE(accepted);
  CHECK(accepted->status == 200);
}

TEST_CASE("matrix: OPTIONS answers a preflight without a token on every path") {
  test::DemoIndex demo;
  test::Server server(demo.db);
  auto c = test::client_for(server);
  for (const std::string& path : {kV2 + "/lookup", kV2 + "/hash_details", kV2 + "/account/logout",
                                 std::string("/_matrix/identity/versions")}) {
    CAPTURE(path);
    auto r = c->Options(path.c_str(), {{"Origin", "https://app.example"}, {"Access-Control-Request-Method", "POST"}});
    REQUIRE(r);
    CHECK(r->status == 204);
    check_cors(r);
    CHECK(r->get_header_value("Access-Control-Allow-Methods").find("POST") != std::string::npos);
  }
}

TEST_CASE("matrix: no or an unknown token is 401 M_UNAUTHORIZED, logout's unknown token M_UNKNOWN_TOKEN") {
  test::DemoIndex demo;
  test::Server server(demo.db);
  auto c = test::client_for(server);
  check_error(c->Get((kV2 + "/hash_details").c_str()), 401, "M_UNAUTHORIZED");
  check_error(c->Get((kV2 + "/account").c_str()), 401, "M_UNAUTHORIZED");
  check_error(c->Post((kV2 + "/lookup").c_str(), "{}", "application/json"), 401, "M_UNAUTHORIZED");
  check_error(c->Post((kV2 + "/terms").c_str(), "{}", "application/json"), 401, "M_UNAUTHORIZED");
  check_error(c->Get((kV2 + "/hash_details").c_str(), test::bearer("mimi_nope")), 401, "M_UNAUTHORIZED");
  check_error(c->Post((kV2 + "/account/logout").c_str(), test::bearer("mimi_nope"), "{}", "application/json"), 401,
              "M_UNKNOWN_TOKEN");
  check_error(c->Post((kV2 + "/account/logout").c_str(), "{}", "application/json"), 401, "M_UNAUTHORIZED");

  // Any role's token is an identity access token; logout never revokes it.
  auto account = c->Get((kV2 + "/account").c_str(), test::bearer(demo.client));
  REQUIRE(account);
  CHECK(account->status == 200);
  const std::string user = json::parse(account->body)["user_id"].get<std::string>();
  CHECK(user.starts_with("@tok_"));
  CHECK(user.ends_with(":dp.example"));
  auto out = c->Post((kV2 + "/account/logout").c_str(), test::bearer(demo.client), "{}", "application/json");
  REQUIRE(out);
  CHECK(out->status == 200);
  CHECK(json::parse(out->body) == json::object());
  CHECK(c->Get((kV2 + "/account").c_str(), test::bearer(demo.client))->status == 200);
}

TEST_CASE("matrix: unknown paths and methods are M_UNRECOGNIZED") {
  test::DemoIndex demo;
  test::Server server(demo.db);
  auto c = test::client_for(server);
  check_error(c->Get((kV2 + "/validate/email/requestToken").c_str()), 404, "M_UNRECOGNIZED");
  check_error(c->Get("/_matrix/identity/api/v1/lookup"), 404, "M_UNRECOGNIZED");
  check_error(c->Get((kV2 + "/lookup").c_str(), test::bearer(demo.client)), 405, "M_UNRECOGNIZED");
  // Outside the prefix our own error shape stays.
  auto other = c->Get("/_matrix/client/versions");
  REQUIRE(other);
  CHECK(other->status == 404);
  CHECK(json::parse(other->body)["error"]["code"] == "not_found");
}

TEST_CASE("matrix: hash_details, and sha256 lookups of an email, a phone, an IDN and a miss") {
  test::DemoIndex demo;
  import_matrix_users(demo);
  test::Server server(demo.db);
  auto c = test::client_for(server);
  auto details = c->Get((kV2 + "/hash_details").c_str(), test::bearer(demo.client));
  REQUIRE(details);
  CHECK(details->status == 200);
  check_cors(details);
  json d = json::parse(details->body);
  CHECK(d["algorithms"] == json{"none", "sha256"});
  const std::string pepper = d["lookup_pepper"].get<std::string>();
  CHECK(pepper.size() == 43);

  json m = sha256_lookup(*c, demo.client, pepper,
                         {"alice@example.com email", "4930901820 msisdn", "carol@b\xc3\xbc" "cher.example email",
                          "carol@xn--bcher-kva.example email", "nobody@example.com email",
                          "bob@example.org email",   // only a mimi:// user: left out ("omit")
                          "14155550100 msisdn",       // opted out
                          "33142685300 msisdn"});     // expired
  const json h = hashed(pepper, {"alice@example.com email", "4930901820 msisdn",
                                 "carol@b\xc3\xbc" "cher.example email", "carol@xn--bcher-kva.example email"});
  CHECK(m == json{{h[0].get<std::string>(), "@alice:matrix.example"},
                  {h[1].get<std::string>(), "@dieter:matrix.example"},
                  {h[2].get<std::string>(), "@carol:matrix.example"},
                  {h[3].get<std::string>(), "@carol:matrix.example"}});
  // The spec's forms only: "+" in an msisdn or an upper-case email hash to nothing.
  CHECK(sha256_lookup(*c, demo.client, pepper, {"+4930901820 msisdn", "Alice@example.com email"}).empty());
}

TEST_CASE("matrix: the none algorithm, and non_matrix_users user_uri") {
  test::DemoIndex demo;
  import_matrix_users(demo);
  test::Server server(demo.db, demo.config(R"({"matrix": {"non_matrix_users": "user_uri"}})"));
  auto c = test::client_for(server);
  const std::string pepper = pepper_of(*c, demo.client);
  auto r = lookup(*c, demo.client,
                  {{"addresses", {"alice@example.com email", "4930901820 msisdn", "bob@example.org email", "junk",
                                  "nobody@example.com email", "12 msisdn"}},
                   {"algorithm", "none"},
                   {"pepper", pepper}});
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(json::parse(r->body)["mappings"] == json{{"alice@example.com email", "@alice:matrix.example"},
                                                 {"4930901820 msisdn", "@dieter:matrix.example"},
                                                 {"bob@example.org email", "mimi://talk.example/users/bob"}});
}

TEST_CASE("matrix: lookup errors: M_MISSING_PARAMS, M_INVALID_PARAM, M_INVALID_PEPPER, M_NOT_JSON, M_TOO_LARGE") {
  test::DemoIndex demo;
  test::Server server(demo.db, demo.config(R"({"max_batch": 3})"));
  auto c = test::client_for(server);
  const std::string pepper = pepper_of(*c, demo.client);
  check_error(lookup(*c, demo.client, {{"addresses", json::array()}, {"pepper", pepper}}), 400, "M_MISSING_PARAMS");
  check_error(lookup(*c, demo.client, {{"addresses", json::array()}, {"algorithm", "md5"}, {"pepper", pepper}}), 400,
              "M_INVALID_PARAM");
  check_error(lookup(*c, demo.client, {{"addresses", "x"}, {"algorithm", "sha256"}, {"pepper", pepper}}), 400,
              "M_INVALID_PARAM");
  json bad = check_error(
      lookup(*c, demo.client, {{"addresses", json::array()}, {"algorithm", "sha256"}, {"pepper", "matrixrocks"}}), 400,
      "M_INVALID_PEPPER");
  CHECK(bad["lookup_pepper"] == pepper);
  CHECK(bad["algorithm"] == "sha256");
  check_error(c->Post((kV2 + "/lookup").c_str(), test::bearer(demo.client), "{nope", "application/json"), 400,
              "M_NOT_JSON");
  check_error(lookup(*c, demo.client, {{"addresses", {"a", "b", "c", "d"}}, {"algorithm", "sha256"}, {"pepper", pepper}}),
              413, "M_TOO_LARGE");
}

TEST_CASE("matrix: one unit per address, an unmatched hash costs the distinct budget once, 429 M_LIMIT_EXCEEDED") {
  test::DemoIndex demo;
  import_matrix_users(demo);
  test::Server server(demo.db, demo.config(R"({"rate_limits": {
    "client": {"rate": 1000, "burst": 1000, "distinct_per_day": 3}}})"));
  auto c = test::client_for(server);
  const std::string pepper = pepper_of(*c, demo.client);
  // A hit costs its identifier: the same one as /v1/lookup charges.
  CHECK(sha256_lookup(*c, demo.client, pepper, {"alice@example.com email"}).size() == 1);
  CHECK(c->Get("/v1/lookup?id=alice@example.com", test::bearer(demo.client))->status == 200);
  // A miss costs its hash, once.
  CHECK(sha256_lookup(*c, demo.client, pepper, {"nobody@example.com email"}).empty());
  CHECK(sha256_lookup(*c, demo.client, pepper, {"nobody@example.com email"}).empty());
  CHECK(sha256_lookup(*c, demo.client, pepper, {"other@example.com email"}).empty());
  auto limited = lookup(*c, demo.client,
                        {{"addresses", hashed(pepper, {"third@example.com email"})}, {"algorithm", "sha256"},
                         {"pepper", pepper}});
  json body = check_error(limited, 429, "M_LIMIT_EXCEEDED");
  CHECK(body["retry_after_ms"].get<std::int64_t>() >= 1000);
  CHECK(std::stoll(limited->get_header_value("Retry-After")) * 1000 == body["retry_after_ms"].get<std::int64_t>());
}

TEST_CASE("matrix: discoveryctl matrix rotate-pepper, the old pepper is accepted for the grace period only") {
  test::DemoIndex demo;
  import_matrix_users(demo);
  test::Server server(demo.db, demo.config(R"({"matrix": {"pepper_rotation_s": 0, "pepper_grace_s": 2}})"));
  auto c = test::client_for(server);
  const std::string old = pepper_of(*c, demo.client);
  demo.ctl({"matrix", "rotate-pepper"});
  const std::string now = pepper_of(*c, demo.client);
  CHECK(now != old);
  CHECK(now.size() == 43);
  // Both peppers find the address during the grace period.
  CHECK(sha256_lookup(*c, demo.client, old, {"alice@example.com email"}).size() == 1);
  CHECK(sha256_lookup(*c, demo.client, now, {"alice@example.com email"}).size() == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(3200));
  json bad = check_error(lookup(*c, demo.client, {{"addresses", hashed(old, {"alice@example.com email"})},
                                                  {"algorithm", "sha256"}, {"pepper", old}}),
                         400, "M_INVALID_PEPPER");
  CHECK(bad["lookup_pepper"] == now);
  CHECK(sha256_lookup(*c, demo.client, now, {"alice@example.com email"}).size() == 1);
  // A mapping written after the rotation is found under the new pepper at once.
  std::string extra = demo.dir.file("late.jsonl");
  test::write_file(extra, R"({"identifier": "erin@example.com", "provider": "matrix.example", "user": "matrix:u/erin:matrix.example"})" "\n");
  demo.ctl({"import", extra});
  CHECK(sha256_lookup(*c, demo.client, now, {"erin@example.com email"}) ==
        json{{hashed(now, {"erin@example.com email"})[0].get<std::string>(), "@erin:matrix.example"}});
  // Opting out removes it from the answer at once.
  demo.ctl({"optout", "erin@example.com"});
  CHECK(sha256_lookup(*c, demo.client, now, {"erin@example.com email"}).empty());
}

TEST_CASE("matrix: the timer rotates the pepper every matrix.pepper_rotation_s") {
  test::DemoIndex demo;
  test::Server server(demo.db, demo.config(R"({"matrix": {"pepper_rotation_s": 1, "pepper_grace_s": 60}})"));
  auto c = test::client_for(server);
  const std::string first = pepper_of(*c, demo.client);
  std::string later = first;
  for (int i = 0; i < 40 && later == first; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    later = pepper_of(*c, demo.client);
  }
  CHECK(later != first);
  // Within the grace period the first pepper still answers.
  auto r = lookup(*c, demo.client, {{"addresses", json::array()}, {"algorithm", "sha256"}, {"pepper", first}});
  REQUIRE(r);
  CHECK(r->status == 200);
}
