// PeerCache: verified peer answers kept in memory, so a repeated federated lookup neither calls
// the peer nor verifies again (DESIGN.md §5). Bounded LRU with per-entry expiry. Thread-safe.
#pragma once

#include <cstddef>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "resolver/peer_answer.hpp"

namespace resolver {

class PeerCache {
 public:
  // Holds at most `capacity` entries (at least one).
  explicit PeerCache(std::size_t capacity);
  PeerCache(const PeerCache&) = delete;
  PeerCache& operator=(const PeerCache&) = delete;

  // The entry for `key` while `now` is before its expiry; nullopt otherwise (an expired one is
  // dropped).
  std::optional<PeerLookup> get(const std::string& key, UnixTime now);
  // True when the entry for `key` exists and is still valid at `at`; unlike get(), it neither
  // copies the entry nor refreshes its place in the LRU order.
  bool holds(const std::string& key, UnixTime at);
  // Keeps `value` until `expires` (exclusive); does nothing when `expires` <= `now`.
  void put(const std::string& key, PeerLookup value, UnixTime expires, UnixTime now);

 private:
  struct Entry {
    std::string key;
    PeerLookup value;
    UnixTime expires = 0;
  };
  const std::size_t capacity_;
  std::mutex mu_;
  std::list<Entry> lru_;                                           // guarded by mu_; front newest
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;  // guarded by mu_
};

}  // namespace resolver
