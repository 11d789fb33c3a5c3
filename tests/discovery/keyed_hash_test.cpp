// Unit tests of the keyed hash: RFC 4231 HMAC-SHA256 vectors, several keys in one thread, and
// several threads on one key.
#include "discovery/keyed_hash.hpp"

#include <doctest/doctest.h>

#include <thread>
#include <vector>

TEST_CASE("KeyedHash: RFC 4231 test case 2, truncated to 64 and 128 bits") {
  discovery::KeyedHash h("Jefe");
  // HMAC-SHA256 = 5bdcc146bf60754e 6a042426089575c7 5a003f08...; hash64 reads little-endian.
  CHECK(h.hash64("what do ya want for nothing?") == 0x4e7560bf46c1dc5bULL);
  auto v = h.hash128("what do ya want for nothing?");
  CHECK(v[0] == 0x5b);
  CHECK(v[8] == 0x6a);
  CHECK(v[15] == 0xc7);
  CHECK(h.hash64("what do ya want for nothing?") == 0x4e7560bf46c1dc5bULL);  // context reused
}

TEST_CASE("KeyedHash: instances with different keys alternate in one thread") {
  discovery::KeyedHash a("key a"), b("key b");
  std::uint64_t a1 = a.hash64("tel:+14155552671"), b1 = b.hash64("tel:+14155552671");
  CHECK(a1 != b1);
  for (int i = 0; i < 3; ++i) {
    CHECK(a.hash64("tel:+14155552671") == a1);
    CHECK(b.hash64("tel:+14155552671") == b1);
  }
}

TEST_CASE("KeyedHash: threads agree") {
  discovery::KeyedHash h("k");
  const std::uint64_t want = h.hash64("mailto:alice@example.com");
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) ok[t] += h.hash64("mailto:alice@example.com") == want;
    });
  }
  for (auto& t : threads) t.join();
  for (int n : ok) CHECK(n == 1000);
}
