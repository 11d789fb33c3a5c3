// Tests of the shared limiter (DESIGN.md §10) against a real redis-server started for each test:
// the same decisions as LocalRateLimiter for the same sequence on the same clock, rejections
// charging nothing, nothing in clear in Redis and a TTL on every key, threads racing on one
// caller, the eviction warning, and redis_failure closed and open while Redis is down and after
// it is back.
#include "discovery/redis_rate_limiter.hpp"

#include <doctest/doctest.h>

#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "resolver/clock.hpp"
#include "tests/discovery/limiter_fixture.hpp"
#include "tests/support/redis_server.hpp"

using namespace std::chrono_literals;
using discovery::LocalRateLimiter;
using discovery::RateDecision;
using discovery::RedisRateLimiter;
using resolver::Code;
using resolver::Role;

using test::small_limits;

namespace {

std::string id(int i) { return "tel:+1415555" + std::to_string(1000 + i); }

// The sentences the limiter logs, kept for the checks.
struct Logged {
  std::mutex mu;
  std::vector<std::string> lines;
  RedisRateLimiter::Log sink() {
    return [this](const std::string& s) {
      std::lock_guard lock(mu);
      lines.push_back(s);
    };
  }
  std::size_t count(const std::string& needle) {
    std::lock_guard lock(mu);
    std::size_t n = 0;
    for (const auto& l : lines) n += l.find(needle) != std::string::npos;
    return n;
  }
};

RedisRateLimiter::Options options(const test::RedisServer& redis, bool server_time = true) {
  RedisRateLimiter::Options o;
  o.redis.url = {"127.0.0.1", redis.port(), 0};
  o.server_time = server_time;
  o.min_backoff = 50ms;
  o.max_backoff = 200ms;
  return o;
}

// Admits `r` on `l` until it passes or `deadline` (Redis coming back takes a backoff period).
RateDecision admit_until_ok(RedisRateLimiter& l, const discovery::RateRequest& r, std::chrono::seconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  RateDecision d = l.admit(r);
  while (!d.status.ok() && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(20ms);
    d = l.admit(r);
  }
  return d;
}

}  // namespace

TEST_CASE("RedisRateLimiter: the same decisions as LocalRateLimiter for the same sequence") {
  test::RedisServer redis;
  resolver::ManualClock clock;
  Logged log;
  RedisRateLimiter shared(small_limits(), "k", clock, options(redis, /*server_time=*/false), log.sink());
  shared.start();
  LocalRateLimiter local(small_limits(), "k", clock);
  std::mt19937 rng(11);
  const std::vector<std::string> callers = {"ip:192.0.2.1", "ip:192.0.2.2", "token:c1", "token:p1"};
  const std::vector<std::chrono::nanoseconds> steps = {0s, 0s, 0s, 250ms, 1s, 3s, 2h, 20h};
  int admitted = 0, rejected_rate = 0, rejected_quota = 0;
  for (int step = 0; step < 600; ++step) {
    clock.advance(steps[rng() % steps.size()]);
    const std::size_t c = rng() % callers.size();
    const Role role = c == 2 ? Role::client : c == 3 ? Role::peer : Role::anonymous;
    std::vector<std::string> ids;
    const int n = static_cast<int>(rng() % 4);
    for (int i = 0; i < n; ++i) ids.push_back(id(static_cast<int>(rng() % 12)));
    const std::size_t invalid = rng() % 4 == 0 ? 1 : 0;  // invalid identifiers cost tokens only
    const discovery::RateRequest r{callers[c], role, std::max<std::size_t>(1, ids.size() + invalid), ids};
    const RateDecision want = local.admit(r);
    const RateDecision got = shared.admit(r);
    CAPTURE(step);
    REQUIRE(got.status.code() == want.status.code());
    CHECK(got.status.message() == want.status.message());
    CHECK(got.retry_after_s == want.retry_after_s);
    REQUIRE(got.headers.has_value() == want.headers.has_value());
    if (want.headers) {
      CHECK(got.headers->limit == want.headers->limit);
      CHECK(got.headers->remaining == want.headers->remaining);
      CHECK(got.headers->reset_s == want.headers->reset_s);
    }
    admitted += want.status.ok();
    rejected_rate += want.status.code() == Code::rate_limited;
    rejected_quota += want.status.code() == Code::quota_exceeded;
  }
  // The sequence exercised every outcome.
  CHECK(admitted > 100);
  CHECK(rejected_rate > 20);
  CHECK(rejected_quota > 20);
  CHECK(log.count("") == 0);  // Debian's Redis does not evict: no warning
}

