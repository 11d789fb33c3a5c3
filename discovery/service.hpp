// Service: the REST API of DESIGN.md §4 over plain Request/Response values: routing, method
// checks, authentication, rate limiting, lookups, admin writes, metrics and the access log.
// It never sees a socket. Thread-safe: handle() may run on any number of threads at once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "discovery/config.hpp"
#include "discovery/http.hpp"
#include "discovery/metrics.hpp"
#include "discovery/query.hpp"
#include "discovery/rate_limiter.hpp"
#include "resolver/clock.hpp"
#include "resolver/keyring.hpp"
#include "resolver/resolver.hpp"
#include "resolver/store.hpp"

namespace discovery {

// What the Service works with; each must outlive it.
struct ServiceDeps {
  resolver::Store& store;
  resolver::Keyring& keyring;  // REQUIRES: loaded
  resolver::Resolver& resolver;
  RateLimiter& limiter;
  const resolver::Clock& clock;
};

class Service {
 public:
  Service(ServiceDeps deps, Config config);
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Answers one request; logs it and counts it. Every response carries X-Request-Id.
  Response handle(const Request& request);

  // The response to a request the transport refused by itself (malformed HTTP, a body or header
  // over its limit, a handler that threw): the JSON error of `status`, logged and counted like
  // any other. `request` may be partly filled.
  Response reject(const Request& request, const resolver::Status& status);

  // A fresh request id: 16 lower-case hex characters.
  static std::string new_request_id();

  const Config& config() const { return config_; }
  // Where the federation reports peer calls and cache results for /metrics.
  resolver::FederationObserver& federation_observer() { return metrics_; }

 private:
  // One request being handled.
  struct Call {
    const Request& request;
    std::string request_id;
    Target target;
    resolver::Role role = resolver::Role::anonymous;
    std::optional<std::string> token_id;  // the presented token's public id
    std::string caller;                   // caller_key() for the rate limiter and the log
  };
  using Handler = Response (Service::*)(Call&);
  struct Route;

  resolver::Status authenticate(Call& call);
  void finish(const Call& call, std::string_view route, Response& response,
              std::chrono::steady_clock::time_point start);

  // Lookups (lookup_routes.cpp).
  Response get_lookup(Call& call);
  Response post_lookup(Call& call);
  Response well_known(Call& call);
  // Asks the limiter (filling `decision`); the 429 response when it says no, else nullopt.
  std::optional<Response> admit(Call& call, std::size_t cost,
                                std::span<const std::string> canonical, RateDecision& decision);
  void count_result(const resolver::LookupResult& r);

  // Admin writes (admin_routes.cpp).
  Response put_mappings(Call& call);
  Response delete_mappings(Call& call);
  Response post_optout(Call& call);
  Response delete_optout(Call& call);

  // Operations (service.cpp).
  Response healthz(Call& call);
  Response metrics(Call& call);
  Response openapi(Call& call);
  // Reloads the keyring from the store when the last reload is older than a few seconds.
  void refresh_keyring();

  static const Route kRoutes[];

  // The request body as a JSON object; invalid_request when it is not one.
  static resolver::Result<nlohmann::json> parse_body(const Request& request);

  ServiceDeps deps_;
  Config config_;
  Metrics metrics_;

  std::mutex stats_mu_;
  std::optional<resolver::Stats> stats_;                // guarded by stats_mu_
  std::optional<std::chrono::steady_clock::time_point> stats_at_;  // guarded by stats_mu_

  std::atomic<std::int64_t> keyring_at_ns_{0};  // steady time of the last reload; claimed by CAS
};

}  // namespace discovery
