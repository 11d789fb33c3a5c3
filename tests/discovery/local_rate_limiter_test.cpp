// Unit tests of the in-process limiter (DESIGN.md §7) with a ManualClock: what it counts and
// charges (burst and refill, batch cost, the distinct budget, rejections charging nothing),
// eviction, snapshot round trips and threads racing on one caller. The wording and numbers of each
// decision are rate_policy_test's.
#include "discovery/local_rate_limiter.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "resolver/clock.hpp"
#include "tests/discovery/limiter_fixture.hpp"

using namespace std::chrono_literals;
using discovery::LocalRateLimiter;
using discovery::RateDecision;
using resolver::Code;
using resolver::Role;

using test::small_limits;

namespace {

std::vector<std::string> ids(int from, int to) {
  std::vector<std::string> out;
  for (int i = from; i < to; ++i) out.push_back("tel:+1415555" + std::to_string(1000 + i));
  return out;
}

RateDecision ask(LocalRateLimiter& l, const std::string& caller,
                 const std::vector<std::string>& ids, std::size_t cost = 0,
                 Role role = Role::anonymous) {
  return l.admit({caller, role, cost ? cost : std::max<std::size_t>(1, ids.size()), ids});
}

}  // namespace

TEST_CASE("LocalRateLimiter: burst, then 429 until the bucket refills") {
  resolver::ManualClock clock;
  LocalRateLimiter l(small_limits(), "k", clock);
  auto same = ids(0, 1);
  for (int i = 0; i < 3; ++i) {
    auto d = ask(l, "ip:192.0.2.1", same);
    REQUIRE(d.status.ok());
    REQUIRE(d.headers);
    CHECK(d.headers->limit == 3);
    CHECK(d.headers->remaining == 2 - i);
  }
  auto d = ask(l, "ip:192.0.2.1", same);
  CHECK(d.status.code() == Code::rate_limited);
  CHECK(d.retry_after_s == 1);
  CHECK(d.headers->remaining == 0);
  CHECK(ask(l, "ip:192.0.2.2", same).status.ok());  // another caller has its own bucket
  clock.advance(1s);
  CHECK(ask(l, "ip:192.0.2.1", same).status.ok());
  CHECK(ask(l, "ip:192.0.2.1", same).status.code() == Code::rate_limited);
}

TEST_CASE(
    "LocalRateLimiter: a batch costs one unit per identifier; one over the burst never passes") {
  resolver::ManualClock clock;
  LocalRateLimiter l(small_limits(), "k", clock);
  auto too_big = ask(l, "ip:a", ids(0, 4));
  CHECK(too_big.status.code() == Code::payload_too_large);
  CHECK(too_big.status.message().find("split") != std::string::npos);
  auto fits = ask(l, "ip:a", ids(0, 3));  // nothing was charged by the rejection
  CHECK(fits.status.ok());
  auto one_more = ask(l, "ip:a", ids(0, 2));
  CHECK(one_more.status.code() == Code::rate_limited);
  CHECK(one_more.retry_after_s == 2);  // two units at 1/s
  // Invalid identifiers cost tokens but no budget: cost 3, no canonical forms.
  clock.advance(3s);
  CHECK(l.admit({"ip:a", Role::anonymous, 3, {}}).status.ok());
}

