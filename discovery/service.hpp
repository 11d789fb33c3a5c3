// Service: the request pipeline of discoveryd over plain Request/Response values. It finds the
// route in the surfaces' tables (route.hpp), then applies, once for every route: the query rule,
// authentication, the role, the handler's first step, the rate limiter, the lane (the I/O thread
// or the worker pool), error rendering in the route's dialect, metrics and the access log
// (docs/ARCHITECTURE.md). It never sees a socket. Thread-safe: handle() may run on any number of
// threads at once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "discovery/config.hpp"
#include "discovery/http.hpp"
#include "discovery/log_buffer.hpp"
#include "discovery/metrics.hpp"
#include "discovery/private_keys.hpp"
#include "resolver/token_cache.hpp"
#include "discovery/route.hpp"
#include "discovery/router.hpp"
#include "discovery/worker_pool.hpp"

namespace discovery {

class OperationRoutes;

class Service {
 public:
  // Builds the route tables and, when config.workers.threads > 0, the worker pool.
  Service(ServiceDeps deps, Config config);
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;
  ~Service();

  // Answers one request on the calling thread, worker-lane routes included (tests, tools).
  // Logs it and counts it. Every response carries X-Request-Id.
  Response handle(const Request& request);

  // Answers one request: `done` is called exactly once, on the calling thread or on a worker
  // thread. Work that may block goes to the worker pool; when the pool is full the answer is
  // 503 unavailable with Retry-After, and nothing is charged. Never throws.
  using Done = std::function<void(Response)>;
  void handle_async(Request request, Done done);

  // The response to a request the transport refused by itself (malformed HTTP, a body or header
  // over its limit, a handler that threw): the JSON error of `status`, logged and counted like
  // any other. `request` may be partly filled.
  Response reject(const Request& request, const resolver::Status& status);

  // Finishes the work the pool accepted and refuses more (later work answers 503). Call after
  // the transport stopped reading and before it is destroyed, so no answer outlives it.
  void stop();

  // A fresh request id: 16 lower-case hex characters.
  static std::string new_request_id();

  const Config& config() const { return config_; }
  // The URL the transport answers on, once bound: /openapi.json names it as its server.
  void set_base_url(const std::string& url);
  // Every route the service answers, by surface (for the documentation test and tools).
  const Router& router() const { return *router_; }
  // Where the federation reports peer calls and cache results for /metrics.
  resolver::FederationObserver& federation_observer() { return metrics_; }

 private:
  struct Job;

  // Steps up to the handler's first one. A response when the request is answered already (no
  // route, a bad query, no credentials, a handler error), nothing charged; nullopt when the job
  // is ready to be charged and run.
  std::optional<Response> prepare(Job& job);
  // prepare() in two steps: find the route (no store call), then authenticate and run the
  // handler's first step (a token lookup may call the store).
  std::optional<Response> route(Job& job);
  std::optional<Response> admit(Job& job);
  // prepare() or admit() with the last-resort catch of STYLE.md: a throw is a 500, logged.
  std::optional<Response> guarded(Job& job, std::optional<Response> (Service::*step)(Job&));
  // Runs the rest of the job on the worker pool (admitting it first unless `admitted`), or sheds
  // it with 503 when the pool is full; nothing is charged for a shed request.
  void offload(std::shared_ptr<Job> job, Done done, bool admitted);
  resolver::Status check_query(const Job& job) const;
  resolver::Status authenticate(Job& job);
  // Charges the limiter, runs the work and renders its answer; logs and counts it.
  Response run(Job& job);
  // `status` as the caller may see it: an unavailable or internal failure keeps its reason for an
  // admin and logs it (with the request id) for anyone else, who gets a plain sentence.
  resolver::Status shown_to_caller(const Job& job, const resolver::Status& status) const;
  // The error response of `status` in the job's dialect; a 429's retry time for dialects that put
  // it in the body (Matrix's retry_after_ms).
  Response error(const Job& job, const resolver::Status& status, std::int64_t retry_after_s = 0) const;
  void finish(const Job& job, Response& response);
  // error() then finish(): a request answered before its work ran.
  Response answer(Job& job, const resolver::Status& status);
  // Reloads the keyring from the store when the last reload is older than a few seconds.
  void refresh_keyring();

  ServiceDeps deps_;
  Config config_;
  Metrics metrics_;
  LogBuffer access_log_;  // stderr, one line per request, written in batches
  resolver::TokenCache tokens_;
  std::unique_ptr<WorkerPool> workers_;  // null: every lane runs on the calling thread
  const bool store_networked_;           // Lane::store runs on the pool (Store::networked())
  std::unique_ptr<WorkerPool> health_workers_;  // Lane::health with a networked store, else null
  std::unique_ptr<PrivateKeys> private_keys_;     // the epochs the private surface serves
  std::vector<std::unique_ptr<Routes>> surfaces_;  // each owns the handlers of one route table
  OperationRoutes* operations_ = nullptr;          // one of surfaces_
  std::unique_ptr<Router> router_;

  std::atomic<std::int64_t> keyring_at_ns_{0};  // steady time of the last reload; claimed by CAS
};

}  // namespace discovery
