// CircuitBreaker: closed -> open after N failures in a row -> half-open (one probe) -> closed/open.
#include "resolver/circuit_breaker.hpp"

namespace resolver {

CircuitBreaker::CircuitBreaker(int failures, std::chrono::milliseconds cool_down)
    : failures_(failures < 1 ? 1 : failures), cool_down_(cool_down) {}

bool CircuitBreaker::allow(const std::string& peer, TimePoint now) {
  std::lock_guard lock(mu_);
  State& s = peers_[peer];
  if (s.consecutive < failures_) return true;
  if (now < s.open_until || s.probing) return false;
  s.probing = true;
  return true;
}

void CircuitBreaker::record(const std::string& peer, bool failed, TimePoint now) {
  std::lock_guard lock(mu_);
  State& s = peers_[peer];
  s.probing = false;
  if (!failed) {
    s.consecutive = 0;
    return;
  }
  if (++s.consecutive >= failures_) s.open_until = now + cool_down_;
}

}  // namespace resolver
