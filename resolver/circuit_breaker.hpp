// CircuitBreaker: stops calling a peer that keeps failing (DESIGN.md §5). After `failures`
// consecutive failures a peer is skipped for `cool_down`; then one probe call is let through, and
// its outcome closes the breaker or opens it again. Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

namespace resolver {

class CircuitBreaker {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  CircuitBreaker(int failures, std::chrono::milliseconds cool_down);
  CircuitBreaker(const CircuitBreaker&) = delete;
  CircuitBreaker& operator=(const CircuitBreaker&) = delete;

  // True when `peer` may be called at `now`. While open, false; once the cool-down has passed,
  // true for exactly one caller (the probe) until that probe's outcome is recorded.
  bool allow(const std::string& peer, TimePoint now);
  // Records the outcome of a call that allow() let through.
  void record(const std::string& peer, bool failed, TimePoint now);

 private:
  struct State {
    int consecutive = 0;
    TimePoint open_until{};
    bool probing = false;
  };
  const int failures_;
  const std::chrono::milliseconds cool_down_;
  std::mutex mu_;
  std::map<std::string, State> peers_;  // guarded by mu_
};

}  // namespace resolver
