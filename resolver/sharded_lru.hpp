// ShardedLru<V>: a bounded map from string keys to values that forgets the least recently used
// entries, split into shards with a mutex each so that threads rarely contend. The caches of the
// core (signed assertions, canonical identifiers) are instances. Thread-safe.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace resolver {

template <class V>
class ShardedLru {
 public:
  // Holds at most `capacity` entries in all (at least one per shard).
  explicit ShardedLru(std::size_t capacity)
      : per_shard_(capacity / kShards > 0 ? capacity / kShards : 1) {}
  ShardedLru(const ShardedLru&) = delete;
  ShardedLru& operator=(const ShardedLru&) = delete;

  // A copy of the value for `key`, which becomes the most recently used; nullopt when absent.
  std::optional<V> get(const std::string& key) {
    Shard& s = shard_for(key);
    std::lock_guard lock(s.mu);
    auto it = s.index.find(key);
    if (it == s.index.end()) return std::nullopt;
    s.lru.splice(s.lru.begin(), s.lru, it->second);
    return it->second->second;
  }

  // Sets the value for `key`, forgetting the shard's least recently used entry when it is full.
  void put(const std::string& key, V value) {
    Shard& s = shard_for(key);
    std::lock_guard lock(s.mu);
    auto it = s.index.find(key);
    if (it != s.index.end()) {
      it->second->second = std::move(value);
      s.lru.splice(s.lru.begin(), s.lru, it->second);
      return;
    }
    s.lru.emplace_front(key, std::move(value));
    s.index.emplace(key, s.lru.begin());
    while (s.lru.size() > per_shard_) {
      s.index.erase(s.lru.back().first);
      s.lru.pop_back();
    }
  }

 private:
  static constexpr std::size_t kShards = 16;
  struct Shard {
    std::mutex mu;
    std::list<std::pair<std::string, V>> lru;  // guarded by mu; front = newest
    std::unordered_map<std::string, typename std::list<std::pair<std::string, V>>::iterator>
        index;  // guarded by mu
  };
  Shard& shard_for(const std::string& key) { return shards_[std::hash<std::string>{}(key) % kShards]; }

  const std::size_t per_shard_;
  Shard shards_[kShards];
};

}  // namespace resolver
