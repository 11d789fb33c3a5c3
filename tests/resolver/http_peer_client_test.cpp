// Tests of resolver/http_peer_client.hpp against fake peers on loopback (tests/e2e/fake_peer.hpp):
// the answers of an honest peer, and for each fault the status and the reason an operator reads in
// the lookup's peers entry and the log (issue 8).
#include "resolver/http_peer_client.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <vector>

#include "tests/e2e/fake_peer.hpp"

using namespace resolver;
using namespace std::chrono_literals;
using Kind = test::FakePeer::Kind;

namespace {

const std::vector<std::string> kOne = {"tel:+14155552671"};
const std::vector<std::string> kThree = {"tel:+14155552671", "tel:+14155552672", "mailto:a@example.com"};

Peer peer_at(const std::string& url) { return {"dp2.example", url, "", "", true, 0}; }

}  // namespace

TEST_CASE("an answering peer gives one answer per identifier, single or batch") {
  test::FakePeer peer(Kind::wrong_key, "dp2.example");  // an honest shape; the client does not verify
  HttpPeerClient client;
  auto one = client.ask(peer_at(peer.url()), kOne, 2s);
  CHECK_FALSE(one.failure);
  CHECK(one.reason.empty());
  REQUIRE(one.answers.size() == 1);
  CHECK(one.answers[0]["identifier"] == kOne[0]);
  auto three = client.ask(peer_at(peer.url() + "/"), kThree, 2s);
  CHECK_FALSE(three.failure);
  CHECK(three.answers.size() == 3);
}

TEST_CASE("issue 8: each fault is an error or a timeout with a reason that says what to check") {
  struct Case {
    const char* name;
    Kind kind;
    int status;
    const std::vector<std::string>& ids;
    PeerFailure failure;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {"401", Kind::http_error, 401, kOne, PeerFailure::error,
       "The peer answered HTTP 401; check the token this DP presents to it (discoveryctl peer add --token)."},
      {"403", Kind::http_error, 403, kOne, PeerFailure::error,
       "The peer answered HTTP 403; the token this DP presents may not look up there: ask its operator for a peer token."},
      {"404", Kind::http_error, 404, kOne, PeerFailure::error,
       "The peer answered HTTP 404; check its URL: the base URL of its API, without /v1/lookup."},
      {"413", Kind::http_error, 413, kThree, PeerFailure::error,
       "The peer answered HTTP 413; the request is over the peer's limits (its max_batch or max_body_bytes)."},
      {"429", Kind::http_error, 429, kOne, PeerFailure::error,
       "The peer answered HTTP 429; this DP is over its rate limit there (a peer token raises it: discoveryctl peer add --token)."},
      {"302", Kind::http_error, 302, kOne, PeerFailure::error,
       "The peer answered HTTP 302 (a redirect, not followed); check its URL."},
      {"503", Kind::http_error, 503, kOne, PeerFailure::error,
       "The peer answered HTTP 503; the fault is at the peer: check its logs."},
      {"418", Kind::http_error, 418, kOne, PeerFailure::error, "The peer answered HTTP 418."},
      {"not JSON", Kind::garbage, 0, kOne, PeerFailure::error,
       "The peer's answer is not JSON; check that its URL is the base URL of its API."},
      {"too big", Kind::oversized, 0, kOne, PeerFailure::error,
       "The peer's answer is over 65536 bytes (federation.max_peer_response_bytes)."},
      {"batch of another shape", Kind::not_lookup, 0, kThree, PeerFailure::error,
       "The peer's batch answer has no results array."},
      {"batch of the wrong count", Kind::short_batch, 0, kThree, PeerFailure::error,
       "The peer's batch answer has 2 results for 3 identifiers."},
      {"silent", Kind::silent, 0, kOne, PeerFailure::timeout, "The peer did not answer within 300 ms."},
  };
  HttpPeerClient client({65536, ""});
  for (const auto& c : cases) {
    CAPTURE(c.name);
    test::FakePeer peer(c.kind, "dp2.example", c.status);
    auto reply = client.ask(peer_at(peer.url()), c.ids, 300ms);
    REQUIRE(reply.failure);
    CHECK(*reply.failure == c.failure);
    CHECK(reply.reason == c.reason);
    CHECK(reply.answers.empty());
  }
}

TEST_CASE("issue 8: a peer that is down is refused, and a URL that is not http is said so") {
  HttpPeerClient client;
  const std::string down = "http://127.0.0.1:" + std::to_string(test::FakePeer::closed_port());
  auto refused = client.ask(peer_at(down), kOne, 2s);
  REQUIRE(refused.failure);
  CHECK(*refused.failure == PeerFailure::error);
  CHECK(refused.reason == "The peer refused the connection; check its URL and that its server is running.");

  auto ftp = client.ask(peer_at("ftp://dp2.example"), kOne, 2s);
  REQUIRE(ftp.failure);
  CHECK(ftp.reason == "The peer's URL is not an http:// or https:// URL; check it (discoveryctl peer list).");
}
