// Prometheus text rendering of the service's counters.
#include "discovery/metrics.hpp"

#include <cstdio>


namespace discovery {
namespace {

// Label values come from fixed tables or peer domains; escape anyway (exposition format 0.0.4).
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') { out += "\\n"; continue; }
    out.push_back(c);
  }
  return out;
}

std::string number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

// One gauge with its HELP and TYPE lines.
void gauge(std::string& o, const char* name, const char* help, std::int64_t value) {
  o += std::string("# HELP ") + name + " " + help + "\n";
  o += std::string("# TYPE ") + name + " gauge\n";
  o += std::string(name) + " " + std::to_string(value) + "\n";
}

}  // namespace

namespace {

// The entry for `key`, created on first use; finding one that exists allocates nothing.
template <class Map>
typename Map::mapped_type& entry(Map& map, std::string_view key) {
  auto it = map.find(key);
  if (it == map.end()) it = map.emplace(std::string(key), typename Map::mapped_type{}).first;
  return it->second;
}

}  // namespace

void Metrics::record_request(std::string_view route, int status, double seconds) {
  auto s = series_.mine();
  RouteStats& r = entry(s->routes, route);
  ++r.by_status[status];
  observe(r.latency, seconds);
}

void Metrics::add(Histogram& into, const Histogram& h) {
  for (std::size_t i = 0; i < kBuckets.size(); ++i) into.counts[i] += h.counts[i];
  into.count += h.count;
  into.sum += h.sum;
}

void Metrics::Series::add(const Series& o) {
  for (const auto& [route, r] : o.routes) {
    RouteStats& into = routes[route];
    for (const auto& [status, n] : r.by_status) into.by_status[status] += n;
    Metrics::add(into.latency, r.latency);
  }
  for (const auto& [k, n] : o.lookups) lookups[k] += n;
  for (const auto& [k, h] : o.peer_calls) Metrics::add(peer_calls[k], h);
  for (const auto& [k, n] : o.peer_cache) peer_cache[k] += n;
  for (const auto& [k, n] : o.rate_limited) rate_limited[k] += n;
  for (const auto& [k, n] : o.shed) shed[k] += n;
}

void Metrics::observe(Histogram& h, double seconds) {
  ++h.count;
  h.sum += seconds;
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++h.counts[i];
      break;
    }
  }
}

void Metrics::render(std::string& o, const std::string& name, const std::string& labels,
                     const Histogram& h) {
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    cumulative += h.counts[i];
    o += name + "_bucket{" + labels + "le=\"" + number(kBuckets[i]) + "\"} " + std::to_string(cumulative) + "\n";
  }
  o += name + "_bucket{" + labels + "le=\"+Inf\"} " + std::to_string(h.count) + "\n";
  std::string bare = labels.empty() ? "" : "{" + labels.substr(0, labels.size() - 1) + "}";
  o += name + "_sum" + bare + " " + number(h.sum) + "\n";
  o += name + "_count" + bare + " " + std::to_string(h.count) + "\n";
}

void Metrics::record_lookup(std::string_view outcome, std::uint64_t n) {
  entry(series_.mine()->lookups, outcome) += n;
}

void Metrics::peer_call(std::string_view domain, resolver::PeerStatus status, double seconds,
                        std::string_view detail) {
  observe(series_.mine()->peer_calls[{std::string(domain), std::string(resolver::peer_status_name(status))}], seconds);
}

void Metrics::peer_cache(std::string_view domain, bool hit) {
  ++series_.mine()->peer_cache[{std::string(domain), hit}];
}

void Metrics::record_rate_limited(std::string_view role, std::string_view code) {
  ++series_.mine()->rate_limited[{std::string(role), std::string(code)}];
}

void Metrics::record_shed(std::string_view route) {
  ++entry(series_.mine()->shed, route);
}

