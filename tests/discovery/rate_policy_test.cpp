// Unit tests of the rate-limiting policy (DESIGN.md §7) with plain numbers: a table of decisions,
// each with its exact code, sentence, Retry-After and RateLimit-* values; the admission rule that
// a backend's atomic check must mirror; and the headers a decision becomes.
#include "discovery/rate_policy.hpp"

#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

using discovery::append_rate_headers;
using discovery::decide;
using discovery::RateCounters;
using discovery::RateDecision;
using discovery::RateHeaders;
using discovery::RoleLimits;
using resolver::Code;

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

// {rate, burst, distinct_per_day}
constexpr RoleLimits kAnonymous{20, 40, 1000};
constexpr RoleLimits kSmall{1, 3, 5};
constexpr RoleLimits kWide{100, 100, 5};
constexpr RoleLimits kAdmin{1000, 2000, 0};

struct Case {
  const char* what;
  RoleLimits limits;
  std::size_t cost;
  RateCounters counters;  // {tokens, budget_used, budget_fresh, budget_empty_s, budget_fits_s}
  Code code;
  std::string message;  // empty when admitted
  std::int64_t retry_after_s;
  RateHeaders headers;  // {limit, remaining, reset_s}
};

const std::string kSplitBatch = "; split it into smaller batches.";
const std::string kBudgetFull = " distinct identifiers for the last 24 hours; repeat lookups are "
                                "still allowed.";

const Case kCases[] = {
    // Admitted: the headers describe the state after the charge.
    {"one new identifier; the bucket is the closer limit", kAnonymous, 1, {40, 0, 1, 0, 0},
     Code::ok, "", 0, {40, 39, 1}},
    {"whole units left round down, seconds to full round up", kSmall, 1, {2.5, 0, 1, 0, 0},
     Code::ok, "", 0, {3, 1, 2}},
    {"the last tokens", kSmall, 3, {3, 0, 0, 0, 0}, Code::ok, "", 0, {3, 0, 3}},
    {"the budget fills exactly and becomes the closer limit; Reset is a whole window", kWide, 2,
     {100, 3, 2, 82800, 0}, Code::ok, "", 0, {5, 0, 86400}},
    {"repeats only: nothing charged, the budget's Reset is unchanged", kWide, 2,
     {100, 4, 0, 3600, 0}, Code::ok, "", 0, {5, 1, 3600}},
    {"a charge after the wall clock stepped back keeps the later entry's Reset", kWide, 1,
     {100, 1, 1, 90000, 0}, Code::ok, "", 0, {5, 3, 90000}},
    {"repeats stay free over a limit lowered below what is charged; Remaining is 0, not -2",
     kWide, 1, {100, 7, 0, 3600, 0}, Code::ok, "", 0, {5, 0, 3600}},
    {"a role without a budget ignores the budget counters", kAdmin, 10, {2000, 7, 9, 50, 60},
     Code::ok, "", 0, {2000, 1990, 1}},

    // A batch larger than the burst can never pass: 413 with the largest batch, checked before
    // anything else, no Retry-After.
    {"a batch over the burst", kSmall, 4, {1.5, 0, 4, 0, 0}, Code::payload_too_large,
     "A batch of 4 identifiers can never pass: this caller may send at most 3 identifiers at once (its "
     "burst); split it into batches of at most 3.",
     0, {3, 1, 2}},
    {"a batch over the burst and the budget is told about the burst", kSmall, 6, {3, 0, 6, 0, 0},
     Code::payload_too_large,
     "A batch of 6 identifiers can never pass: this caller may send at most 3 identifiers at once (its "
     "burst); split it into batches of at most 3.",
     0, {3, 3, 0}},
    {"a burst below one identifier", {0.5, 0.5, 1000}, 1, {0.5, 0, 1, 0, 0}, Code::payload_too_large,
     "This caller's burst is below one identifier, so it cannot look anything up; ask for a token with a "
     "larger limit.",
     0, {0, 0, 0}},

    // More new identifiers than the whole budget can never pass.
    {"more new identifiers than the whole budget", kWide, 6, {100, 2, 6, 500, 0},
     Code::quota_exceeded,
     "A batch of 6 new identifiers exceeds this caller's daily budget of 5; split it over several "
     "days.",
     86400, {5, 3, 500}},

    // The new identifiers do not fit in what is left: Retry-After waits for both limits.
    {"the budget is used up (docs/RATE_LIMITS.md)", kAnonymous, 1, {40, 1000, 1, 86390, 82800},
     Code::quota_exceeded, "This caller has looked up its 1000" + kBudgetFull, 82800,
     {1000, 0, 86390}},
    {"budget and bucket both short, the budget longer", kSmall, 3, {0, 4, 2, 86000, 30},
     Code::quota_exceeded, "This caller has looked up its 5" + kBudgetFull, 30, {5, 1, 86000}},
    {"budget and bucket both short, the bucket longer", kSmall, 3, {0, 4, 2, 86000, 2},
     Code::quota_exceeded, "This caller has looked up its 5" + kBudgetFull, 3, {5, 1, 86000}},
    {"one new identifier over a lowered limit", kWide, 1, {100, 7, 1, 3600, 7200},
     Code::quota_exceeded, "This caller has looked up its 5" + kBudgetFull, 7200, {5, 0, 3600}},

    // The bucket holds less than the request costs.
    {"the bucket is short (docs/RATE_LIMITS.md)", kAnonymous, 1, {0.5, 0, 1, 0, 0},
     Code::rate_limited, "Too many lookups; slow down to 20 identifiers a second.", 1, {40, 0, 2}},
    {"a batch waits for all its units", kAnonymous, 30, {0, 0, 30, 0, 0}, Code::rate_limited,
     "Too many lookups; slow down to 20 identifiers a second.", 2, {40, 0, 2}},
    {"one a second", kSmall, 1, {0, 0, 0, 0, 0}, Code::rate_limited,
     "Too many lookups; slow down to 1 identifier a second.", 1, {3, 0, 3}},
    {"a fractional rate is said in whole identifiers", {2.5, 10, 0}, 1, {0.5, 0, 0, 0, 0},
     Code::rate_limited, "Too many lookups; slow down to 2 identifiers a second.", 1, {10, 0, 4}},
    {"a rate below one a second", {0.3, 1, 0}, 1, {0.4, 0, 0, 0, 0}, Code::rate_limited,
     "Too many lookups; slow down to one identifier every 4 seconds.", 2, {1, 0, 2}},
    {"floating-point drift does not add a second", kSmall, 2, {1 - 1e-10, 0, 0, 0, 0},
     Code::rate_limited, "Too many lookups; slow down to 1 identifier a second.", 1, {3, 0, 2}},
};

}  // namespace

