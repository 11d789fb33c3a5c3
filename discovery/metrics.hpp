// Metrics: the counters and histograms behind GET /metrics, rendered in the Prometheus text
// exposition format 0.0.4 (DESIGN.md §4.6). Thread-safe: each thread counts into its own shard
// (thread_slot()), under that shard's lock, which no other thread takes but render(); render()
// adds the shards up. So no lock is shared by every request.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "discovery/rate_limiter.hpp"
#include "discovery/thread_slot.hpp"
#include "resolver/federation.hpp"
#include "resolver/store.hpp"

namespace discovery {

class Metrics final : public resolver::FederationObserver {
 public:
  Metrics() = default;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // `route` is a route template from the routing table or "other": never a raw path.
  void record_request(std::string_view route, int status, double seconds);
  // outcome: found, not_found, opted_out or invalid_identifier.
  void record_lookup(std::string_view outcome, std::uint64_t n = 1);
  // Upstream peer calls by peer and status (DESIGN.md §4.1 peer statuses), with their latency,
  // and peer answer cache hits and misses (FederationObserver). `detail` is not counted: it is
  // for logs and answers, and a label per sentence would multiply the series.
  void peer_call(std::string_view domain, resolver::PeerStatus status, double seconds,
                 std::string_view detail) override;
  void peer_cache(std::string_view domain, bool hit) override;
  // role: the caller's role name; code: rate_limited or quota_exceeded.
  void record_rate_limited(std::string_view role, std::string_view code);

  // A request answered 503 because the worker pool was full (route: its template).
  void record_shed(std::string_view route);

  // The worker pool's load at render time.
  struct WorkerLoad {
    std::size_t queued = 0;
    std::size_t running = 0;
  };
  // The whole exposition; `stats` adds the index size gauges, `workers` the pool's, `limiter` the
  // shared rate limiter's (DESIGN.md §10), when present.
  std::string render(const std::optional<resolver::Stats>& stats,
                     const std::optional<WorkerLoad>& workers = std::nullopt,
                     const std::optional<SharedLimiterState>& limiter = std::nullopt) const;

 private:
  static constexpr std::array<double, 12> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,   0.25,   0.5,   1,    2.5,   5};
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> counts{};  // non-cumulative
    std::uint64_t count = 0;
    double sum = 0;
  };
  static void observe(Histogram& h, double seconds);
  // Appends the _bucket, _sum and _count lines of `name`; `labels` is `a="b",` or empty.
  static void render(std::string& o, const std::string& name, const std::string& labels,
                     const Histogram& h);

  struct RouteStats {
    std::map<int, std::uint64_t> by_status;
    Histogram latency;
  };
  // Every series of one shard. Maps with std::less<> find by string_view, so a series that
  // exists costs no allocation.
  struct Series {
    std::map<std::string, RouteStats, std::less<>> routes;
    std::map<std::string, std::uint64_t, std::less<>> lookups;
    std::map<std::pair<std::string, std::string>, Histogram> peer_calls;
    std::map<std::pair<std::string, bool>, std::uint64_t> peer_cache;
    std::map<std::pair<std::string, std::string>, std::uint64_t> rate_limited;
    std::map<std::string, std::uint64_t, std::less<>> shed;
    void add(const Series& other);
  };
  static void add(Histogram& into, const Histogram& h);

  mutable ThreadShards<Series, 8> series_;
};

}  // namespace discovery
