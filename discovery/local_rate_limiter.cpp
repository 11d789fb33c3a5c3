// The in-process limiter: the counters of each caller, read and charged under its shard's lock
// around decide() (rate_policy.hpp). The identifiers are hashed before the lock is taken, so the
// critical section is a map lookup, a bucket refill, a few hash-set probes and the policy.
#include "discovery/local_rate_limiter.hpp"

#include <algorithm>
#include <functional>

namespace discovery {

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

  const RateCounters counters{s.bucket.tokens(), static_cast<std::int64_t>(s.budget.used()),
                              static_cast<std::int64_t>(fresh.size()),
                              s.budget.seconds_until_empty(now),
                              s.budget.seconds_until(fresh.size(), l.distinct_per_day, now)};
  RateDecision d = decide(l, request.cost, counters);
  if (!d.status.ok()) return d;  // a rejected request consumes nothing

  s.bucket.take(static_cast<double>(request.cost));
  if (!fresh.empty()) {
    s.budget.charge(fresh, now);
    shard.identifiers += fresh.size();
    dirty_ = true;
    evict_locked(shard, request.caller);
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
                  [&](const auto& e) { return e.at + kDistinctWindowS <= now; });
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
