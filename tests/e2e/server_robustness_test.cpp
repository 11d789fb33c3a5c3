// End-to-end tests of discoveryd under hostile input, concurrency and shutdown (DESIGN.md §8, §9):
// every bad request gets a 4xx or a closed connection, and the next request is served normally.
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "server_fixture.hpp"

namespace {

// The status code of the first response in `raw`, or 0 when there is none (closed connection).
int status_of(const std::string& raw) {
  if (raw.rfind("HTTP/1.1 ", 0) != 0 || raw.size() < 12) return 0;
  return std::stoi(raw.substr(9, 3));
}

void check_4xx_or_closed(const std::string& raw) {
  int s = status_of(raw);
  CAPTURE(raw.substr(0, 200));
  CHECK((s == 0 || (s >= 400 && s < 500)));
  if (s != 0) CHECK(raw.find("X-Request-Id") != std::string::npos);
}

void check_still_serving(const test::Server& server) {
  auto c = test::client_for(server);
  auto r = c->Get("/v1/lookup?id=alice@example.com");
  REQUIRE(r);
  CHECK(r->status == 200);
}

// Connects to `port`, sends one keep-alive GET /healthz and waits up to 5 s for the start of the
// answer; the connection stays open (close the returned descriptor). The status, or 0 when the
// server closed the connection without one.
std::pair<int, int> open_and_ask(int port) {
  int fd = test::connect_loopback(port);
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";
  (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  const std::string got = test::receive(fd, std::chrono::seconds(5), "\r\n\r\n");
  return {fd, status_of(got)};
}

// Once the connections are closed, a new one is served again (within a few seconds).
void check_serves_again(int port) {
  int status = 0;
  for (int i = 0; i < 100 && status != 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    status = status_of(test::raw_exchange(port, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  }
  CHECK(status == 200);
}

}  // namespace

TEST_CASE("server: hostile input gets a 4xx or a closed connection") {
  test::DemoIndex demo;
  test::Server server(demo.db, demo.config(R"({"max_body_bytes": 65536, "request_timeout_ms": 1000})"));
  const int port = server.port();

  SUBCASE("garbage bytes") {
    std::string junk;
    for (int i = 0; i < 4096; ++i) junk.push_back(static_cast<char>((i * 7919 + 13) % 256));
    check_4xx_or_closed(test::raw_exchange(port, junk));
    check_4xx_or_closed(test::raw_exchange(port, "GET / HTTP/9.9\r\n\r\n"));
    check_4xx_or_closed(test::raw_exchange(port, "\r\n\r\n\r\n"));
  }
  SUBCASE("huge headers") {
    std::string req = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n";
    check_4xx_or_closed(test::raw_exchange(port, req));
    std::string many = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 5000; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
    check_4xx_or_closed(test::raw_exchange(port, many + "\r\n"));
  }
  SUBCASE("huge declared body") {
    std::string raw = test::raw_exchange(
        port, "POST /v1/lookup HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n" + std::string(1000, '{'));
    CHECK(status_of(raw) == 413);
    CHECK(raw.find("payload_too_large") != std::string::npos);
  }
  SUBCASE("endless chunked body") {
    std::string req = "POST /v1/lookup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 100; ++i) req += "1000\r\n" + std::string(4096, 'x') + "\r\n";
    int s = status_of(test::raw_exchange(port, req));
    CHECK((s == 0 || s == 413));
  }
  SUBCASE("body that never arrives") {
    auto start = std::chrono::steady_clock::now();
    std::string raw = test::raw_exchange(
        port, "POST /v1/lookup HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{", std::chrono::seconds(8));
    CHECK(status_of(raw) == 0);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));  // timed out, closed
  }
  SUBCASE("invalid UTF-8 and NUL in parameters") {
    for (const char* q : {"%FF", "%C3%28", "%00", "a%00b@example.com", "%ED%A0%80"}) {
      std::string raw = test::raw_exchange(
          port, std::string("GET /v1/lookup?id=") + q + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      CAPTURE(q);
      CHECK(status_of(raw) == 400);
    }
    std::string raw = test::raw_exchange(
        port, "GET /v1/lookup?id=\xff\xfe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    check_4xx_or_closed(raw);
    raw = test::raw_exchange(port, std::string("GET /v1/lookup?id=a\0b HTTP/1.1\r\nHost: x\r\n\r\n", 40));
    check_4xx_or_closed(raw);
  }
  SUBCASE("Expect: 100-continue is answered before the body") {
    std::string body = R"({"identifiers": ["alice@example.com"]})";
    std::string raw = test::raw_exchange(
        port, "POST /v1/lookup HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nConnection: close\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\n\r\n" + body);
    CHECK(raw.rfind("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200", 0) == 0);
  }
  SUBCASE("keep-alive serves several requests on one connection") {
    std::string two = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    std::string raw = test::raw_exchange(port, two);
    CHECK(raw.find("HTTP/1.1 200", 1) != std::string::npos);
  }
  check_still_serving(server);
}

TEST_CASE("server: 64 concurrent clients") {
  test::DemoIndex demo;
  // 640 anonymous lookups from one address: far above the default burst of 40 (DESIGN.md §7).
  auto args = demo.config(R"({"rate_limits": {"anonymous": {"rate": 100000, "burst": 100000}}})");
  args.insert(args.end(), {"--threads", "4"});
  test::Server server(demo.db, args);
  std::atomic<int> ok{0}, failed{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 64; ++i) {
    clients.emplace_back([&, i] {
      auto c = test::client_for(server);
      c->set_keep_alive(true);
      for (int k = 0; k < 10; ++k) {
        auto r = (i + k) % 2 ? c->Get("/v1/lookup?id=%2B14155552671")
                             : c->Post("/v1/lookup", R"({"identifiers": ["alice@example.com", "bob@example.org"]})",
                                       "application/json");
        if (r && r->status == 200) ++ok;
        else ++failed;
      }
    });
  }
  for (auto& t : clients) t.join();
  CHECK(ok == 640);
  CHECK(failed == 0);
}

TEST_CASE("server: SIGTERM stops it with exit code 0") {
  test::DemoIndex demo;
  test::Server server(demo.db);
  check_still_serving(server);
  // An idle keep-alive connection does not hold the shutdown up.
  auto idle = test::client_for(server);
  idle->set_keep_alive(true);
  REQUIRE(idle->Get("/healthz"));
  auto start = std::chrono::steady_clock::now();
  CHECK(server.process().stop(SIGTERM) == 0);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
}

TEST_CASE("server: command line errors") {
  CHECK(test::run({test::bin("discoveryd"), "--help"}).exit_code == 0);
  CHECK(test::run({test::bin("discoveryd")}).exit_code == 2);
  CHECK(test::run({test::bin("discoveryd"), "--db", "x", "--bogus"}).exit_code == 2);
  CHECK(test::run({test::bin("discoveryd"), "--db", "x", "--listen", "nope"}).exit_code == 2);
  test::TempDir dir;
  auto r = test::run({test::bin("discoveryd"), "--db", dir.file("missing.db"), "--listen", "127.0.0.1:0"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find(" error discoveryd: ") != std::string::npos);  // a timestamp, the level, the sentence
  test::DemoIndex demo;
  test::write_file(dir.file("bad.json"), R"({"max_batch": "lots"})");
  r = test::run({test::bin("discoveryd"), "--db", demo.db, "--config", dir.file("bad.json")});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("max_batch") != std::string::npos);
  // Invalid JSON names where the mistake is.
  test::write_file(dir.file("comma.json"), "{\n  \"max_batch\": 10,\n}\n");
  r = test::run({test::bin("discoveryd"), "--db", demo.db, "--config", dir.file("comma.json")});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("not valid JSON at line 3, column 1") != std::string::npos);
  // An unreadable federation.ca_file stops the start, as the TLS files do.
  test::write_file(dir.file("ca.json"), R"({"federation": {"ca_file": "/nonexistent/peers-ca.pem"}})");
  r = test::run({test::bin("discoveryd"), "--db", demo.db, "--listen", "127.0.0.1:0", "--config", dir.file("ca.json")});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("federation.ca_file /nonexistent/peers-ca.pem cannot be read") != std::string::npos);
}

TEST_CASE("discoveryd and discoveryctl print their version") {
  auto d = test::run({test::bin("discoveryd"), "--version"});
  CHECK(d.exit_code == 0);
  CHECK(d.out.rfind("discoveryd 0.", 0) == 0);
  auto c = test::run({test::bin("discoveryctl"), "--version"});
  CHECK(c.exit_code == 0);
  CHECK(c.out.rfind("discoveryctl 0.", 0) == 0);
  CHECK(d.out.substr(d.out.find(' ')) == c.out.substr(c.out.find(' ')));  // the same version
}

TEST_CASE("server: the access log has one line per request and no identifier in clear") {
  test::DemoIndex demo;
  std::string log = demo.dir.file("stderr.log");
  std::string line;
  {
    test::Process p({test::bin("discoveryd"), "--db", demo.db, "--listen", "127.0.0.1:0"}, log);
    line = p.wait_for_line("listening on http://127.0.0.1:");
    REQUIRE(!line.empty());
    httplib::Client c("127.0.0.1", std::stoi(line.substr(line.rfind(':') + 1)));
    c.set_connection_timeout(5, 0);
    c.set_read_timeout(10, 0);
    c.set_default_headers({{"X-Request-Id", "trace-me-42"}});
    auto r = c.Get("/v1/lookup?id=%2B14155552671");
    REQUIRE(r);
    CHECK(r->get_header_value("X-Request-Id") == "trace-me-42");
    REQUIRE(c.Post("/v1/lookup", R"({"identifiers": ["alice@example.com", "bob@example.org"]})", "application/json"));
    REQUIRE(c.Get("/v1/lookup/alice@example.com"));  // unknown route with an identifier in the path
    REQUIRE(c.Get("/v1/lookup?id=carol%40xn--bcher-kva.example&region=US"));
    CHECK(p.stop(SIGTERM) == 0);
  }
  std::string text = test::read_file(log);
  CHECK(text.find("rid=trace-me-42 method=GET route=/v1/lookup status=200") != std::string::npos);
  CHECK(text.find("route=other status=404") != std::string::npos);
  for (const char* secret : {"14155552671", "alice", "bob", "carol", "bcher", "%40", "region"}) {
    CAPTURE(secret);
    CHECK(text.find(secret) == std::string::npos);
  }
}

TEST_CASE("server: --db takes sqlite:PATH, budgets go beside PATH, an unreachable PostgreSQL exits 1") {
  test::DemoIndex demo;
  {
    test::Server server("sqlite:" + demo.db);
    check_still_serving(server);
    CHECK(server.process().stop(SIGTERM) == 0);
  }
  CHECK(std::filesystem::exists(demo.db + ".ratelimit"));
  auto r = test::run({test::bin("discoveryd"), "--db", "postgres://dp:hunter2@127.0.0.1:9/d"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("connecting to PostgreSQL failed") != std::string::npos);
  CHECK(r.err.find("hunter2") == std::string::npos);
}

TEST_CASE("server: a connection over max_connections is answered 503 and closed, and the server goes on") {
  test::DemoIndex demo;
  test::Server server(demo.db, demo.config(R"({"max_connections": 4})"));
  std::vector<int> held;
  for (int i = 0; i < 4; ++i) {
    auto [fd, status] = open_and_ask(server.port());
    held.push_back(fd);
    CHECK(status == 200);
  }
  const std::string refused = test::raw_exchange(server.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(status_of(refused) == 503);
  CHECK(refused.find("Retry-After: 1\r\n") != std::string::npos);
  CHECK(refused.find("too many open connections") != std::string::npos);
  for (int fd : held) ::close(fd);
  check_serves_again(server.port());
}

TEST_CASE("server: under a low open-file limit, many connections are answered or shed, none hangs, and it recovers") {
  test::DemoIndex demo;
  const std::string log = demo.dir.file("stderr.log");
  test::Process p({"/usr/bin/prlimit", "--nofile=100:100", test::bin("discoveryd"), "--db", demo.db, "--listen",
                   "127.0.0.1:0"},
                  log);
  const std::string line = p.wait_for_line("listening on http://127.0.0.1:");
  REQUIRE(!line.empty());
  const int port = std::stoi(line.substr(line.rfind(':') + 1));
  CHECK(test::read_file(log).find("max_connections lowered from 10000 to 36") != std::string::npos);
  std::vector<int> held;
  int served = 0, refused = 0;
  for (int i = 0; i < 60; ++i) {
    auto [fd, status] = open_and_ask(port);
    held.push_back(fd);
    served += status == 200;
    refused += status == 503;
  }
  CHECK(served == 36);
  CHECK(refused == 24);
  for (int fd : held) ::close(fd);
  check_serves_again(port);
  CHECK(p.stop(SIGTERM) == 0);
}
