// PrivateRefresher: discoveryd's thread that keeps the private index following writes (DESIGN.md
// §12): every half private.refresh_s it runs one PrivateIndex::refresh under this node's lease
// name, so with several nodes one at a time does the work. Thread-safe: start once, stop by
// destruction.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

#include "discovery/log.hpp"
#include "resolver/private_index.hpp"

namespace discovery {

class PrivateRefresher {
 public:
  // One sentence per event, at its level: warning for a failing refresh, info otherwise.
  using Log = std::function<void(log::Level level, const std::string& sentence)>;

  // REQUIRES: `index` outlives this object.
  PrivateRefresher(resolver::PrivateIndex& index, std::chrono::milliseconds interval, Log log);
  ~PrivateRefresher();  // stops the thread, waiting for a pass in progress
  PrivateRefresher(const PrivateRefresher&) = delete;
  PrivateRefresher& operator=(const PrivateRefresher&) = delete;

  void start();

 private:
  void run(std::stop_token stop);

  resolver::PrivateIndex& index_;
  const std::chrono::milliseconds interval_;
  const Log log_;
  const std::string holder_;  // this process's lease name
  std::mutex wait_mu_;
  std::condition_variable_any wake_;
  std::jthread thread_;
};

}  // namespace discovery
