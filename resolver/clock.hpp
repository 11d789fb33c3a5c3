// Clock: the seam through which the core reads the time, so tests can move it.
// SystemClock is thread-safe; ManualClock is thread-safe (atomic).
#pragma once

#include <atomic>
#include <chrono>

#include "resolver/mapping.hpp"

namespace resolver {

class Clock {
 public:
  Clock() = default;
  Clock(const Clock&) = delete;
  Clock& operator=(const Clock&) = delete;
  virtual ~Clock() = default;
  // Wall-clock seconds since the epoch.
  virtual UnixTime now() const = 0;
  // A monotonic time point for timeouts and rates.
  virtual std::chrono::steady_clock::time_point steady_now() const = 0;
};

class SystemClock final : public Clock {
 public:
  UnixTime now() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::now();
  }
};

// A clock that only moves when told to. Both readings advance together.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(UnixTime start = 1'800'000'000) : ns_(std::int64_t{start} * 1'000'000'000) {}
  UnixTime now() const override { return ns_.load() / 1'000'000'000; }
  std::chrono::steady_clock::time_point steady_now() const override {
    return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(ns_.load()));
  }
  void advance(std::chrono::nanoseconds d) { ns_ += d.count(); }

 private:
  std::atomic<std::int64_t> ns_;
};

}  // namespace resolver
