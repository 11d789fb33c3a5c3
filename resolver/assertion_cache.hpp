// AssertionCache: signed assertions kept in memory so each mapping is signed once per refresh
// period, not once per lookup (DESIGN.md §4.4). Bounded; sharded LRU so lookups on different
// threads rarely contend. Thread-safe.
#pragma once

#include <string>

#include "resolver/mapping.hpp"
#include "resolver/sharded_lru.hpp"

namespace resolver {

struct CachedAssertion {
  std::string jws;
  UnixTime iat = 0;
  UnixTime exp = 0;
};

// Keyed by key_for(): a new revision or key id is a new entry; old ones age out.
class AssertionCache : public ShardedLru<CachedAssertion> {
 public:
  using ShardedLru::ShardedLru;

  // The key names everything the signature covers that can change: the mapping's identity, its
  // revision (changes on every write) and the signing key's id (changes on rotation).
  static std::string key_for(const Mapping& m, const std::string& kid);
};

}  // namespace resolver
