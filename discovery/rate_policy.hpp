// The rate-limiting policy of DESIGN.md §7 as pure functions: from what a backend counted for one
// caller, whether a request passes, the 429 code and sentence, Retry-After and the RateLimit-*
// values; and those as HTTP headers. No clock, lock or I/O: every backend (LocalRateLimiter, the
// shared one of §10) reads its counters, calls decide() and charges when it admits. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "discovery/config.hpp"
#include "discovery/rate_limiter.hpp"
#include "resolver/mapping.hpp"

namespace discovery {

// The window of distinct_per_day: "a rolling 24 hours" (DESIGN.md §7).
inline constexpr resolver::UnixTime kDistinctWindowS = 86400;

// What a backend read for one caller at the time of a request, before charging anything. Plain
// numbers, so that a backend keeping its counters elsewhere (a Redis script) can return them.
// The budget fields are ignored for a role without a budget (distinct_per_day 0).
struct RateCounters {
  double tokens = 0;  // in the caller's bucket, refilled up to now; at most the burst
  std::int64_t budget_used = 0;  // identifiers charged in the window, the expired ones dropped
  // The request's identifiers not charged in the window, each counted once.
  std::int64_t budget_fresh = 0;
  // Seconds until every identifier charged so far has left the window; 0 when none is charged.
  std::int64_t budget_empty_s = 0;
  // Seconds until budget_fresh more identifiers fit under distinct_per_day as the oldest leave
  // the window. Read only when 0 < budget_fresh <= distinct_per_day < budget_used + budget_fresh.
  std::int64_t budget_fits_s = 0;
};

// The decision on a request that costs `cost` bucket units (one per identifier, invalid ones
// included). Admitted (status ok) exactly when counters.tokens >= cost and, for a role with a
// budget, budget_fresh is 0 or budget_used + budget_fresh <= distinct_per_day: the backend then
// takes `cost` tokens and charges the fresh identifiers at now; otherwise it charges nothing.
// Rejections, first match wins:
// - payload_too_large (413) when cost > burst (can never pass; the message names the largest
//   batch and says to split it), no Retry-After, the bucket's headers;
// - quota_exceeded when budget_fresh > distinct_per_day (can never pass; split over days),
//   Retry-After kDistinctWindowS;
// - quota_exceeded when the fresh identifiers do not fit (repeats always do, even over a limit
//   lowered below budget_used), Retry-After when both the bucket and the budget allow it;
// - rate_limited when tokens < cost, Retry-After when the bucket holds `cost`.
// Headers, on both outcomes, describe the budget when it is the one that rejected, or when it has
// fewer units left than the bucket after the charge; else the bucket.
RateDecision decide(const RoleLimits& limits, std::size_t cost, const RateCounters& counters);

// Appends the HTTP headers of `d` to `headers`: Retry-After (max(1, retry_after_s)) first when
// `rejected` (pass !d.status.ok()), then RateLimit-Limit, RateLimit-Remaining and
// RateLimit-Reset when d.headers is set.
void append_rate_headers(std::vector<std::pair<std::string, std::string>>& headers,
                         const RateDecision& d, bool rejected);

}  // namespace discovery
