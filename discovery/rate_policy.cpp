// The policy's arithmetic and wording. The sentences and numbers are what clients see (docs/
// RATE_LIMITS.md), so every backend gets them from here.
#include "discovery/rate_policy.hpp"

#include <algorithm>
#include <cmath>

namespace discovery {

using resolver::Code;
using resolver::Status;

namespace {

std::string plural(std::size_t n, const char* what) {
  return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

// "20 identifiers a second", or "one identifier every 1000 seconds" for slow rates.
std::string rate_text(double rate) {
  if (rate >= 1) return plural(static_cast<std::size_t>(rate), "identifier") + " a second";
  return "one identifier every " + std::to_string(static_cast<std::int64_t>(std::ceil(1 / rate))) +
         " seconds";
}

// Seconds until a bucket holding `tokens` and filling at `rate` holds `units`, rounded up; 0 when
// it already does.
std::int64_t seconds_until(double units, double tokens, double rate) {
  if (units <= tokens) return 0;
  // A tiny epsilon keeps 1.0000000001 s from rounding to 2 after floating-point drift.
  return static_cast<std::int64_t>(std::ceil((units - tokens) / rate - 1e-9));
}

// The bucket as RateLimit-* values: the burst, whole units left, seconds until full.
RateHeaders bucket_headers(const RoleLimits& l, double tokens) {
  return {static_cast<std::int64_t>(l.burst), static_cast<std::int64_t>(std::floor(tokens)),
          seconds_until(l.burst, tokens, l.rate)};
}

RateDecision reject(Code code, std::string message, std::int64_t retry_after_s,
                    RateHeaders headers) {
  return {Status(code, std::move(message)), retry_after_s, headers};
}

}  // namespace

RateDecision decide(const RoleLimits& l, std::size_t cost, const RateCounters& c) {
  const double units = static_cast<double>(cost);
  const bool limited = l.distinct_per_day > 0;
  const std::int64_t used = c.budget_used;
  const std::int64_t wanted = c.budget_fresh;
  const RateHeaders bucket_h = bucket_headers(l, c.tokens);
  const RateHeaders budget_h{l.distinct_per_day,
                             std::max<std::int64_t>(0, l.distinct_per_day - used),
                             c.budget_empty_s};

  if (units > l.burst) {
    // It can never pass as sent, whatever the wait: 413 naming the largest batch this caller may
    // send, without Retry-After (a 429 would invite a client to retry it forever; DESIGN.md §7).
    const auto largest = static_cast<std::int64_t>(std::floor(l.burst));
    return reject(Code::payload_too_large,
                  largest < 1 ? "This caller's burst is below one identifier, so it cannot look anything up; "
                                "ask for a token with a larger limit."
                              : "A batch of " + plural(cost, "identifier") + " can never pass: this caller may send " +
                                    "at most " + plural(static_cast<std::size_t>(largest), "identifier") +
                                    " at once (its burst); split it into batches of at most " +
                                    std::to_string(largest) + ".",
                  0, bucket_h);
  }
  if (limited && wanted > l.distinct_per_day) {  // can never pass
    return reject(Code::quota_exceeded,
                  "A batch of " + plural(static_cast<std::size_t>(wanted), "new identifier") +
                      " exceeds this caller's daily budget of " +
                      std::to_string(l.distinct_per_day) + "; split it over several days.",
                  kDistinctWindowS, budget_h);
  }
  // No new identifier always fits: repeats stay free even when a restored budget is over a
  // lowered limit.
  const bool budget_ok = !limited || wanted == 0 || used + wanted <= l.distinct_per_day;
  // Retry-After is when the whole request could pass: both limits must allow it.
  if (!budget_ok) {
    return reject(
        Code::quota_exceeded,
        "This caller has looked up its " + std::to_string(l.distinct_per_day) +
            " distinct identifiers for the last 24 hours; repeat lookups are still allowed.",
        std::max(seconds_until(units, c.tokens, l.rate), c.budget_fits_s), budget_h);
  }
  if (units > c.tokens) {
    return reject(Code::rate_limited, "Too many lookups; slow down to " + rate_text(l.rate) + ".",
                  seconds_until(units, c.tokens, l.rate), bucket_h);
  }

  // Admitted: the headers describe the state once the backend has charged the request. A charge
  // of fresh identifiers puts the newest entry at now (or later, if the wall clock stepped back).
  RateDecision d;
  d.headers = bucket_headers(l, c.tokens - units);
  // Below zero when repeats pass over a lowered limit: then the budget is the closer limit, and
  // RateLimit-Remaining says 0, never a negative number.
  const std::int64_t budget_left = l.distinct_per_day - used - wanted;
  if (limited && budget_left < d.headers->remaining) {
    d.headers = RateHeaders{l.distinct_per_day, std::max<std::int64_t>(0, budget_left),
                            wanted > 0 ? std::max(kDistinctWindowS, c.budget_empty_s)
                                       : c.budget_empty_s};
  }
  return d;
}

void append_rate_headers(std::vector<std::pair<std::string, std::string>>& headers,
                         const RateDecision& d, bool rejected) {
  // A batch over the burst (413) can never pass as sent: no retry is invited.
  if (rejected && d.status.code() != Code::payload_too_large) {
    headers.emplace_back("Retry-After",
                         std::to_string(std::max<std::int64_t>(1, d.retry_after_s)));
  }
  if (!d.headers) return;
  headers.emplace_back("RateLimit-Limit", std::to_string(d.headers->limit));
  headers.emplace_back("RateLimit-Remaining", std::to_string(d.headers->remaining));
  headers.emplace_back("RateLimit-Reset", std::to_string(d.headers->reset_s));
}

}  // namespace discovery
