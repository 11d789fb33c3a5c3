// TokenBucket: one caller's request budget per second (DESIGN.md §7): `rate` units a second up to
// `burst`. A plain value; thread-compatible (the limiter guards it with its shard's mutex).
#pragma once

#include <chrono>

namespace discovery {

class TokenBucket {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;

  // A full bucket at `now`.
  TokenBucket(double rate, double burst, TimePoint now)
      : rate_(rate), burst_(burst), tokens_(burst), last_(now) {}

  // Adds what accrued since the last call (never above burst). Call before the others.
  void refill(TimePoint now);
  // Takes `cost` units; decide() (rate_policy.hpp) says whether a request may.
  // REQUIRES: cost <= tokens().
  void take(double cost) { tokens_ -= cost; }

  double tokens() const { return tokens_; }
  double burst() const { return burst_; }
  bool full() const { return tokens_ >= burst_; }
  // Applies new limits (a caller's role changed), keeping the tokens it has, capped at `burst`.
  void set_limits(double rate, double burst);

 private:
  double rate_;
  double burst_;
  double tokens_;
  TimePoint last_;
};

}  // namespace discovery
