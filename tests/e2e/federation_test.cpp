// End-to-end federation (DESIGN.md §5, issue 4): several real discoveryd processes, each with its
// own index and key, plus misbehaving fake peers. Checks that every honest mapping comes back and
// verifies under its own DP's JWKS, that each bad peer is dropped with the right status, that the
// answer arrives within the deadline, that each bad peer's entry says why (issue 8), and that two
// DPs peering with each other do not loop.
#include <doctest/doctest.h>

#include <httplib.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>

#include "resolver/assertion.hpp"
#include "resolver/base64url.hpp"
#include "tests/e2e/fake_peer.hpp"
#include "tests/support/process.hpp"

using nlohmann::json;

namespace {

const std::string kId = "tel:+14155552671";

// One real discovery provider: its index, key, client token and running discoveryd.
struct Dp {
  std::string domain;
  test::TempDir dir;
  std::string db = dir.file("index.db");
  std::string token;
  std::unique_ptr<test::Server> server;

  explicit Dp(std::string d, const std::string& records) : domain(std::move(d)) {
    REQUIRE(ctl({"init", "--issuer", domain}).exit_code == 0);
    test::write_file(dir.file("data.jsonl"), records);
    REQUIRE(ctl({"import", dir.file("data.jsonl")}).exit_code == 0);
    auto t = ctl({"token", "create", "--role", "client"});
    REQUIRE(t.exit_code == 0);
    token = t.out.substr(0, t.out.find_last_not_of('\n') + 1);
    token = token.substr(token.find_last_of('\n') + 1);
    test::write_file(dir.file("config.json"), R"({"federation": {"peer_timeout_ms": 800, "deadline_ms": 1500}})");
    server = std::make_unique<test::Server>(db, std::vector<std::string>{"--config", dir.file("config.json")});
  }
  test::RunResult ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {test::bin("discoveryctl"), "--db", db});
    return test::run(args);
  }
  // The first key of `key show`, as base64url of the raw bytes.
  std::string public_key() {
    auto r = ctl({"key", "show"});
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out)["keys"][0]["x"];
  }
  void add_peer(const std::string& peer_domain, const std::string& url, const std::string& key) {
    auto r = ctl({"peer", "add", "--domain", peer_domain, "--url", url, "--key", key});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  }
  httplib::Result get(const std::string& path, bool with_token = true) {
    httplib::Client c(server->base_url());
    c.set_connection_timeout(std::chrono::seconds(5));
    c.set_read_timeout(std::chrono::seconds(10));
    httplib::Headers h;
    if (with_token) h.emplace("Authorization", "Bearer " + token);
    return c.Get(path, h);
  }
};

std::string record(const std::string& provider, const std::string& user) {
  return json{{"identifier", kId}, {"provider", provider}, {"user", user}}.dump() + "\n";
}

// Verifies `jws` under the JWKS the DP at `url` publishes; returns its claims' issuer or "".
std::string verified_issuer(const std::string& url, const std::string& jws) {
  httplib::Client c(url);
  c.set_connection_timeout(std::chrono::seconds(5));
  c.set_read_timeout(std::chrono::seconds(5));
  auto res = c.Get("/.well-known/mimi-discovery");
  if (!res || res->status != 200) return "";
  auto meta = json::parse(res->body);
  const resolver::KeyLookup keys = [&](const std::string& kid) -> std::optional<std::string> {
    for (const auto& k : meta["jwks"]["keys"]) {
      if (k["kid"] == kid) return resolver::base64url_decode(k["x"].get<std::string>());
    }
    return std::nullopt;
  };
  auto claims = resolver::verify_assertion(jws, keys);
  return claims && claims->iss == meta["issuer"] ? claims->iss : "";
}

std::map<std::string, std::string> peer_statuses(const json& answer) {
  std::map<std::string, std::string> out;
  for (const auto& p : answer["peers"]) out[p["domain"]] = p["status"];
  return out;
}

// Each peer's detail, "(none)" for a peer entry without one.
std::map<std::string, std::string> peer_details(const json& answer) {
  std::map<std::string, std::string> out;
  for (const auto& p : answer["peers"]) out[p["domain"]] = p.value("detail", "(none)");
  return out;
}

}  // namespace

