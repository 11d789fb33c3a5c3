// End-to-end tests of mimi-lookup (DESIGN.md §12, issue 14): the real binary against a real
// discoveryd on a loopback port over a temporary demo index; a federated answer verified under the
// key the server pinned for its peer; and a small fake server that serves the real metadata with a
// tampered answer, which must fail with the reason.
#include <doctest/doctest.h>

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "resolver/base64url.hpp"
#include "resolver/http_fetch.hpp"
#include "tests/e2e/server_fixture.hpp"

using nlohmann::json;

namespace {

test::RunResult lookup(std::vector<std::string> args) {
  args.insert(args.begin(), test::bin("mimi-lookup"));
  return test::run(args);
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A server that answers /.well-known/mimi-discovery as `real` does, and /v1/lookup with the real
// answer passed through `tamper`.
class TamperingServer {
 public:
  TamperingServer(const test::Server& real, std::function<void(json&)> tamper) : tamper_(std::move(tamper)) {
    const int port = real.port();
    server_.Get("/.well-known/mimi-discovery", [port](const httplib::Request&, httplib::Response& res) {
      httplib::Client c("127.0.0.1", port);
      auto r = c.Get("/.well-known/mimi-discovery");
      res.set_content(r ? r->body : "", "application/json");
    });
    server_.Get("/v1/lookup", [this, port](const httplib::Request& req, httplib::Response& res) {
      httplib::Client c("127.0.0.1", port);
      auto r = c.Get("/v1/lookup?id=" + resolver::percent_encode(req.get_param_value("id")));
      auto answer = json::parse(r ? r->body : "{}");
      tamper_(answer);
      res.set_content(answer.dump(), "application/json");
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

 private:
  std::function<void(json&)> tamper_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
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
