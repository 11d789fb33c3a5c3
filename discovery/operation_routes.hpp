// OperationRoutes: the operations surface (DESIGN.md §4.6): /healthz, /metrics, /openapi.json.
// Never rate limited; they run on the I/O threads so that they answer whatever the worker pool
// is doing. Thread-safe.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

#include "discovery/route.hpp"
#include "discovery/worker_pool.hpp"

namespace discovery {

class OperationRoutes final : public Routes {
 public:
  // `workers` (may be null) is the pool whose load /metrics shows; it must outlive this object.
  OperationRoutes(RouteContext ctx, const WorkerPool* workers) : Routes(ctx), workers_(workers) {}
  Surface surface() override;
  // The URL this server answers on (its --listen, as bound): /openapi.json names it as its server
  // from then on, instead of the document's default http://127.0.0.1:8080.
  void set_base_url(const std::string& url);

 private:
  resolver::Result<Response> healthz(Call& call);
  resolver::Result<Response> metrics(Call& call);

  const WorkerPool* workers_;
  std::mutex stats_mu_;
  std::optional<resolver::Stats> stats_;                           // guarded by stats_mu_
  std::optional<std::chrono::steady_clock::time_point> stats_at_;  // guarded by stats_mu_
  std::mutex openapi_mu_;
  std::string openapi_;  // the served document when set_base_url was called; guarded by openapi_mu_
};

}  // namespace discovery