TEST_CASE("a federated lookup keeps every honest mapping and drops each bad peer with its status") {
  Dp dp1("dp1.example", record("chat1.example", "mimi://chat1.example/u/1"));
  Dp dp2("dp2.example", record("chat2.example", "mimi://chat2.example/u/2") +
                            record("chat1.example", "mimi://chat1.example/u/1"));  // a duplicate
  Dp dp3("dp3.example", record("chat3.example", "mimi://chat3.example/u/3"));
  test::FakePeer wrong_key(test::FakePeer::Kind::wrong_key, "forger.example");
  test::FakePeer silent(test::FakePeer::Kind::silent, "silent.example");
  test::FakePeer garbage(test::FakePeer::Kind::garbage, "garbage.example");
  test::FakePeer oversized(test::FakePeer::Kind::oversized, "oversized.example");
  test::FakePeer locked(test::FakePeer::Kind::http_error, "locked.example", 401);

  dp1.add_peer("dp2.example", dp2.server->base_url(), dp2.public_key());
  dp1.add_peer("dp3.example", dp3.server->base_url(), dp3.public_key());
  for (auto* f : {&wrong_key, &silent, &garbage, &oversized, &locked}) {
    dp1.add_peer(f->domain(), f->url(), f->pinned_key());
  }
  dp1.add_peer("down.example", "http://127.0.0.1:" + std::to_string(test::FakePeer::closed_port()),
               dp3.public_key());
  dp2.add_peer("dp1.example", dp1.server->base_url(), dp1.public_key());  // mutual peering

  const auto t0 = std::chrono::steady_clock::now();
  auto res = dp1.get("/v1/lookup?id=%2B14155552671");
  const auto took = std::chrono::steady_clock::now() - t0;
  REQUIRE(res);
  REQUIRE(res->status == 200);
  CHECK(took < std::chrono::milliseconds(1500));
  auto answer = json::parse(res->body);
  INFO(answer.dump(2));
  CHECK(answer["status"] == "found");
  CHECK(answer["complete"] == false);
  CHECK(peer_statuses(answer) == std::map<std::string, std::string>{
                                     {"dp2.example", "ok"},
                                     {"dp3.example", "ok"},
                                     {"forger.example", "bad_signature"},
                                     {"silent.example", "timeout"},
                                     {"garbage.example", "error"},
                                     {"oversized.example", "error"},
                                     {"locked.example", "error"},
                                     {"down.example", "error"}});
  auto details = peer_details(answer);
  auto says = [&](const std::string& domain, const std::string& words) {
    return details[domain].find(words) != std::string::npos;
  };
  CHECK(details["dp2.example"] == "(none)");
  CHECK(details["dp3.example"] == "(none)");
  CHECK(says("locked.example", "The peer answered HTTP 401; check the token"));
  CHECK(says("forger.example", "does not verify under its pinned key"));
  CHECK(says("silent.example", "did not answer within 800 ms"));
  CHECK(says("garbage.example", "not JSON"));
  CHECK(says("oversized.example", "over 4194304 bytes"));
  CHECK(says("down.example", "refused the connection"));
  REQUIRE(answer["mappings"].size() == 3);
  const std::map<std::string, std::string> url_of = {{"local", dp1.server->base_url()},
                                                     {"dp2.example", dp2.server->base_url()},
                                                     {"dp3.example", dp3.server->base_url()}};
  const std::map<std::string, std::string> provider_of = {
      {"local", "chat1.example"}, {"dp2.example", "chat2.example"}, {"dp3.example", "chat3.example"}};
  for (const auto& m : answer["mappings"]) {
    const std::string source = m["source"];
    REQUIRE(url_of.count(source) == 1);
    CHECK(m["provider"] == provider_of.at(source));
    CHECK(verified_issuer(url_of.at(source), m["assertion"]) == (source == "local" ? "dp1.example" : source));
  }

  SUBCASE("cached: the honest peers are not asked again") {
    auto again = json::parse(dp1.get("/v1/lookup?id=%2B14155552671")->body);
    CHECK(again["mappings"].size() == 3);
    CHECK(wrong_key.requests() == 2);  // a bad answer is never cached
  }
  SUBCASE("federate=false and anonymous callers get the local answer alone") {
    auto local = json::parse(dp1.get("/v1/lookup?id=%2B14155552671&federate=false")->body);
    CHECK(local["mappings"].size() == 1);
    CHECK(local["peers"].empty());
    CHECK(local["complete"] == true);
    auto anonymous = json::parse(dp1.get("/v1/lookup?id=%2B14155552671", false)->body);
    CHECK(anonymous["mappings"].size() == 1);
    CHECK(anonymous["peers"].empty());
  }
  SUBCASE("two DPs that peer with each other answer without looping") {
    const auto t1 = std::chrono::steady_clock::now();
    auto back = dp2.get("/v1/lookup?id=%2B14155552671");
    REQUIRE(back);
    CHECK(std::chrono::steady_clock::now() - t1 < std::chrono::milliseconds(1500));
    auto j = json::parse(back->body);
    CHECK(j["complete"] == true);
    CHECK(peer_statuses(j) == std::map<std::string, std::string>{{"dp1.example", "ok"}});
    // dp2's two local mappings, then dp1's own (dp1 answered locally: it did not ask dp2 back).
    REQUIRE(j["mappings"].size() == 2);
    CHECK(j["mappings"][0]["source"] == "local");
    CHECK(j["mappings"][1]["source"] == "local");
  }
  SUBCASE("a batch federates with one upstream request per peer") {
    httplib::Client c(dp1.server->base_url());
    c.set_read_timeout(std::chrono::seconds(10));
    const int before = wrong_key.requests();
    auto r = c.Post("/v1/lookup", {{"Authorization", "Bearer " + dp1.token}},
                    R"({"identifiers": ["+14155552671", "+14155552672", "mailto:nobody@example.com"]})",
                    "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    auto j = json::parse(r->body);
    REQUIRE(j["results"].size() == 3);
    CHECK(j["results"][0]["mappings"].size() == 3);
    CHECK(j["results"][1]["status"] == "not_found");
    CHECK(wrong_key.requests() == before + 1);
  }
}
