// thread_slot(): a small number that names the calling thread for its life (0, 1, 2, ... in the
// order threads first ask). Structures that every request touches keep one shard per slot
// (modulo their shard count), so that threads do not contend on one lock or one cache line.
#pragma once

#include <atomic>
#include <cstddef>

namespace discovery {

inline std::size_t thread_slot() {
  static std::atomic<std::size_t> next{0};
  thread_local const std::size_t slot = next.fetch_add(1, std::memory_order_relaxed);
  return slot;
}

}  // namespace discovery
