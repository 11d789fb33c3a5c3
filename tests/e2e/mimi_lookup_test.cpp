// End-to-end tests of mimi-lookup (DESIGN.md §12, issues 13 and 14): the real binary against a
// real discoveryd on a loopback port over a temporary demo index; a federated answer verified
// under the key the server pinned for its peer; a small fake server in front of the real one that
// tampers with an answer, which must fail with the reason; and --private against a real private
// index (discoveryctl private rotate): the same answers as the plain lookup, in several evaluate
// batches, across a key rotation, refusing an evaluate answer whose proof does not verify.
#include <doctest/doctest.h>

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <algorithm>
#include <mutex>
#include <thread>

#include "resolver/base64url.hpp"
#include "tests/e2e/server_fixture.hpp"

using nlohmann::json;

namespace {

test::RunResult lookup(std::vector<std::string> args) {
  args.insert(args.begin(), test::bin("mimi-lookup"));
  return test::run(args);
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A server in front of `real`: /.well-known/mimi-discovery, POST /v1/lookup and the private
// routes pass through; each answer of a /v1/lookup batch passes through `tamper` and those of
// /v1/private/evaluate through `tamper_evaluate` (with the request) first. It counts the evaluate
// requests answered 200 and the most elements one of them held.
class TamperingServer {
 public:
  using Tamper = std::function<void(json&)>;
  using TamperEvaluate = std::function<void(const json& request, json& answer)>;
  TamperingServer(const test::Server& real, Tamper tamper, TamperEvaluate tamper_evaluate = {})
      : tamper_(std::move(tamper)), tamper_evaluate_(std::move(tamper_evaluate)) {
    const int port = real.port();
    server_.Get("/.well-known/mimi-discovery", [this, port](const httplib::Request&, httplib::Response& res) {
      std::string stale;
      {
        std::lock_guard<std::mutex> lock(mu_);
        stale.swap(stale_metadata_);
      }
      httplib::Client c("127.0.0.1", port);
      auto r = c.Get("/.well-known/mimi-discovery");
      res.set_content(!stale.empty() ? stale : r ? r->body : "", "application/json");
    });
    server_.Post("/v1/lookup", [this, port](const httplib::Request& req, httplib::Response& res) {
      httplib::Client c("127.0.0.1", port);
      auto r = c.Post("/v1/lookup", req.body, "application/json");
      res.status = r ? r->status : 502;
      auto answer = json::parse(r ? r->body : "{}");
      if (res.status == 200 && tamper_) {
        for (auto& result : answer["results"]) tamper_(result);
      }
      res.set_content(answer.dump(), "application/json");
    });
    server_.Post("/v1/private/evaluate", [this, port](const httplib::Request& req, httplib::Response& res) {
      httplib::Client c("127.0.0.1", port);
      auto r = c.Post("/v1/private/evaluate", req.body, "application/json");
      res.status = r ? r->status : 502;
      std::string body = r ? r->body : "";
      const json request = json::parse(req.body, nullptr, false);
      if (res.status == 200 && request.is_object()) {
        std::lock_guard<std::mutex> lock(mu_);
        ++evaluations_;
        largest_ = std::max(largest_, request.value("blinded", json::array()).size());
      }
      if (res.status == 200 && tamper_evaluate_) {
        auto answer = json::parse(body);
        tamper_evaluate_(request, answer);
        body = answer.dump();
      }
      res.set_content(body, "application/json");
    });
    server_.Get(R"(/v1/private/buckets/.*)", [port](const httplib::Request& req, httplib::Response& res) {
      httplib::Client c("127.0.0.1", port);
      auto r = c.Get(req.path);
      res.status = r ? r->status : 502;
      res.set_content(r ? r->body : "", "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~TamperingServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // The next metadata request is answered `metadata` (as a server that rotated its key since).
  void serve_metadata_once(std::string metadata) {
    std::lock_guard<std::mutex> lock(mu_);
    stale_metadata_ = std::move(metadata);
  }
  int evaluations() {
    std::lock_guard<std::mutex> lock(mu_);
    return evaluations_;
  }
  std::size_t largest_evaluation() {
    std::lock_guard<std::mutex> lock(mu_);
    return largest_;
  }

 private:
  Tamper tamper_;
  TamperEvaluate tamper_evaluate_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mu_;
  std::string stale_metadata_;
  int evaluations_ = 0;
  std::size_t largest_ = 0;
};

// The JWS with its payload's `claim` set to `value`, the signature kept.
std::string with_claim(const std::string& jws, const std::string& claim, const std::string& value) {
  const auto first = jws.find('.'), second = jws.find('.', first + 1);
  auto payload = json::parse(*resolver::base64url_decode(jws.substr(first + 1, second - first - 1)));
  payload[claim] = value;
  return jws.substr(0, first + 1) + resolver::base64url_encode(payload.dump()) + jws.substr(second);
}

}  // namespace

TEST_CASE("mimi-lookup prints found, not found, opted out and invalid identifiers, verifying every assertion") {
  test::DemoIndex index;
  test::Server server(index.db);

  auto found = lookup({"--server", server.base_url(), "+1 415 555 2671"});
  INFO(found.err);
  CHECK(found.exit_code == 0);
  CHECK(has(found.out, "tel:+14155552671 (phone): found, 2 mappings"));
  CHECK(has(found.out, "chat.example  mimi://chat.example/u/8c1f3a"));
  CHECK(has(found.out, "key:       ed25519 k1 11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"));
  CHECK(has(found.out, "assertion: verified, signed by dp.example"));
  CHECK(has(found.out, "the JWKS at " + server.base_url() + "/.well-known/mimi-discovery"));
  CHECK_FALSE(has(found.out, "NOT VERIFIED"));

  auto national = lookup({"--server", server.base_url(), "--region", "DE", "030 901820", "alice@example.com"});
  CHECK(national.exit_code == 0);
  CHECK(has(national.out, "tel:+4930901820 (phone): found, 2 mappings"));
  CHECK(has(national.out, "mailto:alice@example.com (email): found, 1 mapping"));

  auto missing = lookup({"--server", server.base_url(), "+14155550199"});
  CHECK(missing.exit_code == 0);
  CHECK(has(missing.out, "tel:+14155550199 (phone): not found"));

  auto opted = lookup({"--server", server.base_url(), "+14155550100"});
  CHECK(opted.exit_code == 0);
  CHECK(has(opted.out, "tel:+14155550100 (phone): opted out"));

  // An invalid identifier fails (1) with the reason, and the others are still looked up.
  auto invalid = lookup({"--server", server.base_url(), "12", "+14155552671"});
  CHECK(invalid.exit_code == 1);
  CHECK(has(invalid.err, "mimi-lookup: 12: "));
  CHECK(has(invalid.out, "tel:+14155552671 (phone): found"));

  auto as_json = lookup({"--server", server.base_url(), "--json", "+14155552671", "nonsense"});
  CHECK(as_json.exit_code == 1);
  auto doc = json::parse(as_json.out);
  REQUIRE(doc["results"].size() == 2);
  CHECK(doc["results"][0]["status"] == "found");
  CHECK(doc["results"][0]["mappings"][0]["verification"]["verified"] == true);
  CHECK(doc["results"][1]["query"] == "nonsense");
  CHECK(doc["results"][1]["error"]["code"] == "invalid_identifier");
}

TEST_CASE("mimi-lookup usage errors exit 2, --help and --version exit 0, an unreachable server exits 1") {
  CHECK(lookup({"--help"}).exit_code == 0);
  CHECK(has(lookup({"--help"}).out, "usage: mimi-lookup --server URL"));
  auto version = lookup({"--version"});
  CHECK(version.exit_code == 0);
  CHECK(has(version.out, "mimi-lookup "));
  auto no_server = lookup({"+14155552671"});
  CHECK(no_server.exit_code == 2);
  CHECK(has(no_server.err, "--server URL is required"));
  CHECK(lookup({"--server", "http://127.0.0.1:1"}).exit_code == 2);
  CHECK(lookup({"--server", "http://127.0.0.1:1", "--bogus", "x"}).exit_code == 2);
  CHECK(lookup({"--server", "http://127.0.0.1:1", "--region", "XX", "+1"}).exit_code == 2);
  CHECK(lookup({"--server", "ftp://127.0.0.1:1", "+14155552671"}).exit_code == 2);

  // A port nothing listens on: bound, then closed.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  const int port = ntohs(addr.sin_port);
  auto down = lookup({"--server", "http://127.0.0.1:" + std::to_string(port), "+14155552671"});
  CHECK(down.exit_code == 1);
  CHECK(has(down.err, "refused the connection"));
}

TEST_CASE("mimi-lookup fails with the reason on a tampered assertion or mapping") {
  test::DemoIndex index;
  test::Server server(index.db);

  SUBCASE("an assertion whose payload was changed") {
    TamperingServer fake(server, [](json& a) {
      auto& m = a["mappings"][0];
      m["user"] = "mimi://evil.example/u/mallory";
      m["assertion"] = with_claim(m["assertion"], "user", "mimi://evil.example/u/mallory");
    });
    auto r = lookup({"--server", fake.url(), "+14155552671"});
    CHECK(r.exit_code == 1);
    CHECK(has(r.err, "the assertion of the mapping at chat.example does not verify: The assertion's signature does not verify."));
    CHECK(has(r.out, "NOT VERIFIED"));
  }
  SUBCASE("a mapping that differs from its untouched assertion") {
    TamperingServer fake(server, [](json& a) { a["mappings"][1]["user"] = "mimi://evil.example/u/mallory"; });
    auto r = lookup({"--server", fake.url(), "+14155552671"});
    CHECK(r.exit_code == 1);
    CHECK(has(r.err, "differs from what its assertion signs"));
  }
  SUBCASE("an assertion that claims to come from a peer the server does not publish") {
    TamperingServer fake(server, [](json& a) { a["mappings"][0]["source"] = "dp9.example"; });
    auto r = lookup({"--server", fake.url(), "+14155552671"});
    CHECK(r.exit_code == 1);
    CHECK(has(r.err, "signed in the name of dp.example, but the mapping's source is dp9.example"));
  }
}

TEST_CASE("mimi-lookup verifies a federated mapping under the key the server pinned for its peer") {
  test::DemoIndex index;
  test::TempDir peer_dir;
  const std::string peer_db = peer_dir.file("peer.db");
  const auto peer_ctl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {test::bin("discoveryctl"), "--db", peer_db});
    auto r = test::run(args);
    REQUIRE(r.exit_code == 0);
    return r.out;
  };
  peer_ctl({"init", "--issuer", "dp2.example"});
  test::write_file(peer_dir.file("data.jsonl"),
                   R"({"identifier": "dave@example.net", "provider": "talk.example", "user": "mimi://talk.example/users/dave"})" "\n");
  peer_ctl({"import", peer_dir.file("data.jsonl")});
  test::Server peer(peer_db);
  const std::string key = json::parse(peer_ctl({"key", "show"}))["keys"][0]["x"];
  index.ctl({"peer", "add", "--domain", "dp2.example", "--url", peer.base_url(), "--key", key});
  test::Server server(index.db);

  // Anonymous callers get local answers only (DESIGN.md §5); a client token federates.
  auto r = lookup({"--server", server.base_url(), "--token", index.client, "dave@example.net"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(has(r.out, "mailto:dave@example.net (email): found, 1 mapping"));
  CHECK(has(r.out, "source:    dp2.example (federated)"));
  CHECK(has(r.out, "the key dp.example pinned for dp2.example, from its metadata"));
  CHECK(has(r.out, "peer dp2.example: ok"));

  // --issuer-url takes the peer's own JWKS instead.
  auto own = lookup({"--server", server.base_url(), "--token", index.client, "--issuer-url",
                     "dp2.example=" + peer.base_url(), "dave@example.net"});
  CHECK(own.exit_code == 0);
  CHECK(has(own.out, "the JWKS at " + peer.base_url() + "/.well-known/mimi-discovery"));
}

namespace {

// The text without its "assertion:" lines (an assertion's expiry depends on when it was signed).
std::string without_assertion_lines(const std::string& text) {
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    if (line.find("assertion: ") == std::string::npos) out += line + "\n";
    start = end + 1;
  }
  return out;
}

// The results of a --json run without the assertions (signed at another time by another path).
json without_assertions(const std::string& out) {
  json doc = json::parse(out);
  for (auto& r : doc["results"]) {
    if (!r.contains("mappings")) continue;
    for (auto& m : r["mappings"]) m.erase("assertion");
  }
  return doc["results"];
}

// Found at two providers, found, a handle, never known, opted out, and an expired mapping.
const std::vector<std::string> kDemoQueries = {"+1 415 555 2671", "alice@example.com", "@alice@chat.example",
                                               "+14155550199",    "+14155550100",      "+33142685300"};

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

}  // namespace

TEST_CASE("mimi-lookup --private answers found, not found and opted out as the plain lookup does") {
  test::DemoIndex index;
  index.ctl({"private", "rotate"});
  test::Server server(index.db);
  const std::vector<std::string> base = {"--server", server.base_url()};

  auto plain = lookup(with(base, kDemoQueries));
  auto priv = lookup(with(with(base, {"--private"}), kDemoQueries));
  INFO(priv.err);
  CHECK(plain.exit_code == 0);
  CHECK(priv.exit_code == 0);
  CHECK(has(priv.out, "tel:+14155552671 (phone): found, 2 mappings"));
  CHECK(has(priv.out, "assertion: verified, signed by dp.example"));
  CHECK(has(priv.out, "mailto:alice@example.com (email): found, 1 mapping"));
  CHECK(has(priv.out, "acct:alice@chat.example (handle): found, 1 mapping"));
  CHECK(has(priv.out, "tel:+14155550199 (phone): not found"));
  CHECK(has(priv.out, "tel:+14155550100 (phone): opted out"));
  CHECK(has(priv.out, "tel:+33142685300 (phone): not found"));
  CHECK_FALSE(has(priv.out, "NOT VERIFIED"));
  CHECK(without_assertion_lines(priv.out) == without_assertion_lines(plain.out));

  // --json: the same answers, mappings and verdicts; an invalid identifier is an error entry in both.
  auto plain_json = lookup(with(with(base, {"--json"}), with(kDemoQueries, {"nonsense"})));
  auto priv_json = lookup(with(with(base, {"--json", "--private"}), with(kDemoQueries, {"nonsense"})));
  CHECK(plain_json.exit_code == 1);
  CHECK(priv_json.exit_code == 1);
  CHECK(has(priv_json.err, "mimi-lookup: nonsense: "));
  const json answers = without_assertions(priv_json.out);
  CHECK(answers == without_assertions(plain_json.out));
  REQUIRE(answers.size() == kDemoQueries.size() + 1);
  CHECK(answers[0]["mappings"].size() == 2);
  CHECK(answers[0]["mappings"][0]["verification"]["verified"] == true);
  CHECK(answers[4]["status"] == "opted_out");
  CHECK(answers[6]["error"]["code"] == "invalid_identifier");
}

TEST_CASE("mimi-lookup --private on a server without private lookups says so and exits 1") {
  test::DemoIndex index;
  test::Server server(index.db);
  auto r = lookup({"--server", server.base_url(), "--private", "+14155552671"});
  CHECK(r.exit_code == 1);
  CHECK(has(r.err, "mimi-lookup: dp.example does not offer private lookups (no \"private\" in its "
                   "/.well-known/mimi-discovery); look up without --private."));
  CHECK(r.out.empty());
}

TEST_CASE("mimi-lookup --private refuses an evaluate answer whose proof does not verify") {
  test::DemoIndex index;
  index.ctl({"private", "rotate"});
  test::Server server(index.db);
  // The blinded elements sent back as if evaluated: what a server that does not use its key (or
  // uses another key for this caller) answers. The proof is the real one, for other elements.
  TamperingServer fake(server, nullptr, [](const json& request, json& answer) {
    answer["evaluated"] = request.value("blinded", json::array());
  });
  auto r = lookup({"--server", fake.url(), "--private", "+14155552671", "alice@example.com"});
  CHECK(r.exit_code == 1);
  CHECK(has(r.err, "mimi-lookup: +14155552671: The answer of " + fake.url() +
                       " to /v1/private/evaluate is refused: the DLEQ proof does not verify"));
  CHECK(has(r.err, "mimi-lookup: alice@example.com: "));
  CHECK_FALSE(has(r.out, "found"));

  // The same server untouched answers.
  TamperingServer honest(server, nullptr);
  auto ok = lookup({"--server", honest.url(), "--private", "+14155552671"});
  INFO(ok.err);
  CHECK(ok.exit_code == 0);
  CHECK(has(ok.out, "tel:+14155552671 (phone): found, 2 mappings"));
}

TEST_CASE("mimi-lookup --private sends more identifiers than max_elements in several evaluate batches") {
  test::DemoIndex index;
  index.ctl({"private", "rotate"});
  // At most 4 elements a request: 9 identifiers take 3 evaluate requests. (A 413 naming a smaller
  // count is tested on send_in_batches, tests/cli/batches_test.cpp.)
  test::Server server(index.db, index.config(R"({"private": {"max_elements": 4}})"));
  TamperingServer proxy(server, nullptr);
  const std::vector<std::string> queries = {"+1 415 555 2671", "alice@example.com", "@alice@chat.example",
                                            "+442079460018",   "Bob@Example.org",   "+4930901820",
                                            "carol@bücher.example", "+14155550199", "+14155550100"};
  auto priv = lookup(with({"--server", proxy.url(), "--token", index.client, "--json", "--private"}, queries));
  INFO(priv.err);
  CHECK(priv.exit_code == 0);
  CHECK(proxy.evaluations() == 3);
  CHECK(proxy.largest_evaluation() == 4);
  // The plain lookup through the same proxy, so that the verdicts name the same JWKS URL.
  auto plain = lookup(with({"--server", proxy.url(), "--token", index.client, "--json"}, queries));
  CHECK(plain.exit_code == 0);
  const json answers = without_assertions(priv.out);
  CHECK(answers == without_assertions(plain.out));
  REQUIRE(answers.size() == queries.size());
  CHECK(answers[6]["identifier"] == "mailto:carol@xn--bcher-kva.example");
  CHECK(answers[6]["status"] == "found");

  // Anonymous: batches of at most max_elements (4) from the start.
  TamperingServer anonymous(server, nullptr);
  auto anon = lookup(with({"--server", anonymous.url(), "--private"}, queries));
  INFO(anon.err);
  CHECK(anon.exit_code == 0);
  CHECK(anonymous.evaluations() == 3);
  CHECK(anonymous.largest_evaluation() == 4);
}

TEST_CASE("mimi-lookup --private reads the metadata again when the server rotated its key during the lookup") {
  test::DemoIndex index;
  index.ctl({"private", "rotate"});
  // No grace period: the previous key is not served once a new one is current.
  test::Server server(index.db, index.config(R"({"private": {"grace_s": 0}})"));
  auto c = test::client_for(server);
  auto before = c->Get("/.well-known/mimi-discovery");
  REQUIRE(before);
  const std::string old_key = json::parse(before->body)["private"]["key_id"].get<std::string>();
  index.ctl({"private", "rotate"});
  bool rotated = false;
  for (int i = 0; i < 100 && !rotated; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto now = c->Get("/.well-known/mimi-discovery");
    rotated = now && json::parse(now->body)["private"]["key_id"] != old_key;
  }
  REQUIRE(rotated);

  // The client starts with the old key (409 key_changed), reads the metadata again and retries.
  TamperingServer proxy(server, nullptr);
  proxy.serve_metadata_once(before->body);
  auto r = lookup({"--server", proxy.url(), "--private", "+14155552671", "+14155550199"});
  INFO(r.err);
  CHECK(r.exit_code == 0);
  CHECK(has(r.out, "tel:+14155552671 (phone): found, 2 mappings"));
  CHECK(has(r.out, "tel:+14155550199 (phone): not found"));
}
