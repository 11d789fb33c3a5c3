// End-to-end tests of private lookups (DESIGN.md §12) on the real binaries: discoveryctl private
// rotate and status, a real discoveryd answering evaluate and buckets to the client of
// resolver/private_client.hpp, writes followed within private.refresh_s, the previous epoch served
// after a rotation, and what the DP keeps (access log, /metrics, the index) revealing nothing of
// the identifier looked up.
#include <doctest/doctest.h>

#include <csignal>
#include <filesystem>
#include <thread>

#include <nlohmann/json.hpp>

#include "resolver/assertion.hpp"
#include "resolver/base64url.hpp"
#include "resolver/private_client.hpp"
#include "server_fixture.hpp"

using nlohmann::json;

namespace {

// discoveryd with its stderr (the access log) in a file of the demo's folder.
struct LoggedServer {
  explicit LoggedServer(test::DemoIndex& demo)
      : log(demo.dir.file("discoveryd.log")),
        process({test::bin("discoveryd"), "--db", demo.db, "--listen", "127.0.0.1:0", "--config",
                 demo.config(R"({"private": {"refresh_s": 1}})")[1]},
                log) {
    std::string line = process.wait_for_line("listening on ");
    REQUIRE_FALSE(line.empty());
    port = std::stoi(line.substr(line.rfind(':') + 1));
  }
  std::unique_ptr<httplib::Client> client() const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port);
    c->set_read_timeout(10, 0);
    return c;
  }
  std::string log;
  test::Process process;
  int port = 0;
};

resolver::PrivateServerKey server_key(httplib::Client& c, const std::string& which = "private") {
  auto r = c.Get("/.well-known/mimi-discovery");
  REQUIRE(r);
  json meta = json::parse(r->body);
  if (which == "previous") {
    json p = meta["private"]["previous"];
    p["suite"] = "ristretto255-SHA512";
    p["mode"] = 1;
    meta["private"] = p;
  }
  auto key = resolver::read_private_metadata(meta);
  REQUIRE_MESSAGE(key.ok(), key.status().message());
  return *key;
}

// The private answer for canonical `id`, or nullopt when the DP holds nothing for it.
std::optional<json> private_lookup(httplib::Client& c, const resolver::PrivateServerKey& key,
                                   const std::string& id) {
  auto q = resolver::PrivateQuery::start(key, {id});
  REQUIRE(q.ok());
  auto evaluated = c.Post("/v1/private/evaluate", q->evaluate_request(), "application/json");
  REQUIRE(evaluated);
  REQUIRE_MESSAGE(evaluated->status == 200, evaluated->body);
  REQUIRE(q->finish(evaluated->body).ok());
  const std::string path = "/v1/private/buckets/" + key.key_id + "/" + std::to_string(q->bucket(0));
  auto bucket = c.Get(path.c_str());
  REQUIRE(bucket);
  REQUIRE(bucket->status == 200);
  auto opened = q->open(0, bucket->body);
  REQUIRE(opened.ok());
  if (!*opened) return std::nullopt;
  return json::parse(**opened);
}

json plain_lookup(httplib::Client& c, const std::string& query) {
  auto r = c.Get(("/v1/lookup?federate=false&id=" + query).c_str());
  REQUIRE(r);
  return json::parse(r->body);
}

// The answer without its assertions (signed at another time by another process), after checking
// that each verifies under the DP's JWKS and names the identifier.
json verified(httplib::Client& c, json answer) {
  auto meta = json::parse(c.Get("/.well-known/mimi-discovery")->body);
  resolver::KeyLookup keys = [&](const std::string& kid) -> std::optional<std::string> {
    for (const auto& k : meta["jwks"]["keys"])
      if (k["kid"] == kid) return resolver::base64url_decode(k["x"].get<std::string>());
    return std::nullopt;
  };
  for (auto& m : answer["mappings"]) {
    auto claims = resolver::verify_assertion(m["assertion"].get<std::string>(), keys);
    REQUIRE_MESSAGE(claims.ok(), claims.status().message());
    CHECK(claims->sub == answer["identifier"]);
    CHECK(claims->iss == meta["issuer"]);
    m.erase("assertion");
  }
  return answer;
}

