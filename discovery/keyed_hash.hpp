// KeyedHash: HMAC-SHA256 under a secret key, truncated, so the rate limiter can remember which
// identifiers and callers it has seen without keeping them in clear (DESIGN.md §7, §8).
// Thread-safe: each thread hashes with its own copy of the keyed context.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace discovery {

class KeyedHash {
 public:
  // REQUIRES: key is not empty (32 random bytes from Store::secret in production).
  explicit KeyedHash(std::string key);
  ~KeyedHash();
  KeyedHash(const KeyedHash&) = delete;
  KeyedHash& operator=(const KeyedHash&) = delete;

  // The first 64 bits of HMAC-SHA256(key, text). Enough for a per-caller set of at most a few
  // million identifiers: the chance of any collision is below 1e-6.
  std::uint64_t hash64(std::string_view text) const;
  // The first 128 bits, for keys that must not collide across all callers.
  std::array<std::uint8_t, 16> hash128(std::string_view text) const;

 private:
  std::array<std::uint8_t, 32> mac(std::string_view text) const;

  std::string key_;
  const std::uint64_t id_;  // tells this key's per-thread contexts from another instance's
  // EVP_MAC_CTX keyed once; each thread hashes with its own duplicate of it.
  void* template_ = nullptr;
};

}  // namespace discovery
