// The snapshot's life cycle. Failures are logged and never stop the server: losing budgets after
// a crash is better than refusing lookups because a disk is full.
#include "discovery/budget_snapshotter.hpp"

namespace discovery {

using resolver::Code;
using resolver::Status;

BudgetSnapshotter::BudgetSnapshotter(LocalRateLimiter& limiter, std::string path, Log log)
    : limiter_(limiter), path_(std::move(path)), log_(std::move(log)) {}

BudgetSnapshotter::~BudgetSnapshotter() {
  if (thread_.joinable()) {
    thread_.request_stop();
    wake_.notify_all();
    thread_.join();
  }
  if (limiter_.take_dirty()) {
    if (Status s = save(); !s.ok()) log_(s.message());
  }
}

Status BudgetSnapshotter::load() {
  auto bytes = read_snapshot_file(path_);
  if (!bytes) {
    if (bytes.status().code() == Code::not_found) return Status::Ok();
    log_(bytes.status().message() + " Budgets start empty.");
    return bytes.status();
  }
  auto budgets = decode_snapshot(*bytes);
  if (!budgets) {
    log_(budgets.status().message() + " It is ignored and budgets start empty.");
    return budgets.status();
  }
  limiter_.restore(std::move(*budgets));
  return Status::Ok();
}

Status BudgetSnapshotter::save() {
  std::lock_guard lock(save_mu_);
  return write_snapshot_file(path_, encode_snapshot(limiter_.budgets()));
}

void BudgetSnapshotter::start(std::chrono::milliseconds interval) {
  thread_ = std::jthread([this, interval](std::stop_token stop) { run(stop, interval); });
}

void BudgetSnapshotter::run(std::stop_token stop, std::chrono::milliseconds interval) {
  while (!stop.stop_requested()) {
    {
      std::unique_lock lock(wait_mu_);
      wake_.wait_for(lock, stop, interval, [] { return false; });
    }
    if (stop.stop_requested()) return;  // the destructor writes the last one
    if (!limiter_.take_dirty()) continue;
    if (Status s = save(); !s.ok()) {
      log_(s.message());
      // Try again next time: the state is still unsaved.
      limiter_.mark_dirty();
    }
  }
}

}  // namespace discovery
