// thread_slot(): a small number that names the calling thread for its life (0, 1, 2, ... in the
// order threads first ask). ThreadShards<T, N>: N values of T, each under its own lock on its own
// cache line, a thread using the one of its slot; for state that every request touches (metrics,
// the access log), so that threads do not contend on one lock or one cache line. Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <mutex>

namespace discovery {

inline std::size_t thread_slot() {
  static std::atomic<std::size_t> next{0};
  thread_local const std::size_t slot = next.fetch_add(1, std::memory_order_relaxed);
  return slot;
}

template <class T, std::size_t N>
class ThreadShards {
  struct alignas(64) Shard {
    std::mutex mu;
    T value;  // guarded by mu
  };

 public:
  // The calling thread's value, locked while this lives.
  class Locked {
   public:
    explicit Locked(Shard& s) : lock_(s.mu), value_(s.value) {}
    T& operator*() { return value_; }
    T* operator->() { return &value_; }

   private:
    std::lock_guard<std::mutex> lock_;
    T& value_;
  };
  Locked mine() { return Locked(shards_[thread_slot() % N]); }

  // Calls f(T&) for every shard, under its lock.
  template <class F>
  void for_each(F f) {
    for (Shard& s : shards_) {
      std::lock_guard lock(s.mu);
      f(s.value);
    }
  }

 private:
  std::array<Shard, N> shards_;
};

}  // namespace discovery