TEST_CASE("decide: code, message, Retry-After and headers for every branch") {
  for (const Case& c : kCases) {
    CAPTURE(c.what);
    RateDecision d = decide(c.limits, c.cost, c.counters);
    CHECK(d.status.code() == c.code);
    CHECK(d.status.message() == c.message);
    CHECK(d.retry_after_s == c.retry_after_s);
    REQUIRE(d.headers);
    CHECK(d.headers->limit == c.headers.limit);
    CHECK(d.headers->remaining == c.headers.remaining);
    CHECK(d.headers->reset_s == c.headers.reset_s);
  }
}

TEST_CASE("decide: admits exactly when the tokens cover the cost and the fresh identifiers fit") {
  // The rule a backend's atomic check-and-charge (a Redis script, DESIGN.md §10) must mirror.
  for (RoleLimits l : {kSmall, kAdmin}) {
    for (double tokens : {0.0, 0.5, 1.0, 2.0, 3.0}) {
      for (std::size_t cost : {1, 2, 3, 4}) {
        for (std::int64_t used : {0, 3, 5, 7}) {
          for (std::int64_t fresh : {0, 1, 2, 6}) {
            CAPTURE(l.distinct_per_day);
            CAPTURE(tokens);
            CAPTURE(cost);
            CAPTURE(used);
            CAPTURE(fresh);
            bool fits = l.distinct_per_day == 0 || fresh == 0 || used + fresh <= l.distinct_per_day;
            bool admitted = tokens >= static_cast<double>(cost) && fits;
            CHECK(decide(l, cost, {tokens, used, fresh, 0, 0}).status.ok() == admitted);
          }
        }
      }
    }
  }
}

TEST_CASE("append_rate_headers: RateLimit-* on an admitted lookup, none without headers") {
  Headers h = {{"X-Request-Id", "r1"}};
  append_rate_headers(h, decide(kAnonymous, 1, {40, 0, 1, 0, 0}), false);
  CHECK(h == Headers{{"X-Request-Id", "r1"},
                     {"RateLimit-Limit", "40"},
                     {"RateLimit-Remaining", "39"},
                     {"RateLimit-Reset", "1"}});

  Headers none;
  append_rate_headers(none, RateDecision{}, false);  // what UnlimitedRateLimiter answers
  CHECK(none.empty());
}

TEST_CASE("append_rate_headers: a rejection leads with Retry-After, at least 1") {
  Headers h;
  append_rate_headers(h, decide(kAnonymous, 1, {40, 1000, 1, 86390, 82800}), true);
  CHECK(h == Headers{{"Retry-After", "82800"},
                     {"RateLimit-Limit", "1000"},
                     {"RateLimit-Remaining", "0"},
                     {"RateLimit-Reset", "86390"}});

  Headers now;  // Retry-After 0 is sent as 1
  append_rate_headers(now, RateDecision{resolver::Status(Code::rate_limited, "Too many lookups."), 0, {}}, true);
  CHECK(now == Headers{{"Retry-After", "1"}});

  Headers never;  // a batch over the burst can never pass: 413 without Retry-After
  append_rate_headers(never, decide(kSmall, 6, {3, 0, 6, 0, 0}), true);
  CHECK(never == Headers{{"RateLimit-Limit", "3"}, {"RateLimit-Remaining", "3"}, {"RateLimit-Reset", "0"}});

  RateDecision bare{resolver::Status(Code::unavailable, "The limiter is unreachable."), 5, {}};
  Headers only_retry;
  append_rate_headers(only_retry, bare, true);
  CHECK(only_retry == Headers{{"Retry-After", "5"}});
}
