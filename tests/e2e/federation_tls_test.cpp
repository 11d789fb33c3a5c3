// End-to-end federation with an https:// peer (DESIGN.md §5, §8): the peer's certificate is
// trusted through federation.ca_file, and rejected without it (the system CA store rightly refuses
// a self-signed certificate).
#include <doctest/doctest.h>

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "tests/support/process.hpp"

using nlohmann::json;

namespace {

struct Index {
  test::TempDir dir;
  std::string db = dir.file("index.db");
  test::RunResult ctl(std::vector<std::string> args, const std::string& input = {}) {
    args.insert(args.begin(), {test::bin("discoveryctl"), "--db", db});
    return test::run(args, input);
  }
  std::string last_line(const std::string& out) {
    std::string s = out.substr(0, out.find_last_not_of('\n') + 1);
    return s.substr(s.find_last_of('\n') + 1);
  }
};

json lookup(const test::Server& server, const std::string& token) {
  httplib::Client c(server.base_url());
  c.set_connection_timeout(std::chrono::seconds(5));
  c.set_read_timeout(std::chrono::seconds(10));
  auto r = c.Get("/v1/lookup?id=%2B14155552671", {{"Authorization", "Bearer " + token}});
  REQUIRE(r);
  REQUIRE(r->status == 200);
  return json::parse(r->body);
}

}  // namespace

TEST_CASE("federation with an https peer: trusted through ca_file, refused without it") {
  Index peer;
  REQUIRE(peer.ctl({"init", "--issuer", "dp2.example"}).exit_code == 0);
  REQUIRE(peer.ctl({"import", "-"}, R"({"identifier": "+14155552671", "provider": "chat2.example", "user": "mimi://chat2.example/u/2"})" "\n").exit_code == 0);
  const std::string cert = peer.dir.file("cert.pem"), key = peer.dir.file("key.pem");
  REQUIRE(test::run({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                     "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
                     "subjectAltName=IP:127.0.0.1"})
              .exit_code == 0);
  test::Server peer_server(peer.db, {"--tls-cert", cert, "--tls-key", key});
  REQUIRE(peer_server.base_url().rfind("https://", 0) == 0);
  const std::string peer_key = json::parse(peer.ctl({"key", "show"}).out)["keys"][0]["x"];

  Index dp;
  REQUIRE(dp.ctl({"init", "--issuer", "dp1.example"}).exit_code == 0);
  REQUIRE(dp.ctl({"peer", "add", "--domain", "dp2.example", "--url", peer_server.base_url(), "--key", peer_key})
              .exit_code == 0);
  const std::string token = dp.last_line(dp.ctl({"token", "create", "--role", "client"}).out);

  SUBCASE("the configured CA file makes the peer trusted") {
    test::write_file(dp.dir.file("config.json"), json{{"federation", {{"ca_file", cert}}}}.dump());
    test::Server server(dp.db, {"--config", dp.dir.file("config.json")});
    auto answer = lookup(server, token);
    INFO(answer.dump(2));
    CHECK(answer["complete"] == true);
    REQUIRE(answer["mappings"].size() == 1);
    CHECK(answer["mappings"][0]["source"] == "dp2.example");
    CHECK(answer["peers"][0]["status"] == "ok");
  }
  SUBCASE("without it the self-signed peer is refused, reported as error") {
    test::Server server(dp.db);
    auto answer = lookup(server, token);
    INFO(answer.dump(2));
    CHECK(answer["complete"] == false);
    CHECK(answer["mappings"].empty());
    CHECK(answer["peers"][0]["status"] == "error");
    // Issue 8: the entry says why, with OpenSSL's verdict and what to set.
    const std::string detail = answer["peers"][0].value("detail", "");
    CHECK(detail.find("The peer's TLS certificate is not trusted (") == 0);
    CHECK(detail.find("federation.ca_file") != std::string::npos);
  }
}
