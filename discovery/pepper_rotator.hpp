// PepperRotator: discoveryd's timer for the Matrix lookup pepper (DESIGN.md §11). At start it makes
// the first pepper when the index has none; then, every second, it rotates the pepper once it is
// matrix.pepper_rotation_s old (a conditional insert in the store, so several nodes rotate once)
// and drops the hashes of peppers retired longer than matrix.pepper_grace_s ago. Thread-safe; one
// background thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "discovery/config.hpp"
#include "discovery/log.hpp"
#include "resolver/clock.hpp"
#include "resolver/store.hpp"

namespace discovery {

class PepperRotator {
 public:
  // One sentence per event, at its level: info for a pepper made or rotated, warning for a failure.
  using Log = std::function<void(log::Level level, const std::string& sentence)>;

  // REQUIRES: store and clock outlive this object. `log` receives one sentence per event.
  PepperRotator(resolver::Store& store, const resolver::Clock& clock, MatrixConfig config, Log log);
  ~PepperRotator();  // stops the thread
  PepperRotator(const PepperRotator&) = delete;
  PepperRotator& operator=(const PepperRotator&) = delete;

  // One round: makes the first pepper, rotates a due one, drops expired hashes. Reads only when
  // nothing is due. The store's failure when it cannot be read or written.
  resolver::Status tick();
  // Runs tick() every `interval` on a thread of its own; failures are logged, once per change.
  void start(std::chrono::milliseconds interval);

 private:
  void run(std::stop_token stop, std::chrono::milliseconds interval);

  resolver::Store& store_;
  const resolver::Clock& clock_;
  const MatrixConfig config_;
  const Log log_;
  std::mutex wait_mu_;  // for the thread's timed wait only
  std::condition_variable_any wake_;
  std::jthread thread_;
};

}  // namespace discovery
