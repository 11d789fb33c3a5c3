// The token bucket's arithmetic. Times come from the injected Clock's steady reading, so a
// ManualClock drives it in tests.
#include "discovery/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace discovery {

void TokenBucket::refill(TimePoint now) {
  if (now <= last_) return;  // a clock that does not move forward adds nothing
  double elapsed = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
  last_ = now;
}

std::int64_t TokenBucket::seconds_until(double cost) const {
  if (cost <= tokens_) return 0;
  // A tiny epsilon keeps 1.0000000001 s from rounding to 2 after floating-point drift.
  return static_cast<std::int64_t>(std::ceil((cost - tokens_) / rate_ - 1e-9));
}

void TokenBucket::set_limits(double rate, double burst) {
  rate_ = rate;
  burst_ = burst;
  tokens_ = std::min(tokens_, burst_);
}

}  // namespace discovery
