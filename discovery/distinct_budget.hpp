// DistinctBudget: the distinct identifiers one caller looked up in the last 24 hours, as keyed
// hashes (DESIGN.md §7): an identifier already charged in the window is free; a new one consumes
// the budget until 24 hours after it was charged. A plain value; thread-compatible (the limiter
// guards it with its shard's mutex).
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <unordered_set>
#include <vector>

#include "discovery/rate_policy.hpp"
#include "resolver/mapping.hpp"

namespace discovery {

class DistinctBudget {
 public:
  struct Entry {
    std::uint64_t hash;     // KeyedHash::hash64 of the canonical identifier
    resolver::UnixTime at;  // when it was charged
  };

  // Forgets entries charged at or before now - kDistinctWindowS. Call before the others.
  void expire(resolver::UnixTime now);
  // The hashes of `hashes` not charged in the window, in input order.
  // REQUIRES: no hash twice in `hashes` (the limiter deduplicates before taking its lock).
  std::vector<std::uint64_t> fresh(std::span<const std::uint64_t> hashes) const;
  // Charges `fresh` (from fresh()) at `now`.
  void charge(std::span<const std::uint64_t> fresh, resolver::UnixTime now);
  // Seconds until `n` more identifiers fit under `limit` (RateCounters::budget_fits_s): 0 when
  // they already do or n is 0; kDistinctWindowS when n > limit (they never fit).
  resolver::UnixTime seconds_until(std::size_t n, std::int64_t limit, resolver::UnixTime now) const;
  // Seconds until every charged identifier has left the window (RateLimit-Reset); 0 when empty.
  resolver::UnixTime seconds_until_empty(resolver::UnixTime now) const;

  std::size_t used() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  // Oldest first; for the snapshot.
  const std::deque<Entry>& entries() const { return entries_; }
  // Replaces the state with `entries` (from a snapshot): sorted by time, duplicates dropped
  // (the earliest charge wins), entries outside the window at `now` dropped.
  void restore(std::vector<Entry> entries, resolver::UnixTime now);

 private:
  std::deque<Entry> entries_;               // charge order, which is time order
  std::unordered_set<std::uint64_t> seen_;  // the hashes of entries_
};

}  // namespace discovery
