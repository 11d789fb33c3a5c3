// The operations routes.
#include "discovery/operation_routes.hpp"

#include <nlohmann/json.hpp>

#include "schema/embedded.hpp"

namespace discovery {

using resolver::Code;
using resolver::Result;
using resolver::Status;

namespace {
// How long the index size shown by /metrics may be stale: counting a large index is not free.
constexpr auto kStatsMaxAge = std::chrono::seconds(5);
}  // namespace

Surface OperationRoutes::surface() {
  return {"operations", Dialect::mimi,
          {{.method = "GET", .path = "/healthz", .lane = Lane::health, .handler = bind(&OperationRoutes::healthz)},
           {.method = "GET", .path = "/metrics", .lane = Lane::store, .handler = bind(&OperationRoutes::metrics)},
           {.method = "GET", .path = "/openapi.json", .handler = respond([this](Call&) -> Result<Response> {
              std::lock_guard lock(openapi_mu_);
              return json_response(openapi_.empty() ? std::string(schema::openapi_json()) : openapi_);
            })}}};
}

void OperationRoutes::set_base_url(const std::string& url) {
  auto doc = nlohmann::json::parse(schema::openapi_json(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return;  // the embedded document is checked by the tests; keep it as is
  doc["servers"] = nlohmann::json::array({{{"url", url}}});
  std::lock_guard lock(openapi_mu_);
  openapi_ = doc.dump(1);
}

Result<Response> OperationRoutes::healthz(Call&) {
  if (!ctx_.deps.store.check().ok()) return Status(Code::unavailable, "The index cannot be read.");
  return json_response(R"({"status":"ok"})");
}

Result<Response> OperationRoutes::metrics(Call&) {
  std::optional<resolver::Stats> stats;
  {
    std::lock_guard lock(stats_mu_);
    auto now = ctx_.deps.clock.steady_now();
    if (!stats_at_ || now - *stats_at_ >= kStatsMaxAge) {
      auto fresh = ctx_.deps.store.stats();
      if (fresh) stats_ = *fresh;
      stats_at_ = now;
    }
    stats = stats_;
  }
  std::optional<Metrics::WorkerLoad> load;
  if (workers_) load = Metrics::WorkerLoad{workers_->queued(), workers_->running()};
  Response r = json_response(ctx_.metrics.render(stats, load, ctx_.deps.limiter.shared_state()));
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  return r;
}

}  // namespace discovery
