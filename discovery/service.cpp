// Routing, authentication, the access log and the operational routes of the REST API.
#include "discovery/service.hpp"

#include <cctype>
#include <cstdio>
#include <random>
#include <string>

#include "resolver/api_token.hpp"
#include "schema/embedded.hpp"

namespace discovery {

using resolver::Code;
using resolver::Role;
using resolver::Status;

struct Service::Route {
  std::string_view path;
  std::string_view method;
  Handler handler;
  bool admin;  // needs the admin role (DESIGN.md §4.5)
};

// The one routing table. A path listed with several methods answers 405 to any other method.
const Service::Route Service::kRoutes[] = {
    {"/v1/lookup", "GET", &Service::get_lookup, false},
    {"/v1/lookup", "POST", &Service::post_lookup, false},
    {"/.well-known/mimi-discovery", "GET", &Service::well_known, false},
    {"/v1/admin/mappings", "PUT", &Service::put_mappings, true},
    {"/v1/admin/mappings", "DELETE", &Service::delete_mappings, true},
    {"/v1/admin/optout", "POST", &Service::post_optout, true},
    {"/v1/admin/optout", "DELETE", &Service::delete_optout, true},
    {"/healthz", "GET", &Service::healthz, false},
    {"/metrics", "GET", &Service::metrics, false},
    {"/openapi.json", "GET", &Service::openapi, false},
};

namespace {

// How long the index size shown by /metrics and the keyring snapshot may be stale.
constexpr auto kStatsMaxAge = std::chrono::seconds(5);
constexpr auto kKeyringMaxAge = std::chrono::seconds(10);

// A client-supplied X-Request-Id is kept when it is short and plain (it goes into the log).
bool is_plain_request_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

std::string_view known_method(std::string_view m) {
  for (std::string_view k : {"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"}) {
    if (m == k) return k;
  }
  return "OTHER";
}

}  // namespace

Service::Service(ServiceDeps deps, Config config) : deps_(deps), config_(std::move(config)) {
  // The keyring is loaded by the caller (REQUIRES); the next reload is due after kKeyringMaxAge.
  keyring_at_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       deps_.clock.steady_now().time_since_epoch()).count();
}

std::string Service::new_request_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

Response Service::handle(const Request& request) {
  auto start = std::chrono::steady_clock::now();
  Call call{request, request.request_id, {}, Role::anonymous, std::nullopt, {}};
  if (call.request_id.empty()) {
    auto sent = request.header("X-Request-Id");
    call.request_id = sent && is_plain_request_id(*sent) ? std::string(*sent) : new_request_id();
  }
  std::string_view route = "other";
  Response response;
  auto target = parse_target(request.target);
  if (!target) {
    response = error_response(target.status(), call.request_id);
  } else {
    call.target = std::move(*target);
    const Route* path_match = nullptr;
    const Route* match = nullptr;
    std::string allow;
    for (const Route& r : kRoutes) {
      if (r.path != call.target.path) continue;
      path_match = &r;
      allow += (allow.empty() ? "" : ", ") + std::string(r.method);
      if (r.method == request.method) match = &r;
    }
    if (path_match) route = path_match->path;
    if (!path_match) {
      response = error_response(Status(Code::not_found, "No such route; the API lives under /v1 (see /openapi.json)."),
                                call.request_id);
    } else if (!match) {
      response = error_response(Status(Code::method_not_allowed, "This route accepts " + allow + " only."),
                                call.request_id);
      response.headers.emplace_back("Allow", allow);
    } else if (Status s = authenticate(call); !s.ok()) {
      response = error_response(s, call.request_id);
    } else if (match->admin && call.role != Role::admin) {
      Status denied = call.token_id
                          ? Status(Code::forbidden, "This route needs a token with the admin role.")
                          : Status(Code::unauthorized, "This route needs an admin token: send Authorization: Bearer <token>.");
      response = error_response(denied, call.request_id);
    } else {
      refresh_keyring();
      response = (this->*(match->handler))(call);
    }
  }
  finish(call, route, response, start);
  return response;
}

