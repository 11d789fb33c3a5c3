// BudgetSnapshotter: keeps the LocalRateLimiter's budgets in a snapshot file so that they survive
// a restart (DESIGN.md §7): loads it at start, rewrites it every few seconds when a budget
// changed, and once more when destroyed (graceful shutdown). Thread-safe; one background thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "discovery/local_rate_limiter.hpp"
#include "resolver/status.hpp"

namespace discovery {

class BudgetSnapshotter {
 public:
  using Log = std::function<void(const std::string& sentence)>;

  // REQUIRES: limiter outlives this object. `log` receives one sentence per problem.
  BudgetSnapshotter(LocalRateLimiter& limiter, std::string path, Log log);
  // Stops the thread (if started) and writes a last snapshot when a budget changed.
  ~BudgetSnapshotter();
  BudgetSnapshotter(const BudgetSnapshotter&) = delete;
  BudgetSnapshotter& operator=(const BudgetSnapshotter&) = delete;

  // Restores the budgets in the file. OK when there is none (a first start); a file that cannot
  // be read or is corrupt returns its Status after logging it, and nothing is restored: the
  // limiter starts empty rather than refusing to serve.
  resolver::Status load();
  // Writes the snapshot now, atomically. unavailable when the file cannot be written.
  resolver::Status save();
  // Starts writing every `interval` while a budget changed.
  void start(std::chrono::milliseconds interval);

 private:
  void run(std::stop_token stop, std::chrono::milliseconds interval);

  LocalRateLimiter& limiter_;
  const std::string path_;
  const Log log_;
  std::mutex save_mu_;  // serialises save(): the thread and the destructor may both write
  std::mutex wait_mu_;  // for the thread's timed wait only
  std::condition_variable_any wake_;
  std::jthread thread_;
};

}  // namespace discovery