TEST_CASE("RedisRateLimiter: a rejection charges neither the bucket nor the budget") {
  test::RedisServer redis;
  resolver::ManualClock clock;
  Logged log;
  RedisRateLimiter l(small_limits(), "k", clock, options(redis), log.sink());
  const std::vector<std::string> four = {id(0), id(1), id(2), id(3)};
  // A batch of 4 is over the burst of 3: rejected, nothing charged.
  auto big = l.admit({"ip:a", Role::anonymous, 4, four});
  CHECK(big.status.code() == Code::payload_too_large);
  CHECK(big.status.message().find("split") != std::string::npos);
  auto [bucket, budget] = l.keys_of("ip:a");
  CHECK(redis.cli({"EXISTS", bucket, budget}) == "0\n");
  // Three fit; the bucket is then empty and the budget holds 3 of 5.
  CHECK(l.admit({"ip:a", Role::anonymous, 3, std::vector<std::string>(four.begin(), four.begin() + 3)}).status.ok());
  CHECK(redis.cli({"ZCARD", budget}) == "3\n");
  auto empty = l.admit({"ip:a", Role::anonymous, 1, std::vector<std::string>{id(9)}});
  CHECK(empty.status.code() == Code::rate_limited);
  CHECK(redis.cli({"ZCARD", budget}) == "3\n");  // id(9) was not charged
}

TEST_CASE("RedisRateLimiter: keys are keyed hashes with a TTL, identifiers and callers never in clear") {
  test::RedisServer redis;
  resolver::SystemClock clock;
  Logged log;
  RedisRateLimiter l(small_limits(), "secret-1", clock, options(redis), log.sink());
  CHECK(l.admit({"ip:192.0.2.77", Role::anonymous, 2, std::vector<std::string>{id(1), id(2)}}).status.ok());
  CHECK(l.admit({"token:tok_secret_id", Role::client, 1, std::vector<std::string>{id(3)}}).status.ok());
  auto keys = redis.cli_lines({"--scan"});
  CHECK(keys.size() == 3);  // two buckets, one budget (the client role has none)
  for (const auto& key : keys) {
    CAPTURE(key);
    CHECK(key.rfind("mimi:rl:{", 0) == 0);
    for (const char* clear : {"192.0.2.77", "tok_secret_id", "token", "ip:", "+1415"}) {
      CHECK(key.find(clear) == std::string::npos);
    }
    const long long ttl = std::stoll(redis.cli({"PTTL", key}));
    CHECK(ttl > 0);  // -1 would be a key without expiry
    CHECK(ttl <= (86400 + 1) * 1000LL);
  }
  for (const auto& member : redis.cli_lines({"ZRANGE", l.keys_of("ip:192.0.2.77").second, "0", "-1"})) {
    CHECK(member.size() == 16);  // a 64-bit keyed hash in hex
    CHECK(member.find("1415") == std::string::npos);
  }
  // Another node with the same secret derives the same keys; another secret does not.
  RedisRateLimiter same(small_limits(), "secret-1", clock, options(redis), log.sink());
  RedisRateLimiter other(small_limits(), "secret-2", clock, options(redis), log.sink());
  CHECK(same.keys_of("ip:192.0.2.77") == l.keys_of("ip:192.0.2.77"));
  CHECK(other.keys_of("ip:192.0.2.77") != l.keys_of("ip:192.0.2.77"));
}

