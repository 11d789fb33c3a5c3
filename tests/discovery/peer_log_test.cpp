// Tests of discovery/peer_log.hpp: one warning line per failing peer call, at most one per peer
// per interval with the count of the calls kept quiet, and every report forwarded to the metrics.
#include "discovery/peer_log.hpp"

#include <doctest/doctest.h>

#include <vector>

#include "discovery/metrics.hpp"

using namespace std::chrono_literals;
using resolver::PeerStatus;

namespace {

const std::string k401 =
    "The peer answered HTTP 401; check the token this DP presents to it (discoveryctl peer add --token).";
const std::string kRefused = "The peer refused the connection; check its URL and that its server is running.";

struct Fixture {
  discovery::Metrics metrics;
  resolver::ManualClock clock;
  std::vector<std::string> lines;
  discovery::PeerLog log{metrics, clock, [this](const std::string& line) { lines.push_back(line); }};

  bool counted(const std::string& series) const {
    return metrics.render(std::nullopt).find(series + "\n") != std::string::npos;
  }
};

}  // namespace

TEST_CASE("a failing call writes one line with the peer, the status and the detail") {
  Fixture f;
  f.log.peer_call("dp2.example", PeerStatus::error, 0.01, k401);
  REQUIRE(f.lines.size() == 1);
  CHECK(f.lines[0] == "peer dp2.example: error: " + k401);
  f.log.peer_call("dp3.example", PeerStatus::bad_signature, 0.01, "An assertion from the peer has expired.");
  REQUIRE(f.lines.size() == 2);
  CHECK(f.lines[1] == "peer dp3.example: bad_signature: An assertion from the peer has expired.");
}

TEST_CASE("an ok call writes nothing and every call is counted as without the log") {
  Fixture f;
  f.log.peer_call("dp2.example", PeerStatus::ok, 0.01, "");
  f.log.peer_call("dp2.example", PeerStatus::timeout, 0.8, "The peer did not answer within 800 ms.");
  f.log.peer_call("dp2.example", PeerStatus::timeout, 0.8, "The peer did not answer within 800 ms.");
  f.log.peer_call("dp2.example", PeerStatus::skipped, 0, "Skipped: the peer failed 5 times in a row.");
  f.log.peer_cache("dp2.example", true);
  f.log.peer_cache("dp2.example", false);
  CHECK(f.lines.size() == 1);
  CHECK(f.counted("discovery_peer_calls_total{peer=\"dp2.example\",status=\"ok\"} 1"));
  CHECK(f.counted("discovery_peer_calls_total{peer=\"dp2.example\",status=\"timeout\"} 2"));
  CHECK(f.counted("discovery_peer_calls_total{peer=\"dp2.example\",status=\"skipped\"} 1"));
  CHECK(f.counted("discovery_peer_cache_total{peer=\"dp2.example\",result=\"hit\"} 1"));
  CHECK(f.counted("discovery_peer_cache_total{peer=\"dp2.example\",result=\"miss\"} 1"));
}

TEST_CASE("one line per peer per interval, then the count of the calls kept quiet") {
  Fixture f;
  f.log.peer_call("dp2.example", PeerStatus::error, 0.01, kRefused);
  f.clock.advance(10s);
  f.log.peer_call("dp2.example", PeerStatus::error, 0.01, kRefused);
  f.log.peer_call("dp2.example", PeerStatus::skipped, 0, "Skipped: the peer failed 5 times in a row.");
  f.log.peer_call("dp3.example", PeerStatus::error, 0.01, k401);  // another peer has its own interval
  REQUIRE(f.lines.size() == 2);
  CHECK(f.lines[1] == "peer dp3.example: error: " + k401);
  f.clock.advance(49s);  // 59 s after dp2's line
  f.log.peer_call("dp2.example", PeerStatus::timeout, 0.8, "The peer did not answer within 800 ms.");
  CHECK(f.lines.size() == 2);
  f.clock.advance(1s);
  f.log.peer_call("dp2.example", PeerStatus::error, 0.01, kRefused);
  REQUIRE(f.lines.size() == 3);
  CHECK(f.lines[2] == "peer dp2.example: error: " + kRefused + " (3 more since)");
  f.clock.advance(60s);
  f.log.peer_call("dp2.example", PeerStatus::error, 0.01, kRefused);
  REQUIRE(f.lines.size() == 4);
  CHECK(f.lines[3] == "peer dp2.example: error: " + kRefused);  // the count starts again
}

TEST_CASE("a skipped call never starts a line: the probe's failure says why") {
  Fixture f;
  f.log.peer_call("dp2.example", PeerStatus::skipped, 0, "Skipped: the peer failed 5 times in a row.");
  CHECK(f.lines.empty());
  f.log.peer_call("dp2.example", PeerStatus::error, 0.01, kRefused);
  REQUIRE(f.lines.size() == 1);
  CHECK(f.lines[0] == "peer dp2.example: error: " + kRefused + " (1 more since)");
}
