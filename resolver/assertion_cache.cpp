// AssertionCache: a sharded LRU of signed assertions.
#include "resolver/assertion_cache.hpp"

#include <functional>

namespace resolver {

AssertionCache::AssertionCache(std::size_t capacity)
    : per_shard_(capacity / kShards > 0 ? capacity / kShards : 1) {}

std::string AssertionCache::key_for(const Mapping& m, const std::string& kid) {
  std::string key;
  key.reserve(m.identifier.size() + m.provider.size() + m.user.size() + kid.size() + 24);
  // NUL cannot occur in any of these fields (they are validated), so the key is unambiguous.
  key.append(m.identifier).push_back('\0');
  key.append(m.provider).push_back('\0');
  key.append(m.user).push_back('\0');
  key.append(std::to_string(m.revision)).push_back('\0');
  key.append(kid);
  return key;
}

AssertionCache::Shard& AssertionCache::shard_for(const std::string& key) {
  return shards_[std::hash<std::string>{}(key) % kShards];
}

std::optional<CachedAssertion> AssertionCache::get(const std::string& key) {
  Shard& s = shard_for(key);
  std::lock_guard lock(s.mu);
  auto it = s.index.find(key);
  if (it == s.index.end()) return std::nullopt;
  s.lru.splice(s.lru.begin(), s.lru, it->second);
  return it->second->second;
}

void AssertionCache::put(const std::string& key, CachedAssertion value) {
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

}  // namespace resolver
