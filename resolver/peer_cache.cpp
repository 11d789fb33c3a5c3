// PeerCache: a plain LRU under one mutex; entries are small and operations O(1).
#include "resolver/peer_cache.hpp"

namespace resolver {

PeerCache::PeerCache(std::size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

std::optional<PeerLookup> PeerCache::get(const std::string& key, UnixTime now) {
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  if (now >= it->second->expires) {
    lru_.erase(it->second);
    index_.erase(it);
    return std::nullopt;
  }
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->value;
}

bool PeerCache::holds(const std::string& key, UnixTime at) {
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  return it != index_.end() && at < it->second->expires;
}

void PeerCache::put(const std::string& key, PeerLookup value, UnixTime expires, UnixTime now) {
  if (expires <= now) return;
  std::lock_guard lock(mu_);
  if (auto it = index_.find(key); it != index_.end()) {
    lru_.erase(it->second);
    index_.erase(it);
  }
  lru_.push_front({key, std::move(value), expires});
  index_[key] = lru_.begin();
  while (lru_.size() > capacity_) {
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
}

}  // namespace resolver
