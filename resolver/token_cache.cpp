// The short-lived cache of live API tokens (see token_cache.hpp).
#include "resolver/token_cache.hpp"

#include "resolver/api_token.hpp"

namespace resolver {

TokenCache::TokenCache(Store& store, const Clock& clock, std::chrono::milliseconds max_age,
                       std::size_t capacity)
    : store_(store), clock_(clock), max_age_(max_age), cache_(capacity) {}

Result<TokenInfo> TokenCache::authenticate(std::string_view secret) {
  const std::string hash = hash_token_secret(secret);
  const auto now = clock_.steady_now();
  if (auto hit = cache_.get(hash); hit && now - hit->read_at < max_age_) return hit->info;
  auto token = authenticate_token_hash(store_, hash);  // the secret is hashed once
  if (token) cache_.put(hash, {*token, now});
  return token;
}

}  // namespace resolver
