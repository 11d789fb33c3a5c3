// PrivateRefresher: a timed loop around PrivateIndex::refresh. A failure is logged when it first
// happens and when it clears, not every pass; the next pass retries.
#include "discovery/private_refresher.hpp"

#include <unistd.h>

#include <random>

namespace discovery {

namespace {

std::string lease_name() {
  char host[256] = {};
  (void)gethostname(host, sizeof host - 1);  // ignored: the random suffix alone is unique enough
  std::random_device rd;
  return std::string(host) + "/" + std::to_string(getpid()) + "/" + std::to_string(rd());
}

}  // namespace

PrivateRefresher::PrivateRefresher(resolver::PrivateIndex& index, std::chrono::milliseconds interval,
                                   Log log)
    : index_(index), interval_(interval), log_(std::move(log)), holder_(lease_name()) {}

PrivateRefresher::~PrivateRefresher() {
  if (thread_.joinable()) {
    thread_.request_stop();
    wake_.notify_all();
    thread_.join();
  }
}

void PrivateRefresher::start() {
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

void PrivateRefresher::run(std::stop_token stop) {
  std::string failing;  // the last failure logged, until a pass succeeds
  while (!stop.stop_requested()) {
    auto report = index_.refresh(holder_);
    if (!report) {
      // No private index (an SQLite file older than this build is migrated, so this is a store
      // without one): nothing to refresh, quietly.
      if (report.status().code() != resolver::Code::failed_precondition &&
          report.status().message() != failing) {
        failing = report.status().message();
        log_(log::Level::warning, "the private index could not be refreshed: " + failing);
      }
    } else {
      if (!failing.empty()) log_(log::Level::info, "the private index is refreshed again");
      failing.clear();
      for (const auto& key_id : report->dropped) log_(log::Level::info, "private epoch " + key_id + " retired after its grace period");
    }
    std::unique_lock lock(wait_mu_);
    wake_.wait_for(lock, stop, interval_, [] { return false; });
  }
}

}  // namespace discovery
