// TokenCache: authenticate_token with the answer for a live token kept for a short time, so that
// a request with a bearer token costs no index read. A token revoked (or an index replaced) is
// refused within `max_age` of the commit. Unknown and revoked tokens are never cached: each
// costs a read, as before. Entries are keyed by the SHA-256 of the secret, never the secret.
// Thread-safe.
#pragma once

#include <chrono>
#include <string_view>

#include "resolver/clock.hpp"
#include "resolver/sharded_lru.hpp"
#include "resolver/store.hpp"

namespace resolver {

class TokenCache {
 public:
  TokenCache(Store& store, const Clock& clock, std::chrono::milliseconds max_age, std::size_t capacity);

  // As authenticate_token(store, secret).
  Result<TokenInfo> authenticate(std::string_view secret);

 private:
  struct Entry {
    TokenInfo info;
    std::chrono::steady_clock::time_point read_at;
  };
  Store& store_;
  const Clock& clock_;
  const std::chrono::milliseconds max_age_;
  ShardedLru<Entry> cache_;
};

}  // namespace resolver
