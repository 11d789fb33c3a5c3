// The pepper timer: decides from a read of the peppers whether anything is due, so an idle round
// takes no write lock, then lets the store's conditional rotation settle races between nodes.
#include "discovery/pepper_rotator.hpp"

#include <limits>

namespace discovery {

using resolver::Status;
using resolver::UnixTime;

PepperRotator::PepperRotator(resolver::Store& store, const resolver::Clock& clock, MatrixConfig config, Log log)
    : store_(store), clock_(clock), config_(config), log_(std::move(log)) {}

PepperRotator::~PepperRotator() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

Status PepperRotator::tick() {
  const UnixTime now = clock_.now();
  auto peppers = store_.peppers();
  if (!peppers) return peppers.status();
  const bool has_current = !peppers->empty() && !peppers->front().retired_at;
  if (!has_current) {
    // The first pepper (or a current one again): only when none is current.
    auto made = store_.rotate_pepper(now, std::numeric_limits<UnixTime>::min());
    if (!made) return made.status();
    if (*made) log_(log::Level::info, "made the Matrix lookup pepper");
  } else if (config_.pepper_rotation_s > 0 && peppers->front().created_at + config_.pepper_rotation_s <= now) {
    auto rotated = store_.rotate_pepper(now, now - config_.pepper_rotation_s);
    if (!rotated) return rotated.status();
    if (*rotated) log_(log::Level::info, "rotated the Matrix lookup pepper");
  }
  bool expired = false;
  for (const resolver::Pepper& p : *peppers)
    expired = expired || (p.retired_at && *p.retired_at + config_.pepper_grace_s <= now);
  if (expired) {
    auto dropped = store_.drop_pepper_hashes(now - config_.pepper_grace_s);
    if (!dropped) return dropped.status();
  }
  return Status::Ok();
}

void PepperRotator::start(std::chrono::milliseconds interval) {
  thread_ = std::jthread([this, interval](std::stop_token stop) { run(stop, interval); });
}

void PepperRotator::run(std::stop_token stop, std::chrono::milliseconds interval) {
  std::string last_failure;
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(wait_mu_);
      wake_.wait_for(lock, stop, interval, [] { return false; });
    }
    if (stop.stop_requested()) return;
    Status s = tick();
    // One line per new failure, not one a second while the store is down.
    if (!s.ok() && s.message() != last_failure) log_(log::Level::warning, "the pepper timer failed: " + s.message());
    last_failure = s.ok() ? "" : s.message();
  }
}

}  // namespace discovery