// Every row of the index as text, but the refresher's lease (renewed every pass).
std::string index_dump(const std::string& db) {
  auto r = test::run({"/usr/bin/sqlite3", db, ".dump"});
  REQUIRE(r.exit_code == 0);
  std::string out;
  std::size_t start = 0;
  while (start < r.out.size()) {
    std::size_t end = r.out.find('\n', start);
    if (end == std::string::npos) end = r.out.size();
    std::string line = r.out.substr(start, end - start);
    if (line.find("private_lease") == std::string::npos) out += line + "\n";
    start = end + 1;
  }
  return out;
}

}  // namespace

TEST_CASE("private: discoveryctl private rotate builds an epoch that private status shows") {
  test::DemoIndex demo;
  CHECK(json::parse(demo.ctl({"private", "status"}))["epochs"].empty());
  const std::string out = demo.ctl({"private", "rotate"});
  CHECK(out.find("is current") != std::string::npos);
  auto status = json::parse(demo.ctl({"private", "status"}));
  REQUIRE(status["epochs"].size() == 1);
  CHECK(status["epochs"][0]["state"] == "current");
  CHECK(status["epochs"][0]["entries"].get<int>() >= 4);
  CHECK(status["pending_changes"] == 0);
  auto bad = test::run({test::bin("discoveryctl"), "--db", demo.db, "private", "rotate", "--threads", "x"});
  CHECK(bad.exit_code == 2);
}

TEST_CASE("private: a private lookup on a real discoveryd matches /v1 and follows writes") {
  test::DemoIndex demo;
  demo.ctl({"private", "rotate"});
  LoggedServer server(demo);
  auto c = server.client();
  auto key = server_key(*c);

  const std::string before = index_dump(demo.db);
  auto found = private_lookup(*c, key, "tel:+14155552671");
  REQUIRE(found);
  CHECK(verified(*c, *found) == verified(*c, plain_lookup(*c, "%2B14155552671")));
  CHECK((*found)["mappings"].size() == 2);
  CHECK_FALSE(private_lookup(*c, key, "tel:+14155550199"));
  // Nothing the DP keeps names the identifier: the index is unchanged by a private lookup, and
  // neither the access log nor /metrics holds it.
  CHECK(index_dump(demo.db) == before);
  auto metrics = c->Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("4155552671") == std::string::npos);
  CHECK(metrics->body.find("/v1/private/buckets/{key_id}/{bucket}") != std::string::npos);

  // A write shows within private.refresh_s (1 s here); give it a few passes.
  auto put = c->Put("/v1/admin/mappings",
                    test::bearer(demo.admin),
                    R"({"mappings": [{"identifier": "+14155550123", "provider": "chat.example", "user": "mimi://chat.example/u/new"}]})",
                    "application/json");
  REQUIRE(put);
  REQUIRE(put->status == 200);
  std::optional<json> fresh;
  for (int i = 0; i < 50 && !fresh; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    fresh = private_lookup(*c, key, "tel:+14155550123");
  }
  REQUIRE(fresh);
  CHECK((*fresh)["mappings"][0]["user"] == "mimi://chat.example/u/new");

  // After a rotation the previous epoch is still served, and follows writes too.
  demo.ctl({"private", "rotate"});
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // the node's epoch cache
  auto current = server_key(*c);
  CHECK(current.key_id != key.key_id);
  auto previous = server_key(*c, "previous");
  CHECK(previous.key_id == key.key_id);
  CHECK(private_lookup(*c, previous, "tel:+14155552671"));
  CHECK(private_lookup(*c, current, "tel:+14155552671"));

  server.process.stop(SIGTERM);
  // The limiter's state (its budget snapshot, written at exit) holds keyed hashes of random names
  // for blinded elements, never the identifier.
  const std::string snapshot = demo.db + ".ratelimit";
  if (std::filesystem::exists(snapshot)) {
    const std::string limiter = test::read_file(snapshot);
    CHECK(limiter.find("4155552671") == std::string::npos);
    CHECK(limiter.find("private:") == std::string::npos);
  }
  const std::string log = test::read_file(server.log);
  CHECK(log.find("route=/v1/private/evaluate") != std::string::npos);
  CHECK(log.find("4155552671") == std::string::npos);
  CHECK(log.find("4155550199") == std::string::npos);
}
