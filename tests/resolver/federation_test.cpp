// Tests of resolver/federation.hpp through the Resolver, with FakePeerClient and ManualClock:
// merge and dedup, opt-outs, timeouts, cache lifetimes, coalescing, batches, the circuit breaker,
// the refresh of the peer list, and the detail that says why a peer is not ok (issue 8).
#include "resolver/federation.hpp"

#include <doctest/doctest.h>

#include <map>
#include <mutex>
#include <thread>

#include "resolver/fake_peer_client.hpp"
#include "resolver/memory_store.hpp"
#include "resolver/resolver.hpp"
#include "tests/resolver/peer_signer.hpp"

using namespace resolver;
using namespace std::chrono_literals;

namespace {

const std::string kId = "tel:+14155552671";

struct Fixture {
  MemoryStore store;
  Keyring keyring;
  ManualClock clock{1'800'000'000};
  FakePeerClient client;
  test::PeerSigner a{"dp-a.example"}, b{"dp-b.example"};
  std::unique_ptr<Federation> federation;
  std::unique_ptr<Resolver> resolver;

  explicit Fixture(FederationOptions options = {}, FederationObserver* observer = nullptr) {
    REQUIRE(store.set_issuer("dp1.example").ok());
    REQUIRE(create_signing_key(store, clock.now()).ok());
    REQUIRE(keyring.reload(store).ok());
    for (const auto* p : {&a, &b}) add_peer(*p);
    federation = std::make_unique<Federation>(store, client, clock, options, observer);
    ResolverOptions ro;
    ro.federation = federation.get();
    resolver = std::make_unique<Resolver>(store, keyring, clock, ro);
  }
  void add_peer(const test::PeerSigner& p) {
    REQUIRE(store.add_peer({p.domain, "https://" + p.domain, p.public_key_b64(), "", true, 0}).ok());
  }
  void add_local(const std::string& provider, const std::string& user) {
    Mapping m;
    m.identifier = kId;
    m.provider = provider;
    m.user = user;
    REQUIRE(store.upsert_mappings({m}).ok());
  }
  void peer_has(const test::PeerSigner& p, std::vector<std::pair<std::string, std::string>> accounts,
                std::int64_t ttl_s = 86400) {
    std::vector<nlohmann::json> ms;
    for (const auto& [provider, user] : accounts) ms.push_back(p.mapping(p.claims(kId, provider, user, clock.now(), ttl_s)));
    client.set_answer(p.domain, kId, test::PeerSigner::answer(kId, ms));
  }
  LookupResult lookup(bool federate = true, std::optional<std::string> provider = std::nullopt) {
    auto r = resolver->lookup({kId, "", {std::move(provider), federate}});
    REQUIRE(r.ok());
    return std::move(*r);
  }
};

std::string status_of(const LookupResult& r, const std::string& domain) {
  for (const auto& p : r.peers) if (p.domain == domain) return p.status;
  return "absent";
}

std::string detail_of(const LookupResult& r, const std::string& domain) {
  for (const auto& p : r.peers) if (p.domain == domain) return p.detail;
  return "absent";
}

// What the federation reported about upstream calls, in order.
struct CallLog final : FederationObserver {
  struct Call {
    std::string domain;
    PeerStatus status;
    std::string detail;
  };
  std::mutex mu;
  std::vector<Call> calls;  // guarded by mu
  void peer_call(std::string_view domain, PeerStatus status, double, std::string_view detail) override {
    std::lock_guard lock(mu);
    calls.push_back({std::string(domain), status, std::string(detail)});
  }
  void peer_cache(std::string_view, bool) override {}
};

}  // namespace

TEST_CASE("local first, then peers in domain order, each provider and user once") {
  Fixture f;
  f.add_local("chat.example", "u1");
  f.peer_has(f.a, {{"chat.example", "u1"}, {"talk.example", "u2"}});
  f.peer_has(f.b, {{"talk.example", "u2"}, {"x.example", "u3"}});
  auto r = f.lookup();
  CHECK(r.status == LookupStatus::found);
  CHECK(r.complete);
  REQUIRE(r.mappings.size() == 3);
  CHECK(r.mappings[0].source == "local");
  CHECK(r.mappings[1].source == "dp-a.example");
  CHECK(r.mappings[1].mapping.user == "u2");
  CHECK(r.mappings[2].source == "dp-b.example");
  REQUIRE(r.peers.size() == 2);
  CHECK(r.peers[0].domain == "dp-a.example");
  CHECK(r.peers[0].status == "ok");

  auto only = f.lookup(true, "x.example");
  REQUIRE(only.mappings.size() == 1);
  CHECK(only.mappings[0].source == "dp-b.example");
}

TEST_CASE("a forged mapping taints its peer's whole answer, the others are kept") {
  Fixture f;
  f.peer_has(f.a, {{"talk.example", "u2"}});
  auto forged = f.b.claims(kId, "x.example", "u3", f.clock.now());
  forged.iss = "dp-a.example";
  f.client.set_answer(f.b.domain, kId,
                      test::PeerSigner::answer(kId, {f.b.mapping(f.b.claims(kId, "y.example", "u4", f.clock.now())),
                                                     f.b.mapping(forged)}));
  auto r = f.lookup();
  CHECK_FALSE(r.complete);
  CHECK(status_of(r, "dp-b.example") == "bad_signature");
  CHECK(detail_of(r, "dp-b.example") == "An assertion from the peer names another issuer (iss) than the peer's domain.");
  REQUIRE(r.mappings.size() == 1);
  CHECK(r.mappings[0].source == "dp-a.example");
}

TEST_CASE("a local opt-out wins and no peer is asked, and a peer's opt-out adds nothing") {
  Fixture f;
  f.peer_has(f.a, {{"talk.example", "u2"}});
  REQUIRE(f.store.add_optout(kId, f.clock.now()).ok());
  auto r = f.lookup();
  CHECK(r.status == LookupStatus::opted_out);
  CHECK(r.peers.empty());
  CHECK(f.client.calls("dp-a.example") == 0);

  Fixture g;
  g.client.set_answer(g.a.domain, kId, test::PeerSigner::answer(kId, {}, "opted_out"));
  auto s = g.lookup();
  CHECK(s.status == LookupStatus::not_found);
  CHECK(s.complete);
  CHECK(status_of(s, "dp-a.example") == "ok");
}

TEST_CASE("federate=false asks nobody and uses no cached peer answer") {
  Fixture f;
  f.peer_has(f.a, {{"talk.example", "u2"}});
  CHECK(f.lookup().mappings.size() == 1);
  auto r = f.lookup(false);
  CHECK(r.status == LookupStatus::not_found);
  CHECK(r.peers.empty());
  CHECK(f.client.calls("dp-a.example") == 1);
}

TEST_CASE("a slow peer is a timeout within the peer timeout, the others are kept") {
  FederationOptions o;
  o.peer_timeout = 100ms;
  Fixture f(o);
  f.peer_has(f.a, {{"talk.example", "u2"}});
  f.client.set_delay(f.b.domain, 2s);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = f.lookup();
  const auto took = std::chrono::steady_clock::now() - t0;
  CHECK(took < 400ms);
  CHECK(status_of(r, "dp-b.example") == "timeout");
  CHECK(detail_of(r, "dp-b.example") == "The peer did not answer within 100 ms.");
  CHECK(status_of(r, "dp-a.example") == "ok");
  CHECK(detail_of(r, "dp-a.example").empty());
  CHECK_FALSE(r.complete);
  CHECK(r.mappings.size() == 1);
}

TEST_CASE("the overall deadline bounds the fan-out even when the peer timeout is longer") {
  FederationOptions o;
  o.peer_timeout = 5s;
  o.deadline = 150ms;
  Fixture f(o);
  f.client.set_delay(f.a.domain, 3s);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = f.lookup();
  CHECK(std::chrono::steady_clock::now() - t0 < 500ms);
  CHECK(status_of(r, "dp-a.example") == "timeout");
  CHECK(detail_of(r, "dp-a.example") == "The peer did not answer within 150 ms.");
}

TEST_CASE("errors are error and not cached") {
  Fixture f;
  f.client.set_failure(f.a.domain, PeerFailure::error);
  f.client.set_answer(f.b.domain, kId, "garbage");
  auto r = f.lookup();
  CHECK(status_of(r, "dp-a.example") == "error");
  CHECK(status_of(r, "dp-b.example") == "error");
  f.lookup();
  CHECK(f.client.calls("dp-a.example") == 2);
  CHECK(f.client.calls("dp-b.example") == 2);
}

TEST_CASE("found answers are cached until the earliest assertion expiry, at most cache_found_s") {
  Fixture f;
  f.peer_has(f.a, {{"talk.example", "u2"}}, 100);  // expires before cache_found_s (300)
  f.peer_has(f.b, {{"x.example", "u3"}});
  f.lookup();
  f.clock.advance(99s);
  auto cached = f.lookup();
  CHECK(cached.mappings.size() == 2);
  CHECK(f.client.calls("dp-a.example") == 1);
  CHECK(f.client.calls("dp-b.example") == 1);
  f.clock.advance(1s);  // dp-a's assertion expires now
  f.peer_has(f.a, {{"talk.example", "u2"}}, 100);
  f.lookup();
  CHECK(f.client.calls("dp-a.example") == 2);
  CHECK(f.client.calls("dp-b.example") == 1);
  f.clock.advance(200s);  // 300 s since dp-b answered
  f.lookup();
  CHECK(f.client.calls("dp-b.example") == 2);
}

TEST_CASE("not-found answers are cached for cache_not_found_s") {
  Fixture f;
  f.lookup();
  f.clock.advance(29s);
  f.lookup();
  CHECK(f.client.calls("dp-a.example") == 1);
  f.clock.advance(1s);
  f.lookup();
  CHECK(f.client.calls("dp-a.example") == 2);
}

TEST_CASE("federation_cached: true only while every peer's answer is cached for two more seconds") {
  Fixture f;
  const std::vector<std::string> ids{kId};
  const std::vector<std::string> both{kId, "tel:+14155550100"};
  CHECK_FALSE(f.resolver->federation_cached(ids));  // nothing asked yet
  f.peer_has(f.a, {{"talk.example", "u2"}}, 100);
  f.lookup();
  CHECK(f.resolver->federation_cached(ids));  // dp-a found (100 s), dp-b not found (30 s)
  CHECK_FALSE(f.resolver->federation_cached(both));
  f.clock.advance(27s);
  CHECK(f.resolver->federation_cached(ids));
  f.clock.advance(1s);  // dp-b's not-found answer has 2 s left: a lookup now may ask dp-b
  CHECK_FALSE(f.resolver->federation_cached(ids));
  CHECK(f.client.calls("dp-a.example") == 1);  // the checks themselves ask nobody
  CHECK(f.client.calls("dp-b.example") == 1);
}

TEST_CASE("identical concurrent queries share one upstream request") {
  Fixture f;
  f.peer_has(f.a, {{"talk.example", "u2"}});
  f.client.set_delay(f.a.domain, 200ms);
  f.client.set_delay(f.b.domain, 200ms);
  std::vector<std::thread> threads;
  std::vector<std::size_t> found(4);
  for (std::size_t i = 0; i < found.size(); ++i) {
    threads.emplace_back([&, i] { found[i] = f.lookup().mappings.size(); });
  }
  for (auto& t : threads) t.join();
  for (auto n : found) CHECK(n == 1);
  CHECK(f.client.calls("dp-a.example") == 1);
  CHECK(f.client.calls("dp-b.example") == 1);
}

TEST_CASE("a batch is one upstream request per peer") {
  Fixture f;
  f.peer_has(f.a, {{"talk.example", "u2"}});
  const std::vector<std::string> inputs = {kId, "+14155552672", "alice@example.com", "tel:+14155552671", "bad"};
  auto r = f.resolver->lookup_batch(parse_identifiers(inputs), {std::nullopt, true});
  REQUIRE(r.ok());
  REQUIRE(r->size() == 5);
  CHECK((*r)[0]->mappings.size() == 1);
  CHECK((*r)[1]->status == LookupStatus::not_found);
  CHECK((*r)[3]->mappings.size() == 1);
  CHECK((*r)[4].status().code() == Code::invalid_identifier);
  CHECK(f.client.calls("dp-a.example") == 1);
  CHECK(f.client.identifiers_asked("dp-a.example") == 3);
}

TEST_CASE("a peer failing N times in a row is skipped for the cool-down, then probed") {
  FederationOptions o;
  o.breaker_failures = 3;
  o.breaker_cool_down = 10s;
  Fixture f(o);
  f.client.set_failure(f.a.domain, PeerFailure::error);
  for (int i = 0; i < 3; ++i) CHECK(status_of(f.lookup(), "dp-a.example") == "error");
  auto skipped = f.lookup();
  CHECK(status_of(skipped, "dp-a.example") == "skipped");
  CHECK(detail_of(skipped, "dp-a.example") == "Skipped: the peer failed 3 times in a row; retrying after the cool-down.");
  CHECK_FALSE(skipped.complete);
  CHECK(f.client.calls("dp-a.example") == 3);
  f.clock.advance(11s);
  CHECK(status_of(f.lookup(), "dp-a.example") == "error");  // the probe fails: open again
  CHECK(status_of(f.lookup(), "dp-a.example") == "skipped");
  CHECK(f.client.calls("dp-a.example") == 4);
  f.client.set_failure(f.a.domain, std::nullopt);
  f.clock.advance(11s);
  CHECK(status_of(f.lookup(), "dp-a.example") == "ok");
  f.clock.advance(31s);  // past the not-found cache
  CHECK(status_of(f.lookup(), "dp-a.example") == "ok");
}

TEST_CASE("peers added to the store are picked up at the next refresh") {
  Fixture f;
  CHECK(f.lookup().peers.size() == 2);
  test::PeerSigner c{"dp-c.example"};
  f.add_peer(c);
  f.clock.advance(1s);
  CHECK(f.lookup().peers.size() == 2);
  f.clock.advance(2s);
  CHECK(f.lookup().peers.size() == 3);
  CHECK(f.client.calls("dp-c.example") == 1);
}

TEST_CASE("issue 8: each peer that is not ok says why, with the client's reason kept") {
  Fixture f;
  const std::string refused = "The peer refused the connection; check its URL and that its server is running.";
  f.client.set_failure(f.a.domain, PeerFailure::error, refused);
  f.client.set_answer(f.b.domain, kId, "garbage");
  test::PeerSigner c{"dp-c.example"};
  REQUIRE(f.store.add_peer({c.domain, "https://" + c.domain, "not-a-key", "", true, 0}).ok());
  auto r = f.lookup();
  CHECK(status_of(r, "dp-a.example") == "error");
  CHECK(detail_of(r, "dp-a.example") == refused);
  CHECK(status_of(r, "dp-b.example") == "error");
  CHECK(detail_of(r, "dp-b.example") == "The peer's answer is not a lookup object (identifier, status, mappings).");
  CHECK(status_of(r, "dp-c.example") == "error");
  CHECK(detail_of(r, "dp-c.example") ==
        "The peer's pinned key is not an Ed25519 public key; add the peer again with its key (discoveryctl peer add --key).");

  const auto j = to_json(r);
  INFO(j.dump(2));
  REQUIRE(j["peers"].size() == 3);
  CHECK(j["peers"][0]["detail"] == refused);
  f.client.set_failure(f.a.domain, std::nullopt);
  const auto ok = to_json(f.lookup());
  CHECK(ok["peers"][0]["status"] == "ok");
  CHECK_FALSE(ok["peers"][0].contains("detail"));  // an ok peer has nothing to explain
}

TEST_CASE("issue 8: a peer that timed out for the client reports the client's reason") {
  FederationOptions o;
  o.peer_timeout = 300ms;
  Fixture f(o);
  f.client.set_failure(f.a.domain, PeerFailure::timeout, "The peer did not answer within 300 ms.");
  auto r = f.lookup();
  CHECK(status_of(r, "dp-a.example") == "timeout");
  CHECK(detail_of(r, "dp-a.example") == "The peer did not answer within 300 ms.");
}

TEST_CASE("issue 8: the observer hears each call's status with its detail") {
  CallLog log;
  FederationOptions o;
  o.breaker_failures = 2;
  Fixture f(o, &log);
  f.client.set_failure(f.a.domain, PeerFailure::error, "The peer answered HTTP 404; check its URL.");
  auto forged = f.b.claims(kId, "x.example", "u3", f.clock.now());
  forged.exp = f.clock.now();
  f.client.set_answer(f.b.domain, kId, test::PeerSigner::answer(kId, {f.b.mapping(forged)}));
  for (int i = 0; i < 3; ++i) f.lookup();  // the third skips dp-a; dp-b's bad answers are not failed calls
  std::lock_guard lock(log.mu);
  REQUIRE(log.calls.size() == 6);
  std::map<std::string, std::vector<std::pair<PeerStatus, std::string>>> by_peer;
  for (const auto& c : log.calls) by_peer[c.domain].emplace_back(c.status, c.detail);
  const std::string expired = "An assertion from the peer has expired (exp); check the clocks of both DPs.";
  CHECK(by_peer["dp-a.example"] ==
        std::vector<std::pair<PeerStatus, std::string>>{
            {PeerStatus::error, "The peer answered HTTP 404; check its URL."},
            {PeerStatus::error, "The peer answered HTTP 404; check its URL."},
            {PeerStatus::skipped, "Skipped: the peer failed 2 times in a row; retrying after the cool-down."}});
  CHECK(by_peer["dp-b.example"] == std::vector<std::pair<PeerStatus, std::string>>(3, {PeerStatus::bad_signature, expired}));
}

TEST_CASE("issue 8: a wrong answer in a batch explains the worst status of the call") {
  CallLog log;
  Fixture f({}, &log);
  f.peer_has(f.a, {{"talk.example", "u2"}});
  f.client.set_answer(f.a.domain, "tel:+14155552672", test::PeerSigner::answer("tel:+14155550000", {}));
  const std::vector<std::string> inputs = {kId, "+14155552672"};
  auto r = f.resolver->lookup_batch(parse_identifiers(inputs), {std::nullopt, true});
  REQUIRE(r.ok());
  CHECK(status_of(*(*r)[0], "dp-a.example") == "ok");
  CHECK(detail_of(*(*r)[1], "dp-a.example") == "The peer's answer is about another identifier than the one asked.");
  std::lock_guard lock(log.mu);
  bool reported = false;
  for (const auto& c : log.calls) {
    if (c.domain != "dp-a.example") continue;
    reported = true;
    CHECK(c.status == PeerStatus::error);
    CHECK(c.detail == "The peer's answer is about another identifier than the one asked.");
  }
  CHECK(reported);
}