TEST_CASE("RedisRateLimiter: threads racing on one caller get exactly what its limits hold") {
  test::RedisServer redis;
  resolver::SystemClock clock;
  Logged log;
  discovery::RateLimits limits;
  limits.anonymous = {0.001, 40, 0};  // refills one unit in 1000 s: none during the test
  RedisRateLimiter l(limits, "k", clock, options(redis), log.sink());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) ok += l.admit({"ip:race", Role::anonymous, 1, {}}).status.ok();
    });
  }
  for (auto& t : threads) t.join();
  CHECK(ok == 40);
  CHECK(log.count("") == 0);
}

TEST_CASE("RedisRateLimiter: warns at start when Redis may evict keys") {
  test::RedisServer redis({"--maxmemory-policy", "allkeys-lru"});
  resolver::SystemClock clock;
  Logged log;
  RedisRateLimiter l(small_limits(), "k", clock, options(redis), log.sink());
  l.start();
  CHECK(log.count("maxmemory-policy is allkeys-lru") == 1);
  CHECK(log.count("set maxmemory-policy noeviction") == 1);
}

TEST_CASE("RedisRateLimiter: redis_failure closed refuses budget roles with 503, logs once, comes back") {
  test::RedisServer redis;
  resolver::SystemClock clock;
  Logged log;
  RedisRateLimiter l(small_limits(), "k", clock, options(redis), log.sink());
  l.start();
  const std::vector<std::string> one = {id(1)};
  const discovery::RateRequest anon{"ip:a", Role::anonymous, 1, one};
  const discovery::RateRequest client{"token:c", Role::client, 1, one};
  REQUIRE(l.admit(anon).status.ok());
  CHECK(l.shared_state()->reachable);

  redis.kill();
  for (int i = 0; i < 5; ++i) {
    auto d = l.admit(anon);
    CHECK(d.status.code() == Code::unavailable);
    CHECK(d.status.message().find("retry in a few seconds") != std::string::npos);
    CHECK(d.retry_after_s >= 1);
    CHECK_FALSE(d.headers);
    CHECK(l.admit(client).status.ok());  // no distinct budget: in-process bucket
  }
  auto state = *l.shared_state();
  CHECK_FALSE(state.reachable);
  CHECK(state.outages == 1);
  CHECK(state.refused == 5);
  CHECK(state.in_process == 5);
  CHECK(log.count("Rate limits are decided in process") == 1);  // once, not per request

  redis.restart();
  auto back = admit_until_ok(l, anon, 5s);
  CHECK(back.status.ok());
  CHECK(l.shared_state()->reachable);
  CHECK(log.count("reachable again") == 1);
  CHECK(redis.cli({"EXISTS", l.keys_of("ip:a").second}) == "1\n");  // counted in Redis again
}

TEST_CASE("RedisRateLimiter: redis_failure open decides everything in process while Redis is down") {
  test::RedisServer redis;
  resolver::SystemClock clock;
  Logged log;
  auto limits = small_limits();
  limits.redis_failure = discovery::RedisFailure::open;
  RedisRateLimiter l(limits, "k", clock, options(redis), log.sink());
  redis.kill();
  l.start();  // Redis down at start: the node starts in its failure mode
  CHECK(log.count("Cannot connect to Redis at 127.0.0.1:") == 1);
  const std::vector<std::string> one = {id(1)};
  const discovery::RateRequest anon{"ip:a", Role::anonymous, 1, one};
  for (int i = 0; i < 3; ++i) CHECK(l.admit(anon).status.ok());
  auto over = l.admit(anon);  // the in-process bucket (burst 3) still limits
  CHECK(over.status.code() == Code::rate_limited);
  CHECK(l.shared_state()->in_process == 4);
  CHECK(l.shared_state()->refused == 0);
}
