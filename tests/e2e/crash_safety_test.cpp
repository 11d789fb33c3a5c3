// Crash safety of acknowledged writes (issue 10): discoveryd killed with SIGKILL while admin
// writes stream in; every write that was answered 2xx is in the index after a restart.
#include <signal.h>

#include <atomic>
#include <sstream>
#include <thread>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "resolver/base64url.hpp"
#include "server_fixture.hpp"

using nlohmann::json;

TEST_CASE("crash safety: kill -9 during acknowledged admin writes loses none of them") {
  test::DemoIndex demo;
  // The limiter off: the check reads back every write at once.
  const auto config = demo.config(R"({"rate_limits": {"enabled": false}})");
  std::vector<std::string> acknowledged;
  {
    test::Server server(demo.db, config);
    std::atomic<bool> killed{false};
    // Two writers, so that writes are in flight at the moment of the kill.
    auto writer = [&](int id, std::vector<std::string>& mine) {
      auto c = test::client_for(server);
      for (int i = 0; !killed; ++i) {
        const std::string who = "crash" + std::to_string(id) + "-" + std::to_string(i) + "@example.com";
        const json body = {{"mappings", {{{"identifier", who}, {"provider", "chat.example"},
                                          {"user", "mimi://chat.example/u/" + who}}}}};
        auto r = c->Put("/v1/admin/mappings", test::bearer(demo.admin), body.dump(), "application/json");
        if (!r) break;  // the server is gone
        if (r->status == 200) mine.push_back(who);
      }
    };
    std::vector<std::string> a, b;
    std::thread t1(writer, 1, std::ref(a)), t2(writer, 2, std::ref(b));
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    CHECK(server.process().stop(SIGKILL) != 0);
    killed = true;
    t1.join();
    t2.join();
    acknowledged = a;
    acknowledged.insert(acknowledged.end(), b.begin(), b.end());
  }
  REQUIRE(acknowledged.size() > 10);
  test::Server restarted(demo.db, config);
  auto c = test::client_for(restarted);
  std::vector<std::string> lost;
  for (std::size_t i = 0; i < acknowledged.size(); i += 50) {
    json ids = json::array();
    for (std::size_t j = i; j < std::min(i + 50, acknowledged.size()); ++j) ids.push_back(acknowledged[j]);
    auto r = c->Post("/v1/lookup", test::bearer(demo.admin), json{{"identifiers", ids}, {"federate", false}}.dump(),
                     "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    const json answer = json::parse(r->body);  // a range-for over parse(...)["results"] would dangle
    for (const auto& result : answer["results"]) {
      if (result["status"] != "found") lost.push_back(result.value("identifier", ""));
    }
  }
  CAPTURE(acknowledged.size());
  CHECK(lost.empty());
}

TEST_CASE("crash safety: kill -9 during an import leaves the index as before or with every row") {
  test::DemoIndex demo;
  const auto mappings = [&] { return json::parse(demo.ctl({"stats"}))["mappings"].get<std::int64_t>(); };
  const std::int64_t before = mappings();
  const std::string rows = demo.dir.file("rows.jsonl");
  {
    std::string text;
    for (int i = 0; i < 200000; ++i) {
      text += R"({"identifier": "bulk)" + std::to_string(i) +
              R"(@example.com", "provider": "chat.example", "user": "mimi://chat.example/u/)" + std::to_string(i) + "\"}\n";
    }
    test::write_file(rows, text);
  }
  for (int delay_ms : {50, 400}) {  // while it parses, and (on a fast machine) while it writes
    CAPTURE(delay_ms);
    test::Process import({test::bin("discoveryctl"), "--db", demo.db, "import", rows}, demo.dir.file("import.err"));
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    (void)import.stop(SIGKILL);
    const std::int64_t after = mappings();  // opens the index: it must still be readable
    CHECK((after == before || after == before + 200000));
    if (after != before) break;  // the import finished before the kill: nothing more to learn
  }
}

TEST_CASE("crash safety: kill -9 during key rotations leaves one active key, the newest, and a server that signs with it") {
  test::DemoIndex demo;
  const auto keys_in_index = [&] {
    test::RunResult r = test::run({"/usr/bin/sqlite3", demo.db,
                                   "PRAGMA integrity_check; SELECT COUNT(*) FROM signing_keys;"
                                   " SELECT COUNT(*) FROM signing_keys WHERE active = 1;"
                                   " SELECT (SELECT kid FROM signing_keys WHERE active = 1) ="
                                   " (SELECT kid FROM signing_keys ORDER BY rowid DESC LIMIT 1);"});
    REQUIRE(r.exit_code == 0);
    std::istringstream lines(r.out);
    std::string integrity;
    int all = 0, active = 0, newest_is_active = 0;
    lines >> integrity >> all >> active >> newest_is_active;
    CHECK(integrity == "ok");
    CHECK(active == 1);
    CHECK(newest_is_active == 1);
    return all;
  };
  const int first = keys_in_index();
  int completed = 0, attempts = 0;
  // Kills from 0 to 9.5 ms after the start: before the open, during the transaction, after it.
  for (; attempts < 40; ++attempts) {
    test::Process rotate({test::bin("discoveryctl"), "--db", demo.db, "key", "rotate"}, demo.dir.file("rotate.err"));
    std::this_thread::sleep_for(std::chrono::microseconds(500 * (attempts % 20)));
    if (rotate.stop(SIGKILL) == 0) ++completed;
  }
  const int after = keys_in_index();
  CAPTURE(completed);
  CHECK(after >= first + completed);
  CHECK(after <= first + attempts);

  // The server starts on it, publishes every key with the active one first, and signs with that.
  test::Server server(demo.db);
  auto c = test::client_for(server);
  auto meta = c->Get("/.well-known/mimi-discovery");
  REQUIRE(meta);
  const json jwks = json::parse(meta->body)["jwks"]["keys"];
  CHECK(static_cast<int>(jwks.size()) == after);
  auto r = c->Get("/v1/lookup?id=alice%40example.com&federate=false");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  const std::string jws = json::parse(r->body)["mappings"][0]["assertion"];
  const json header = json::parse(resolver::base64url_decode(jws.substr(0, jws.find('.'))).value());
  CHECK(header["kid"] == jwks[0]["kid"]);
}
