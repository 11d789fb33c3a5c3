// The in-process limiter. The identifiers are hashed before the shard lock is taken, so the
// critical section is a map lookup, a bucket refill and a few hash-set probes.
#include "discovery/local_rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

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

RateDecision reject(Code code, std::string message, std::int64_t retry_after_s,
                    RateHeaders headers) {
  return {Status(code, std::move(message)), retry_after_s, headers};
}

}  // namespace

LocalRateLimiter::LocalRateLimiter(const RateLimits& limits, std::string secret,
                                   const resolver::Clock& clock)
    : limits_(limits),
      hash_(std::move(secret)),
      clock_(clock),
      shard_callers_(std::max<std::size_t>(1, limits.max_callers / kShards)),
      shard_identifiers_(std::max<std::size_t>(1, limits.max_tracked_identifiers / kShards)) {}

LocalRateLimiter::CallerState& LocalRateLimiter::find_locked(Shard& shard,
                                                             const RateRequest& request) {
  const RoleLimits& l = limits_.of(request.role);
  auto it = shard.callers.find(request.caller);
  if (it == shard.callers.end()) {
    CallerState fresh{hash_.hash128("caller\n" + request.caller),
                      request.role,
                      TokenBucket(l.rate, l.burst, clock_.steady_now()),
                      {},
                      {}};
    {
      std::lock_guard lock(restored_mu_);
      if (auto r = restored_.find(fresh.id); r != restored_.end()) {
        fresh.budget.restore(std::move(r->second.entries), clock_.now());
        restored_.erase(r);
      }
    }
    it = shard.callers.emplace(request.caller, std::move(fresh)).first;
    shard.lru.push_front(&it->first);
    it->second.lru = shard.lru.begin();
    shard.identifiers += it->second.budget.used();
    evict_locked(shard, request.caller);
  } else {
    shard.lru.splice(shard.lru.begin(), shard.lru, it->second.lru);
  }
  CallerState& s = it->second;
  if (s.role != request.role) {  // a token's role does not change; keep this cheap and correct
    s.role = request.role;
    s.bucket.set_limits(l.rate, l.burst);
  }
  return s;
}

void LocalRateLimiter::evict_locked(Shard& shard, const std::string& keep) {
  // Evicting a caller forgets its bucket (it comes back full) and its budget (it comes back
  // empty): the price of bounded memory. LRU order makes that the callers idle the longest.
  while ((shard.callers.size() > shard_callers_ || shard.identifiers > shard_identifiers_) &&
         shard.lru.size() > 1) {
    const std::string* victim = shard.lru.back();
    if (*victim == keep) break;  // keep is at the front; only reachable when it is alone
    auto it = shard.callers.find(*victim);
    shard.identifiers -= it->second.budget.used();
    if (!it->second.budget.empty()) dirty_ = true;
    shard.lru.pop_back();
    shard.callers.erase(it);
  }
}