Response Service::reject(const Request& request, const Status& status) {
  auto start = std::chrono::steady_clock::now();
  Call call{request, request.request_id.empty() ? new_request_id() : request.request_id, {}, Role::anonymous, std::nullopt, {}};
  Response response = error_response(status, call.request_id);
  response.close = true;
  finish(call, "other", response, start);
  return response;
}

Status Service::authenticate(Call& call) {
  auto header = call.request.header("Authorization");
  if (header) {
    std::string_view h = *header;
    constexpr std::string_view kScheme = "bearer ";
    bool bearer = h.size() > kScheme.size();
    for (std::size_t i = 0; bearer && i < kScheme.size(); ++i) {
      bearer = std::tolower(static_cast<unsigned char>(h[i])) == kScheme[i];
    }
    if (!bearer) {
      return Status(Code::unauthorized, "The Authorization header must be \"Bearer <token>\".");
    }
    h.remove_prefix(kScheme.size());
    while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
    while (!h.empty() && h.back() == ' ') h.remove_suffix(1);
    auto token = resolver::authenticate_token(deps_.store, h);
    if (!token) {
      if (token.status().code() == Code::unauthorized) {
        return Status(Code::unauthorized, "The bearer token is unknown or revoked.");
      }
      return token.status();
    }
    call.role = token->role;
    call.token_id = token->id;
  }
  call.caller = caller_key(call.token_id, call.request.remote_ip);
  return Status::Ok();
}

void Service::finish(const Call& call, std::string_view route, Response& response,
                     std::chrono::steady_clock::time_point start) {
  bool has_id = false;
  for (const auto& h : response.headers) has_id = has_id || h.first == "X-Request-Id";
  if (!has_id) response.headers.emplace_back("X-Request-Id", call.request_id);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_.record_request(route, response.status, seconds);
  // One line per request. The route is a template from kRoutes, never the raw target, so no
  // identifier or token reaches the log (DESIGN.md §8).
  std::string caller = call.caller.empty() ? "-" : call.caller;
  char line[512];
  int n = std::snprintf(line, sizeof line, "rid=%s method=%.*s route=%.*s status=%d ms=%.2f caller=%s\n",
                        call.request_id.c_str(), static_cast<int>(known_method(call.request.method).size()),
                        known_method(call.request.method).data(), static_cast<int>(route.size()),
                        route.data(), response.status, seconds * 1000, caller.c_str());
  if (n > 0) std::fwrite(line, 1, std::min<std::size_t>(n, sizeof line - 1), stderr);
}

resolver::Result<nlohmann::json> Service::parse_body(const Request& request) {
  auto j = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Status(Code::invalid_request, "The request body is not valid JSON (UTF-8).");
  }
  if (!j.is_object()) return Status(Code::invalid_request, "The request body must be a JSON object.");
  return j;
}

void Service::refresh_keyring() {
  // Picks up `discoveryctl key rotate` without a restart, for signing and for the JWKS (DESIGN.md
  // §6.1: what discoveryctl commits, a running discoveryd serves). One thread wins the reload; a
  // failed reload keeps the previous keys.
  std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         deps_.clock.steady_now().time_since_epoch()).count();
  std::int64_t last = keyring_at_ns_.load(std::memory_order_relaxed);
  if (now - last < std::chrono::nanoseconds(kKeyringMaxAge).count()) return;
  if (!keyring_at_ns_.compare_exchange_strong(last, now)) return;
  (void)deps_.keyring.reload(deps_.store);
}

Response Service::healthz(Call& call) {
  Status s = deps_.store.check();
  if (!s.ok()) return error_response(Status(Code::unavailable, "The index cannot be read."), call.request_id);
  return json_response(R"({"status":"ok"})");
}

Response Service::metrics(Call& call) {
  std::optional<resolver::Stats> stats;
  {
    std::lock_guard lock(stats_mu_);
    auto now = deps_.clock.steady_now();
    if (!stats_at_ || now - *stats_at_ >= kStatsMaxAge) {
      auto fresh = deps_.store.stats();
      if (fresh) stats_ = *fresh;
      stats_at_ = now;
    }
    stats = stats_;
  }
  Response r = json_response(metrics_.render(stats));
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  return r;
}

Response Service::openapi(Call& call) { return json_response(std::string(schema::openapi_json())); }

}  // namespace discovery
