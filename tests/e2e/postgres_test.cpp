// End-to-end tests on PostgreSQL (DESIGN.md §10): the real discoveryctl and discoveryd binaries
// on a real PostgreSQL 15 that the test starts (tests/support/postgres_server.hpp): every
// discoveryctl command, two discoveryd nodes on one index, and PostgreSQL stopped and restarted
// under them.
#include <doctest/doctest.h>

#include <chrono>
#include <regex>
#include <thread>

#include <nlohmann/json.hpp>

#include "resolver/pepper.hpp"
#include "tests/e2e/server_fixture.hpp"
#include "tests/support/postgres_server.hpp"

using json = nlohmann::json;

namespace {

// GET `path` on `server` and its status (0 when no answer came).
int status_of(const test::Server& server, const std::string& path) {
  auto r = test::client_for(server)->Get(path.c_str());
  return r ? r->status : 0;
}

json lookup(const test::Server& server, const std::string& id) {
  auto r = test::client_for(server)->Get(("/v1/lookup?id=" + id).c_str());
  REQUIRE(r);
  REQUIRE_MESSAGE(r->status == 200, r->body);
  return json::parse(r->body);
}

// PUT one mapping of `identifier` at chat.example through `server`'s admin API; its status.
int put_mapping(const test::Server& server, const std::string& admin, const std::string& identifier,
                const std::string& user) {
  const json body = {{"mappings", {{{"identifier", identifier}, {"provider", "chat.example"}, {"user", user}}}}};
  auto r = test::client_for(server)->Put("/v1/admin/mappings", test::bearer(admin), body.dump(),
                                         "application/json");
  return r ? r->status : 0;
}

// Waits up to 15 s for `server` to answer `path` with 200.
bool answers_again(const test::Server& server, const std::string& path) {
  for (int i = 0; i < 150; ++i) {
    if (status_of(server, path) == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace

TEST_CASE("PostgreSQL: every discoveryctl command, and the same export as SQLite's") {
  test::DemoIndex pg(test::PostgresServer::shared().create_database());
  test::DemoIndex sqlite;
  CHECK_THROWS(pg.ctl({"init", "--issuer", "dp.example"}));  // already initialised
  const std::string exported = pg.ctl({"export"});
  // The same records, byte for byte, but for the import times, which may straddle a second.
  const std::regex import_time(R"("updated_at":"[^"]*")");
  CHECK(std::regex_replace(exported, import_time, "") ==
        std::regex_replace(sqlite.ctl({"export"}), import_time, ""));
  CHECK(json::parse(pg.ctl({"stats"})) == json::parse(sqlite.ctl({"stats"})));

  auto found = json::parse(pg.ctl({"lookup", "+1 (415) 555-2671"}));
  CHECK(found["status"] == "found");
  CHECK(found["mappings"].size() == 2);
  pg.ctl({"optout", "tel:+14155552671"});
  CHECK(json::parse(pg.ctl({"lookup", "+14155552671"}))["status"] == "opted_out");
  pg.ctl({"optin", "+14155552671"});
  CHECK(json::parse(pg.ctl({"lookup", "+14155552671"}))["status"] == "not_found");

  const std::string reimported = pg.ctl({"import", "-"});  // nothing on stdin: nothing changes
  CHECK(reimported.find("0 inserted, 0 updated") != std::string::npos);
  test::RunResult again = test::run({test::bin("discoveryctl"), "--db", pg.db, "import", "-"}, exported);
  REQUIRE(again.exit_code == 0);
  // The two mappings the opt-out removed come back; the others were there and are updated.
  CHECK_MESSAGE(again.out.find("2 inserted, ") != std::string::npos, again.out);
  CHECK(json::parse(pg.ctl({"lookup", "+14155552671"}))["status"] == "found");

  CHECK(pg.ctl({"token", "list"}).find("admin") != std::string::npos);
  pg.ctl({"peer", "add", "--domain", "peer.example", "--url", "https://peer.example", "--key",
          "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"});
  CHECK(pg.ctl({"peer", "list"}).find("peer.example") != std::string::npos);
  pg.ctl({"key", "rotate"});
  CHECK(json::parse(pg.ctl({"key", "show"}))["keys"].size() == 2);
  CHECK(json::parse(pg.ctl({"stats"}))["peers"] == 1);
  pg.ctl({"peer", "remove", "peer.example"});
  const json tokens = json::parse(pg.ctl({"token", "list"}));
  REQUIRE(tokens.size() == 2);
  pg.ctl({"token", "revoke", tokens[0]["id"].get<std::string>()});
  const json stats = json::parse(pg.ctl({"stats"}));
  CHECK(stats["peers"] == 0);
  CHECK(stats["tokens"] == 1);

  pg.ctl({"remove", "alice@example.com"});
  CHECK(json::parse(pg.ctl({"lookup", "alice@example.com"}))["status"] == "not_found");
  test::write_file(pg.dir.file("rows.csv"),
                   "identifier,provider,user,tags,expires_at\n"
                   "alice@example.com,chat.example,mimi://chat.example/u/a,personal;work,\n");
  CHECK(pg.ctl({"import", pg.dir.file("rows.csv"), "--format", "csv"}).find("1 inserted") !=
        std::string::npos);
  CHECK(json::parse(pg.ctl({"lookup", "alice@example.com"}))["mappings"][0]["tags"].size() == 2);
  // Every bad row is listed in one pass and nothing lands, on PostgreSQL as on SQLite.
  const test::RunResult bad = test::run(
      {test::bin("discoveryctl"), "--db", pg.db, "import", "-"},
      "{\"identifier\": \"bob@example.com\", \"provider\": \"chat.example\", \"user\": \"mimi://chat.example/u/b\"}\n"
      "not json\n{\"identifier\": \"bob@example.com\", \"provider\": \"bad domain\", \"user\": \"x:1\"}\n");
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("line 2: ") != std::string::npos);
  CHECK(bad.err.find("line 3: provider") != std::string::npos);
  CHECK(bad.err.find("2 bad lines") != std::string::npos);
  CHECK(json::parse(pg.ctl({"lookup", "bob@example.com"}))["status"] == "not_found");
  // Nothing identifies a person in PostgreSQL's log (DESIGN.md §8).
  const std::string log = test::PostgresServer::shared().log();
  CHECK(log.find("alice") == std::string::npos);
  CHECK(log.find("14155552671") == std::string::npos);
}

TEST_CASE("PostgreSQL: two discoveryd nodes on one index serve each other's writes at once") {
  test::DemoIndex demo(test::PostgresServer::shared().create_database());
  test::Server a(demo.db);
  test::Server b(demo.db);
  CHECK(lookup(b, "carol@example.net")["status"] == "not_found");
  REQUIRE(put_mapping(a, demo.admin, "carol@example.net", "mimi://chat.example/u/carol") == 200);
  const json served = lookup(b, "carol@example.net");  // no wait: the next request
  CHECK(served["status"] == "found");
  CHECK(served["mappings"][0]["user"] == "mimi://chat.example/u/carol");

  demo.ctl({"optout", "carol@example.net"});  // discoveryctl beside the nodes
  CHECK(lookup(a, "carol@example.net")["status"] == "opted_out");
  CHECK(lookup(b, "carol@example.net")["status"] == "opted_out");
}

TEST_CASE("PostgreSQL: two nodes serve one Matrix pepper, and a mapping written through one is found by hash on the other") {
  test::DemoIndex demo(test::PostgresServer::shared().create_database());
  test::Server a(demo.db);
  test::Server b(demo.db);
  auto ca = test::client_for(a);
  auto cb = test::client_for(b);
  auto pepper_at = [&](httplib::Client& c) {
    auto r = c.Get("/_matrix/identity/v2/hash_details", test::bearer(demo.client));
    REQUIRE(r);
    REQUIRE(r->status == 200);
    return json::parse(r->body)["lookup_pepper"].get<std::string>();
  };
  const std::string pepper = pepper_at(*ca);
  CHECK(pepper_at(*cb) == pepper);  // the first node made it; the second found it
  REQUIRE(put_mapping(a, demo.admin, "carol@example.net", "matrix:u/carol:matrix.example") == 200);
  json body = {{"addresses", {resolver::matrix_hash("carol@example.net", "email", pepper)}},
               {"algorithm", "sha256"},
               {"pepper", pepper}};
  auto r = cb->Post("/_matrix/identity/v2/lookup", test::bearer(demo.client), body.dump(), "application/json");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(json::parse(r->body)["mappings"].begin().value() == "@carol:matrix.example");
  demo.ctl({"matrix", "rotate-pepper"});
  const std::string next = pepper_at(*cb);
  CHECK(next != pepper);
  body["addresses"] = {resolver::matrix_hash("carol@example.net", "email", next)};
  body["pepper"] = next;
  r = ca->Post("/_matrix/identity/v2/lookup", test::bearer(demo.client), body.dump(), "application/json");
  REQUIRE(r);
  CHECK(json::parse(r->body)["mappings"].size() == 1);
}

TEST_CASE("PostgreSQL: stopped, the nodes answer 503 with Retry-After, restarted, they serve again") {
  test::PostgresServer postgres;  // its own server, since this test stops it
  test::DemoIndex demo(postgres.create_database());
  test::Server a(demo.db);
  test::Server b(demo.db);
  // Acknowledged: it must survive the restart.
  REQUIRE(put_mapping(a, demo.admin, "dave@example.net", "mimi://chat.example/u/dave") == 200);
  CHECK(lookup(b, "alice@example.com")["status"] == "found");

  postgres.stop();
  for (const test::Server* node : {&a, &b}) {
    auto r = test::client_for(*node)->Get("/v1/lookup?id=alice@example.com");
    REQUIRE(r);
    CHECK(r->status == 503);
    CHECK(json::parse(r->body)["error"]["code"] == "unavailable");
    // Where the database lives is for the operator's log, not for a caller.
    CHECK(r->body.find("127.0.0.1") == std::string::npos);
    CHECK(r->body.find(std::to_string(postgres.port())) == std::string::npos);
    CHECK(r->get_header_value("Retry-After") == "1");
    CHECK(status_of(*node, "/healthz") == 503);
  }

  postgres.start();
  CHECK(answers_again(a, "/healthz"));
  CHECK(answers_again(b, "/v1/lookup?id=dave@example.net"));
  CHECK(lookup(a, "dave@example.net")["mappings"][0]["user"] == "mimi://chat.example/u/dave");
  CHECK(lookup(b, "alice@example.com")["status"] == "found");
  const std::string log = postgres.log();
  CHECK(log.find("database system is ready to accept connections") != std::string::npos);
  CHECK(log.find("dave") == std::string::npos);  // no identifier in PostgreSQL's log
  CHECK(log.find("alice") == std::string::npos);
}