RateDecision LocalRateLimiter::admit(const RateRequest& request) {
  const RoleLimits& l = limits_.of(request.role);
  const double cost = static_cast<double>(request.cost);
  std::vector<std::uint64_t> hashes;
  if (l.distinct_per_day > 0) {
    hashes.reserve(request.identifiers.size());
    for (const auto& id : request.identifiers) hashes.push_back(hash_.hash64(id));
    // An identifier twice in one batch counts once; done before the lock, which stays short.
    std::sort(hashes.begin(), hashes.end());
    hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
  }

  Shard& shard = shards_[std::hash<std::string>{}(request.caller) % kShards];
  std::lock_guard lock(shard.mu);
  CallerState& s = find_locked(shard, request);
  const resolver::UnixTime now = clock_.now();
  s.bucket.refill(clock_.steady_now());
  std::size_t before = s.budget.used();
  s.budget.expire(now);
  shard.identifiers -= before - s.budget.used();
  std::vector<std::uint64_t> fresh = s.budget.fresh(hashes);

  const bool limited = l.distinct_per_day > 0;
  const auto used = static_cast<std::int64_t>(s.budget.used());
  const auto wanted = static_cast<std::int64_t>(fresh.size());
  RateHeaders bucket_h{static_cast<std::int64_t>(l.burst),
                       static_cast<std::int64_t>(std::floor(s.bucket.tokens())),
                       s.bucket.seconds_until_full()};
  RateHeaders budget_h{l.distinct_per_day, std::max<std::int64_t>(0, l.distinct_per_day - used),
                       s.budget.seconds_until_empty(now)};

  if (cost > l.burst) {  // can never pass
    return reject(
        Code::rate_limited,
        "A batch of " + plural(request.cost, "identifier") + " exceeds this caller's burst of " +
            std::to_string(static_cast<std::int64_t>(l.burst)) + "; split it into smaller batches.",
        s.bucket.seconds_until_full(), bucket_h);
  }
  if (limited && wanted > l.distinct_per_day) {  // can never pass
    return reject(Code::quota_exceeded,
                  "A batch of " + plural(fresh.size(), "new identifier") +
                      " exceeds this caller's daily budget of " +
                      std::to_string(l.distinct_per_day) + "; split it over several days.",
                  DistinctBudget::kWindowS, budget_h);
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
        std::max(s.bucket.seconds_until(cost),
                 s.budget.seconds_until(fresh.size(), l.distinct_per_day, now)),
        budget_h);
  }
  if (!s.bucket.can_take(cost)) {
    return reject(Code::rate_limited, "Too many lookups; slow down to " + rate_text(l.rate) + ".",
                  s.bucket.seconds_until(cost), bucket_h);
  }

  RateDecision d;
  s.bucket.take(cost);
  if (!fresh.empty()) {
    s.budget.charge(fresh, now);
    shard.identifiers += fresh.size();
    dirty_ = true;
    evict_locked(shard, request.caller);
  }
  bucket_h.remaining = static_cast<std::int64_t>(std::floor(s.bucket.tokens()));
  bucket_h.reset_s = s.bucket.seconds_until_full();
  if (limited && l.distinct_per_day - used - wanted < bucket_h.remaining) {
    d.headers = RateHeaders{l.distinct_per_day, l.distinct_per_day - used - wanted,
                            s.budget.seconds_until_empty(now)};
  } else {
    d.headers = bucket_h;
  }
  return d;
}

std::vector<CallerBudget> LocalRateLimiter::budgets() {
  std::vector<CallerBudget> out;
  const resolver::UnixTime now = clock_.now();
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    for (auto& [key, s] : shard.callers) {
      std::size_t before = s.budget.used();
      s.budget.expire(now);  // also frees the memory of callers that went quiet
      shard.identifiers -= before - s.budget.used();
      if (s.budget.empty()) continue;
      out.push_back({s.id, s.role, {s.budget.entries().begin(), s.budget.entries().end()}});
    }
  }
  std::lock_guard lock(restored_mu_);
  for (auto it = restored_.begin(); it != restored_.end();) {
    std::erase_if(it->second.entries,
                  [&](const auto& e) { return e.at + DistinctBudget::kWindowS <= now; });
    if (it->second.entries.empty()) {
      it = restored_.erase(it);  // its caller did not come back within the window
    } else {
      out.push_back(it->second);
      ++it;
    }
  }
  return out;
}

void LocalRateLimiter::restore(std::vector<CallerBudget> budgets) {
  // Restored budgets wait here until their caller returns; bound them like live ones.
  std::size_t identifiers = 0;
  std::lock_guard lock(restored_mu_);
  for (auto& b : budgets) {
    if (restored_.size() >= limits_.max_callers) break;
    identifiers += b.entries.size();
    if (identifiers > limits_.max_tracked_identifiers) break;
    restored_[b.caller] = std::move(b);
  }
}

std::size_t LocalRateLimiter::tracked_callers() const {
  std::size_t n = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    n += shard.callers.size();
  }
  std::lock_guard lock(restored_mu_);
  return n + restored_.size();
}

}  // namespace discovery