std::string Metrics::render(const std::optional<resolver::Stats>& stats,
                            const std::optional<WorkerLoad>& workers,
                            const std::optional<SharedLimiterState>& limiter) const {
  Series all;
  series_.for_each([&](const Series& shard) { all.add(shard); });
  std::string o;
  o += "# HELP discovery_requests_total HTTP requests by route and status.\n";
  o += "# TYPE discovery_requests_total counter\n";
  for (const auto& [route, r] : all.routes) {
    for (const auto& [status, n] : r.by_status) {
      o += "discovery_requests_total{route=\"" + label(route) + "\",status=\"" + std::to_string(status) +
           "\"} " + std::to_string(n) + "\n";
    }
  }
  o += "# HELP discovery_request_duration_seconds Time from a parsed request to its response.\n";
  o += "# TYPE discovery_request_duration_seconds histogram\n";
  for (const auto& [route, r] : all.routes) {
    render(o, "discovery_request_duration_seconds", "route=\"" + label(route) + "\",", r.latency);
  }
  o += "# HELP discovery_lookups_total Identifiers looked up, by outcome.\n";
  o += "# TYPE discovery_lookups_total counter\n";
  for (const auto& [k, n] : all.lookups) {
    o += "discovery_lookups_total{outcome=\"" + label(k) + "\"} " + std::to_string(n) + "\n";
  }
  o += "# HELP discovery_peer_calls_total Upstream calls to peer DPs, by peer and status (skipped: refused by the circuit breaker).\n";
  o += "# TYPE discovery_peer_calls_total counter\n";
  for (const auto& [k, h] : all.peer_calls) {
    o += "discovery_peer_calls_total{peer=\"" + label(k.first) + "\",status=\"" + label(k.second) +
         "\"} " + std::to_string(h.count) + "\n";
  }
  o += "# HELP discovery_peer_call_duration_seconds Latency of upstream calls to peer DPs, by peer and status.\n";
  o += "# TYPE discovery_peer_call_duration_seconds histogram\n";
  for (const auto& [k, h] : all.peer_calls) {
    render(o, "discovery_peer_call_duration_seconds",
           "peer=\"" + label(k.first) + "\",status=\"" + label(k.second) + "\",", h);
  }
  o += "# HELP discovery_peer_cache_total Federated lookups of one identifier at one peer, by cache result.\n";
  o += "# TYPE discovery_peer_cache_total counter\n";
  for (const auto& [k, n] : all.peer_cache) {
    o += "discovery_peer_cache_total{peer=\"" + label(k.first) + "\",result=\"" + (k.second ? "hit" : "miss") +
         "\"} " + std::to_string(n) + "\n";
  }
  o += "# HELP discovery_rate_limited_total Lookups rejected by the rate limiter, by role and code.\n";
  o += "# TYPE discovery_rate_limited_total counter\n";
  for (const auto& [k, n] : all.rate_limited) {
    o += "discovery_rate_limited_total{role=\"" + label(k.first) + "\",code=\"" + label(k.second) + "\"} " +
         std::to_string(n) + "\n";
  }
  o += "# HELP discovery_shed_total Requests answered 503 because the worker pool was full, by route.\n";
  o += "# TYPE discovery_shed_total counter\n";
  for (const auto& [route, n] : all.shed) {
    o += "discovery_shed_total{route=\"" + label(route) + "\"} " + std::to_string(n) + "\n";
  }
  if (workers) {
    gauge(o, "discovery_worker_queued", "Requests waiting for a worker thread.", workers->queued);
    gauge(o, "discovery_worker_running", "Requests running on worker threads.", workers->running);
  }
  if (limiter) {
    gauge(o, "discovery_rate_limiter_redis_up", "1 while the shared rate limiter's Redis answers, else 0.",
          limiter->reachable ? 1 : 0);
    o += "# HELP discovery_rate_limiter_redis_outages_total Times the shared rate limiter's Redis became unreachable.\n";
    o += "# TYPE discovery_rate_limiter_redis_outages_total counter\n";
    o += "discovery_rate_limiter_redis_outages_total " + std::to_string(limiter->outages) + "\n";
    o += "# HELP discovery_rate_limiter_without_redis_total Limited requests while Redis was unreachable: decided in process, or refused 503.\n";
    o += "# TYPE discovery_rate_limiter_without_redis_total counter\n";
    o += "discovery_rate_limiter_without_redis_total{outcome=\"in_process\"} " + std::to_string(limiter->in_process) + "\n";
    o += "discovery_rate_limiter_without_redis_total{outcome=\"refused\"} " + std::to_string(limiter->refused) + "\n";
  }
  if (stats) {
    gauge(o, "discovery_index_identifiers", "Distinct identifiers with at least one mapping.",
          stats->identifiers);
    gauge(o, "discovery_index_mappings", "Mappings in the index.", stats->mappings);
    gauge(o, "discovery_index_optouts", "Opted-out identifiers.", stats->optouts);
  }
  return o;
}

}  // namespace discovery
