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
  HttpPeerClient client({65536, ""});
  auto check = [&](Kind kind, int status, const std::vector<std::string>& ids, PeerFailure failure,
                   const std::string& reason) {
    test::FakePeer peer(kind, "dp2.example", status);
    auto reply = client.ask(peer_at(peer.url()), ids, 300ms);
    REQUIRE(reply.failure);
    CHECK(*reply.failure == failure);
    CHECK(reply.reason == reason);
    CHECK(reply.answers.empty());
  };
  struct StatusCase {
    int status;
    const std::vector<std::string>& ids;
    std::string reason;
  };
  // HTTP statuses with a hint, then the others; one row a line.
  const std::vector<StatusCase> hinted = {
      {401, kOne, "The peer answered HTTP 401; check the token this DP presents to it (discoveryctl peer add --token)."},
      {403, kOne, "The peer answered HTTP 403; the token this DP presents may not look up there: ask its operator for a peer token."},
      {404, kOne, "The peer answered HTTP 404; check its URL: the base URL of its API, without /v1/lookup."},
      {413, kThree, "The peer answered HTTP 413; the request is over the peer's limits (its max_batch or max_body_bytes)."},
      {429, kOne, "The peer answered HTTP 429; this DP is over its rate limit there (a peer token raises it: discoveryctl peer add --token)."},
  };
  const std::vector<StatusCase> plain = {
      {302, kOne, "The peer answered HTTP 302 (a redirect, not followed); check its URL."},
      {503, kOne, "The peer answered HTTP 503; the fault is at the peer: check its logs."},
      {418, kOne, "The peer answered HTTP 418."},
  };
  for (const auto* table : {&hinted, &plain}) {
    for (const auto& c : *table) {
      CAPTURE(c.status);
      check(Kind::http_error, c.status, c.ids, PeerFailure::error, c.reason);
    }
  }
  struct BodyCase {
    const char* name;
    Kind kind;
    const std::vector<std::string>& ids;
    PeerFailure failure;
    std::string reason;
  };
  const std::vector<BodyCase> bodies = {
      {"not JSON", Kind::garbage, kOne, PeerFailure::error, "The peer's answer is not JSON; check that its URL is the base URL of its API."},
      {"too big", Kind::oversized, kOne, PeerFailure::error, "The peer's answer is over 65536 bytes (federation.max_peer_response_bytes)."},
      {"batch of another shape", Kind::not_lookup, kThree, PeerFailure::error, "The peer's batch answer has no results array."},
      {"batch of the wrong count", Kind::short_batch, kThree, PeerFailure::error, "The peer's batch answer has 2 results for 3 identifiers."},
      {"silent", Kind::silent, kOne, PeerFailure::timeout, "The peer did not answer within 300 ms."},
  };
  for (const auto& c : bodies) {
    CAPTURE(c.name);
    check(c.kind, 0, c.ids, c.failure, c.reason);
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
