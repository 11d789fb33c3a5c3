// LocalRateLimiter: the in-process RateLimiter of DESIGN.md §7 — a token bucket and a rolling
// 24-hour distinct-identifier budget per caller, with limits per role. Thread-safe: callers are
// split over kShards shards by a hash of the caller key, each with its own mutex, so no lock is
// shared by all requests. Memory is bounded by RateLimits::max_callers and max_tracked_identifiers.
#pragma once

#include <array>
#include <atomic>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "discovery/budget_snapshot.hpp"
#include "discovery/config.hpp"
#include "discovery/distinct_budget.hpp"
#include "discovery/keyed_hash.hpp"
#include "discovery/rate_limiter.hpp"
#include "discovery/rate_policy.hpp"
#include "discovery/token_bucket.hpp"
#include "resolver/clock.hpp"

namespace discovery {

class LocalRateLimiter final : public RateLimiter {
 public:
  static constexpr std::size_t kShards = 64;

  // `secret` keys the hashes of identifiers and callers; it must stay the same across restarts
  // for a snapshot to mean anything (Store::secret). REQUIRES: clock outlives the limiter.
  LocalRateLimiter(const RateLimits& limits, std::string secret, const resolver::Clock& clock);

  // Reads the caller's bucket and budget, asks decide() (rate_policy.hpp), and charges both when
  // it admits; a rejection charges nothing.
  RateDecision admit(const RateRequest& request) override;

  // Every budget that is not empty, for the snapshot; first drops the entries that have left the
  // window (restored budgets included). Takes each shard's lock in turn.
  std::vector<CallerBudget> budgets();
  // Adds budgets read from a snapshot; each is attached to its caller when that caller is next
  // seen (only the keyed hash of the caller key is stored). Beyond the memory bounds the rest is
  // dropped.
  void restore(std::vector<CallerBudget> budgets);
  // True when a budget changed since the last call; clears the flag.
  bool take_dirty() { return dirty_.exchange(false); }
  // Sets the flag again, e.g. after a snapshot could not be written.
  void mark_dirty() { dirty_ = true; }

  // Callers tracked now, restored ones not yet seen included.
  std::size_t tracked_callers() const;

 private:
  using CallerId = std::array<std::uint8_t, 16>;
  struct CallerState {
    CallerId id{};
    resolver::Role role = resolver::Role::anonymous;
    TokenBucket bucket;
    DistinctBudget budget;
    std::list<const std::string*>::iterator lru;  // this caller's place in Shard::lru
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, CallerState> callers;  // guarded by mu; by caller key
    std::list<const std::string*> lru;                     // guarded by mu; most recent first
    std::size_t identifiers = 0;                           // guarded by mu; sum of budget sizes
  };

  // The caller's state, created (from a restored budget when there is one) and moved to the front
  // of the LRU list. REQUIRES: shard.mu held.
  CallerState& find_locked(Shard& shard, const RateRequest& request);
  // Forgets least recently seen callers other than `keep` while the shard is over its bounds.
  // REQUIRES: shard.mu held.
  void evict_locked(Shard& shard, const std::string& keep);

  const RateLimits limits_;
  const KeyedHash hash_;
  const resolver::Clock& clock_;
  const std::size_t shard_callers_;      // max_callers / kShards
  const std::size_t shard_identifiers_;  // max_tracked_identifiers / kShards
  std::array<Shard, kShards> shards_;
  std::atomic<bool> dirty_{false};

  mutable std::mutex restored_mu_;
  std::map<CallerId, CallerBudget> restored_;  // guarded by restored_mu_; not yet seen again
};

}  // namespace discovery
