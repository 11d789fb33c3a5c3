// Issue 8: slow federated work never holds the threads that read connections. Three peers that
// hang past the deadline, 64 concurrent federated lookups, and meanwhile local lookups and
// /healthz answer within 100 ms; with the worker pool full, federated lookups are shed with 503
// and Retry-After, and the server recovers. These tests time answers, so they run alone
// (RUN_SERIAL in CMakeLists.txt).
#include <doctest/doctest.h>

#include <httplib.h>

#include <atomic>
#include <csignal>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/e2e/fake_peer.hpp"
#include "tests/e2e/server_fixture.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// The demo index with three silent peers pinned, served with `workers` as the pool's config.
struct SlowPeers {
  test::DemoIndex index;
  std::vector<std::unique_ptr<test::FakePeer>> peers;
  std::unique_ptr<test::Server> server;

  explicit SlowPeers(const std::string& workers) {
    for (int i = 0; i < 3; ++i) {
      peers.push_back(std::make_unique<test::FakePeer>(test::FakePeer::Kind::silent,
                                                       "dp" + std::to_string(i) + ".example"));
      index.ctl({"peer", "add", "--domain", peers.back()->domain(), "--url", peers.back()->url(),
                 "--key", peers.back()->pinned_key()});
    }
    server = std::make_unique<test::Server>(
        index.db, index.config(R"({"federation": {"peer_timeout_ms": 800, "deadline_ms": 1500},
                                   "workers": )" + workers + "}"));
  }

  // A distinct valid number per request, so that no two federated lookups share an upstream call.
  static std::string number(int i) { return "%2B1415555" + std::to_string(2600 + i); }

  // Starts `n` concurrent federated lookups; each thread stores its status and Retry-After.
  std::vector<std::thread> federated(int n, std::vector<int>& status, std::vector<std::string>& retry) {
    status.assign(n, 0);
    retry.assign(n, "");
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([&, i] {
        auto c = test::client_for(*server);
        c->set_read_timeout(15, 0);
        auto r = c->Get("/v1/lookup?id=" + number(i), test::bearer(index.client));
        status[i] = r ? r->status : -1;
        if (r) retry[i] = r->get_header_value("Retry-After");
      });
    }
    return threads;
  }

  // The slowest of `n` answers to `path` (each must be 200), spaced by 30 ms.
  std::chrono::milliseconds slowest(const std::string& path, int n) {
    auto c = test::client_for(*server);
    std::chrono::milliseconds worst{0};
    for (int i = 0; i < n; ++i) {
      auto start = Clock::now();
      auto r = c->Get(path, test::bearer(index.client));
      auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
      REQUIRE(r);
      CHECK(r->status == 200);
      worst = std::max(worst, took);
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
    }
    return worst;
  }
};

}  // namespace

TEST_CASE("issue 8: local lookups and /healthz answer within 100 ms while 64 federated lookups wait on hung peers") {
  SlowPeers f(R"({"threads": 32, "queue": 256})");
  std::vector<int> status;
  std::vector<std::string> retry;
  auto start = Clock::now();
  auto threads = f.federated(64, status, retry);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // every lookup is in by now
  CHECK(f.slowest("/healthz", 10) < std::chrono::milliseconds(100));
  CHECK(f.slowest("/v1/lookup?id=%2B14155552671&federate=false", 10) < std::chrono::milliseconds(100));
  // The federated lookups are still waiting: the peers hang for 10 s, the deadline is 1.5 s.
  CHECK(Clock::now() - start < std::chrono::milliseconds(1500));
  for (auto& t : threads) t.join();
  for (int i = 0; i < 64; ++i) {
    CAPTURE(i);
    CHECK(status[i] == 200);  // answered, incomplete (the peers' statuses say why)
  }
  // 64 lookups over 32 workers: two waves of at most the deadline, plus slack for a busy machine.
  CHECK(Clock::now() - start < std::chrono::seconds(6));
}

TEST_CASE("issue 8: with the worker pool full, federated lookups get 503 with Retry-After and the server recovers") {
  SlowPeers f(R"({"threads": 4, "queue": 4})");
  std::vector<int> status;
  std::vector<std::string> retry;
  auto threads = f.federated(64, status, retry);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(f.slowest("/healthz", 5) < std::chrono::milliseconds(100));
  CHECK(f.slowest("/v1/lookup?id=%2B14155552671&federate=false", 5) < std::chrono::milliseconds(100));
  for (auto& t : threads) t.join();
  int ok = 0, shed = 0;
  for (int i = 0; i < 64; ++i) {
    CAPTURE(i);
    CHECK((status[i] == 200 || status[i] == 503));
    if (status[i] == 200) ++ok;
    if (status[i] == 503) {
      ++shed;
      CHECK(retry[i] == "1");
    }
  }
  CHECK(ok >= 8);    // the four running and the four queued got their answers
  CHECK(shed >= 1);  // the rest was shed, not queued without bound
  auto c = test::client_for(*f.server);
  auto metrics = c->Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("discovery_shed_total{route=\"/v1/lookup\"}") != std::string::npos);
  // Recovered: the pool is free again, so a federated lookup is answered.
  auto again = c->Get("/v1/lookup?id=" + SlowPeers::number(99), test::bearer(f.index.client));
  REQUIRE(again);
  CHECK(again->status == 200);
  CHECK(nlohmann::json::parse(again->body)["complete"] == false);
}

TEST_CASE("issue 8: SIGTERM while federated lookups wait on workers answers each of them, then exits 0") {
  SlowPeers f(R"({"threads": 8, "queue": 8})");
  std::vector<int> status;
  std::vector<std::string> retry;
  auto threads = f.federated(12, status, retry);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // all on the pool, none answered
  auto start = Clock::now();
  int exit_code = f.server->process().stop(SIGTERM, std::chrono::seconds(15));
  for (auto& t : threads) t.join();
  CHECK(exit_code == 0);
  // Drained within the deadline: at most two rounds of the federation deadline.
  CHECK(Clock::now() - start < std::chrono::seconds(5));
  for (int i = 0; i < 12; ++i) {
    CAPTURE(i);
    CHECK(status[i] == 200);
  }
}