TEST_CASE("LocalRateLimiter: distinct budget, repeats free, rolling window") {
  resolver::ManualClock clock;
  auto limits = small_limits();
  limits.anonymous = {100, 100, 5};
  LocalRateLimiter l(limits, "k", clock);
  CHECK(ask(l, "ip:a", ids(0, 3)).status.ok());
  clock.advance(1h);
  auto d = ask(l, "ip:a", ids(3, 5));
  REQUIRE(d.status.ok());
  CHECK(d.headers->limit == 5);  // the budget is now the closer limit
  CHECK(d.headers->remaining == 0);
  auto over = ask(l, "ip:a", ids(5, 6));
  CHECK(over.status.code() == Code::quota_exceeded);
  CHECK(over.retry_after_s == 23 * 3600);  // when the first three leave the window
  CHECK(over.headers->remaining == 0);
  for (int i = 0; i < 10; ++i) CHECK(ask(l, "ip:a", ids(0, 5)).status.ok());  // repeats are free
  // A batch mixing repeats and one new identifier is rejected whole.
  CHECK(ask(l, "ip:a", ids(2, 6)).status.code() == Code::quota_exceeded);
  CHECK(ask(l, "ip:b", ids(5, 6)).status.ok());  // budgets are per caller
  clock.advance(23h);
  CHECK(ask(l, "ip:a", ids(5, 8)).status.ok());  // the first three left the window
  CHECK(ask(l, "ip:a", ids(0, 1)).status.code() == Code::quota_exceeded);  // and count anew
  auto whole = ask(l, "ip:c", ids(10, 16));
  CHECK(whole.status.code() == Code::quota_exceeded);
  CHECK(whole.status.message().find("split") != std::string::npos);
}

TEST_CASE("LocalRateLimiter: a rejection charges neither the bucket nor the budget") {
  resolver::ManualClock clock;
  auto limits = small_limits();
  limits.anonymous = {1, 4, 3};
  LocalRateLimiter l(limits, "k", clock);
  CHECK(ask(l, "ip:a", ids(0, 2)).status.ok());                            // 2 tokens, 2 budget
  CHECK(ask(l, "ip:a", ids(2, 4)).status.code() == Code::quota_exceeded);  // would be 4 distinct
  CHECK(ask(l, "ip:a", ids(2, 3)).status.ok());  // bucket still had 2, budget 1
  CHECK(ask(l, "ip:a", ids(0, 3), 3).status.code() == Code::rate_limited);
  clock.advance(3s);
  CHECK(ask(l, "ip:a", ids(0, 3)).status.ok());
}

TEST_CASE("LocalRateLimiter: unlimited budget (0) tracks nothing, roles have their own limits") {
  resolver::ManualClock clock;
  LocalRateLimiter l(small_limits(), "k", clock);
  auto d = ask(l, "token:t", ids(0, 10), 0, Role::client);
  REQUIRE(d.status.ok());
  CHECK(d.headers->limit == 10);
  CHECK(l.budgets().empty());
}

