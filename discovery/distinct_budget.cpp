// The rolling-window distinct-identifier budget. Entries are appended in charge order, so the
// oldest is always at the front and expiry and Retry-After are O(1) per entry.
#include "discovery/distinct_budget.hpp"

#include <algorithm>

namespace discovery {

void DistinctBudget::expire(resolver::UnixTime now) {
  while (!entries_.empty() && entries_.front().at + kDistinctWindowS <= now) {
    seen_.erase(entries_.front().hash);
    entries_.pop_front();
  }
}

std::vector<std::uint64_t> DistinctBudget::fresh(std::span<const std::uint64_t> hashes) const {
  std::vector<std::uint64_t> out;
  for (std::uint64_t h : hashes) {
    if (!seen_.count(h)) out.push_back(h);
  }
  return out;
}

void DistinctBudget::charge(std::span<const std::uint64_t> fresh, resolver::UnixTime now) {
  // Never before the newest entry, so the deque stays in time order even if the wall clock
  // steps back.
  if (!entries_.empty()) now = std::max(now, entries_.back().at);
  for (std::uint64_t h : fresh) {
    if (seen_.insert(h).second) entries_.push_back({h, now});
  }
}

resolver::UnixTime DistinctBudget::seconds_until(std::size_t n, std::int64_t limit,
                                                 resolver::UnixTime now) const {
  auto used = static_cast<std::int64_t>(entries_.size());
  std::int64_t over = used + static_cast<std::int64_t>(n) - limit;
  if (n == 0 || over <= 0) return 0;
  if (over > used) return kDistinctWindowS;  // n > limit: not even an empty budget holds them
  // The `over` oldest entries must leave the window first.
  const Entry& last_to_go = entries_[static_cast<std::size_t>(over - 1)];
  return std::max<resolver::UnixTime>(1, last_to_go.at + kDistinctWindowS - now);
}

resolver::UnixTime DistinctBudget::seconds_until_empty(resolver::UnixTime now) const {
  if (entries_.empty()) return 0;
  return std::max<resolver::UnixTime>(0, entries_.back().at + kDistinctWindowS - now);
}

void DistinctBudget::restore(std::vector<Entry> entries, resolver::UnixTime now) {
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return a.at < b.at; });
  entries_.clear();
  seen_.clear();
  for (const Entry& e : entries) {
    if (e.at + kDistinctWindowS <= now) continue;
    if (seen_.insert(e.hash).second) entries_.push_back(e);
  }
}

}  // namespace discovery
