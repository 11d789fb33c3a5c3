// Unit tests of the Prometheus rendering.
#include "discovery/metrics.hpp"

#include <doctest/doctest.h>

TEST_CASE("metrics: counters, cumulative histogram buckets and index gauges") {
  discovery::Metrics m;
  m.record_request("/v1/lookup", 200, 0.002);
  m.record_request("/v1/lookup", 200, 0.3);
  m.record_request("other", 404, 0.0001);
  m.record_lookup("found", 3);
  m.peer_call("dp2.example", resolver::PeerStatus::timeout, 0.8, "The peer did not answer within 800 ms.");
  m.peer_cache("dp2.example", true);
  m.record_rate_limited("anonymous", "rate_limited");
  resolver::Stats stats;
  stats.mappings = 7;
  std::string text = m.render(stats);
  auto has = [&](const std::string& line) { return text.find(line + "\n") != std::string::npos; };
  CHECK(has("discovery_requests_total{route=\"/v1/lookup\",status=\"200\"} 2"));
  CHECK(has("discovery_requests_total{route=\"other\",status=\"404\"} 1"));
  CHECK(has("discovery_request_duration_seconds_bucket{route=\"/v1/lookup\",le=\"0.001\"} 0"));
  CHECK(has("discovery_request_duration_seconds_bucket{route=\"/v1/lookup\",le=\"0.0025\"} 1"));
  CHECK(has("discovery_request_duration_seconds_bucket{route=\"/v1/lookup\",le=\"0.5\"} 2"));
  CHECK(has("discovery_request_duration_seconds_bucket{route=\"/v1/lookup\",le=\"+Inf\"} 2"));
  CHECK(has("discovery_request_duration_seconds_count{route=\"/v1/lookup\"} 2"));
  CHECK(has("discovery_lookups_total{outcome=\"found\"} 3"));
  CHECK(has("discovery_peer_calls_total{peer=\"dp2.example\",status=\"timeout\"} 1"));
  CHECK(has("discovery_peer_cache_total{peer=\"dp2.example\",result=\"hit\"} 1"));
  CHECK(has("discovery_rate_limited_total{role=\"anonymous\",code=\"rate_limited\"} 1"));
  CHECK(has("discovery_index_mappings 7"));
  CHECK(m.render(std::nullopt).find("discovery_index_mappings") == std::string::npos);
}
