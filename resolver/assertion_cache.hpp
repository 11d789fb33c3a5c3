// AssertionCache: signed assertions kept in memory so each mapping is signed once per refresh
// period, not once per lookup (DESIGN.md §4.4). Bounded; sharded LRU so lookups on different
// threads rarely contend. Thread-safe.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "resolver/mapping.hpp"

namespace resolver {

struct CachedAssertion {
  std::string jws;
  UnixTime iat = 0;
  UnixTime exp = 0;
};

class AssertionCache {
 public:
  // Holds at most `capacity` entries in all (at least one per shard).
  explicit AssertionCache(std::size_t capacity);
  AssertionCache(const AssertionCache&) = delete;
  AssertionCache& operator=(const AssertionCache&) = delete;

  // The key names everything the signature covers that can change: the mapping's identity, its
  // revision (changes on every write) and the signing key's id (changes on rotation).
  static std::string key_for(const Mapping& m, const std::string& kid);

  // The cached assertion for `key`, if any.
  std::optional<CachedAssertion> get(const std::string& key);
  void put(const std::string& key, CachedAssertion value);

 private:
  static constexpr std::size_t kShards = 16;
  struct Shard {
    std::mutex mu;
    std::list<std::pair<std::string, CachedAssertion>> lru;  // guarded by mu; front = newest
    std::unordered_map<std::string, decltype(lru)::iterator> index;  // guarded by mu
  };
  Shard& shard_for(const std::string& key);

  std::size_t per_shard_;
  Shard shards_[kShards];
};

}  // namespace resolver
