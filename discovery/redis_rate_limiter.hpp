// RedisRateLimiter: the RateLimiter of DESIGN.md §10 whose counters live in Redis, shared by every
// discoveryd node. One script call per request checks and charges the caller's token bucket and
// distinct budget atomically; the policy is decide() (rate_policy.hpp), as in process. While Redis
// is unreachable it follows rate_limits.redis_failure and retries with backoff. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "discovery/config.hpp"
#include "discovery/keyed_hash.hpp"
#include "discovery/local_rate_limiter.hpp"
#include "discovery/rate_limiter.hpp"
#include "discovery/redis_connection_pool.hpp"
#include "resolver/clock.hpp"

namespace discovery {

class RedisRateLimiter final : public RateLimiter {
 public:
  struct Options {
    RedisConnectionPool::Options redis;
    // true: the script reads Redis's clock (TIME), one clock for every node (production).
    // false: the time comes from `clock`, so that a test with a ManualClock gets exactly the
    // decisions of LocalRateLimiter on the same clock.
    bool server_time = true;
    std::chrono::milliseconds min_backoff{250};  // first retry after Redis became unreachable
    std::chrono::milliseconds max_backoff{4000};
  };
  using Log = std::function<void(const std::string& sentence)>;

  // `secret` keys the hashes of callers and identifiers in Redis keys (Store::secret, the same on
  // every node). Connects nothing yet. REQUIRES: clock outlives the limiter.
  RedisRateLimiter(const RateLimits& limits, std::string secret, const resolver::Clock& clock,
                   Options options, Log log);

  // Connects and reads maxmemory-policy: logs a warning when Redis may evict keys (limits would
  // silently reset), or that Redis is unreachable (the node starts in its redis_failure mode).
  void start();

  // One script call: the caller's counters are read, decide() applied, and charged when it
  // admits. Redis unreachable: 503 unavailable with Retry-After for roles with a distinct budget
  // when redis_failure is closed; else the in-process limiter decides.
  RateDecision admit(const RateRequest& request) override;
  std::optional<SharedLimiterState> shared_state() const override;

  // The Redis keys of a caller (its bucket and its budget): a keyed hash, never the caller key.
  std::pair<std::string, std::string> keys_of(const std::string& caller) const;

 private:
  // The script's reply as counters; `admitted` says whether it charged.
  struct ScriptResult {
    bool admitted = false;
    RateCounters counters;
  };
  resolver::Result<ScriptResult> run_script(const RateRequest& request, const RoleLimits& l);
  // True when Redis may be tried now: it is up, or its backoff ended and this thread won the probe.
  bool may_try();
  void mark_down(const resolver::Status& why);
  void mark_up();
  RateDecision without_redis(const RateRequest& request, const RoleLimits& l);
  std::int64_t steady_ns() const;

  const RateLimits limits_;
  const KeyedHash hash_;
  const resolver::Clock& clock_;
  const Options options_;
  const Log log_;
  const resolver::UnixTime wall_at_start_;                       // for server_time == false
  const std::chrono::steady_clock::time_point steady_at_start_;  // likewise
  RedisConnectionPool pool_;
  LocalRateLimiter local_;  // the in-process counters used while Redis is unreachable

  // 0 while Redis is up; else the steady time (ns) of the next try. Claimed by CAS.
  std::atomic<std::int64_t> retry_at_ns_{0};
  std::mutex backoff_mu_;
  std::chrono::milliseconds backoff_;  // guarded by backoff_mu_
  std::atomic<std::uint64_t> outages_{0}, in_process_{0}, refused_{0};
};

}  // namespace discovery
