// The token bucket's arithmetic. Times come from the injected Clock's steady reading, so a
// ManualClock drives it in tests.
#include "discovery/token_bucket.hpp"

#include <algorithm>

namespace discovery {

void TokenBucket::refill(TimePoint now) {
  if (now <= last_) return;  // a clock that does not move forward adds nothing
  double elapsed = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
  last_ = now;
}

void TokenBucket::set_limits(double rate, double burst) {
  rate_ = rate;
  burst_ = burst;
  tokens_ = std::min(tokens_, burst_);
}

}  // namespace discovery