TEST_CASE("LocalRateLimiter: memory is bounded, the least recently seen callers are evicted") {
  resolver::ManualClock clock;
  auto limits = small_limits();
  limits.max_callers = 64;  // one caller per shard
  LocalRateLimiter l(limits, "k", clock);
  for (int i = 0; i < 5000; ++i)
    (void)ask(l, "ip:10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256), ids(0, 1));
  CHECK(l.tracked_callers() <= LocalRateLimiter::kShards);
  // An evicted caller comes back with a full bucket and an empty budget.
  for (int i = 0; i < 3; ++i) (void)ask(l, "ip:a", ids(0, 1));
  CHECK(ask(l, "ip:a", ids(0, 1)).status.code() == Code::rate_limited);
  for (int i = 0; i < 5000; ++i) (void)ask(l, "ip:b" + std::to_string(i), ids(0, 1));
  CHECK(ask(l, "ip:a", ids(0, 1)).status.ok());

  limits.max_callers = 100000;
  limits.max_tracked_identifiers = 64;  // one identifier per shard
  LocalRateLimiter by_ids(limits, "k", clock);
  for (int i = 0; i < 2000; ++i) (void)ask(by_ids, "ip:c" + std::to_string(i), ids(i, i + 1));
  std::size_t kept = 0;
  for (const auto& b : by_ids.budgets()) kept += b.entries.size();
  CHECK(kept <= LocalRateLimiter::kShards);
}

TEST_CASE("LocalRateLimiter: budgets restored from a snapshot follow their caller") {
  resolver::ManualClock clock;
  auto limits = small_limits();
  limits.anonymous = {100, 100, 3};
  LocalRateLimiter first(limits, "secret", clock);
  CHECK(ask(first, "ip:a", ids(0, 3)).status.ok());
  CHECK(first.take_dirty());
  CHECK_FALSE(first.take_dirty());
  auto saved = first.budgets();
  REQUIRE(saved.size() == 1);
  CHECK(saved[0].entries.size() == 3);

  LocalRateLimiter second(limits, "secret", clock);
  second.restore(saved);
  CHECK(second.budgets().size() == 1);  // kept for the snapshot even before the caller returns
  CHECK(ask(second, "ip:a", ids(0, 3)).status.ok());                            // repeats are free
  CHECK(ask(second, "ip:a", ids(3, 4)).status.code() == Code::quota_exceeded);  // budget held
  CHECK(ask(second, "ip:b", ids(3, 4)).status.ok());

  limits.anonymous.distinct_per_day = 2;  // lowered below what the snapshot holds
  LocalRateLimiter lowered(limits, "secret", clock);
  lowered.restore(saved);
  auto repeats = ask(lowered, "ip:a", ids(0, 3));
  CHECK(repeats.status.ok());  // repeats stay free
  CHECK(repeats.headers->limit == 2);
  CHECK(repeats.headers->remaining == 0);  // 3 charged over a limit of 2: 0, not -1
  CHECK(ask(lowered, "ip:a", ids(3, 4)).status.code() == Code::quota_exceeded);
  clock.advance(24h);
  CHECK(lowered.budgets().empty());  // everything left the window
  limits.anonymous.distinct_per_day = 3;

  LocalRateLimiter other_key(limits, "another secret", clock);
  other_key.restore(saved);
  CHECK(ask(other_key, "ip:a", ids(3, 4)).status.ok());  // different key: hashes do not match
}

TEST_CASE(
    "LocalRateLimiter: an identifier twice in a batch costs two tokens but one unit of budget") {
  resolver::ManualClock clock;
  auto limits = small_limits();
  limits.anonymous = {100, 100, 5};
  LocalRateLimiter l(limits, "k", clock);
  std::vector<std::string> batch = {"mailto:a@example.com", "mailto:a@example.com",
                                    "mailto:b@example.com"};
  auto d = ask(l, "ip:a", batch);
  REQUIRE(d.status.ok());
  CHECK(d.headers->limit == 5);
  CHECK(d.headers->remaining == 3);
  auto next = ask(l, "ip:a", ids(0, 1));
  CHECK(next.headers->remaining == 2);
}

TEST_CASE("LocalRateLimiter: threads racing on one caller get exactly what its limits hold") {
  resolver::ManualClock clock;  // never advanced: nothing refills or leaves the window
  auto limits = small_limits();
  limits.anonymous = {1, 40, 25};
  LocalRateLimiter l(limits, "k", clock);
  std::atomic<int> new_ok{0}, new_quota{0}, repeat_ok{0}, repeat_limited{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        int n = t * 10 + i;  // 80 distinct identifiers against a budget of 25
        Code c = ask(l, "ip:new", ids(n, n + 1)).status.code();
        if (c == Code::ok) ++new_ok;
        if (c == Code::quota_exceeded) ++new_quota;
        c = ask(l, "ip:repeat", ids(0, 1)).status.code();  // 80 repeats against a burst of 40
        if (c == Code::ok) ++repeat_ok;
        if (c == Code::rate_limited) ++repeat_limited;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(new_ok == 25);
  CHECK(new_quota == 55);
  CHECK(repeat_ok == 40);
  CHECK(repeat_limited == 40);
  std::size_t charged = 0;
  for (const auto& b : l.budgets()) charged += b.entries.size();
  CHECK(charged == 25 + 1);
}
