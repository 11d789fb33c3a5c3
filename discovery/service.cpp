// The request pipeline: every step that is the same for all routes, in the order of
// docs/ARCHITECTURE.md.
#include "discovery/service.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <random>
#include <string>

#include "discovery/admin_routes.hpp"
#include "discovery/log.hpp"
#include "discovery/lookup_routes.hpp"
#include "discovery/matrix_routes.hpp"
#include "discovery/operation_routes.hpp"
#include "discovery/private_routes.hpp"
#include "discovery/rate_policy.hpp"
#include "discovery/request_rules.hpp"
#include "discovery/web_routes.hpp"
#include "discovery/webfinger_routes.hpp"

namespace discovery {

using resolver::Code;
using resolver::Role;
using resolver::Status;

// One request from its arrival to its answer. Heap-allocated and shared with the worker that
// runs it: `call` refers to `request`, so a Job never moves.
struct Service::Job {
  explicit Job(Request r) : request(std::move(r)), call{request, {}, {}, {}, Role::anonymous, {}, {}} {}
  Job(const Job&) = delete;
  Job& operator=(const Job&) = delete;

  Request request;
  Call call;
  const Route* route = nullptr;
  const Surface* surface = nullptr;  // the table whose path matched, even when the method did not
  Dialect dialect = Dialect::mimi;
  std::string_view name = "other";  // the route template for metrics and the log
  Work work;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

namespace {

// Access lines reach stderr within this time; a request costs no write(2) of its own.
constexpr auto kAccessLogInterval = std::chrono::milliseconds(100);
// A revoked token is refused within this time; a live one costs an index read once per period.
constexpr auto kTokenMaxAge = std::chrono::milliseconds(1000);
constexpr std::size_t kTokenCacheEntries = 4096;
// /healthz probes that may wait for the health thread with a networked store; more are shed (503).
constexpr std::size_t kHealthQueue = 16;

// How long a keyring snapshot may be stale before a request reloads it.
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

bool contains(const std::vector<std::string_view>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::int64_t steady_ns(const resolver::Clock& clock) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock.steady_now().time_since_epoch())
      .count();
}

}  // namespace

Service::Service(ServiceDeps deps, Config config)
    : deps_(deps), config_(std::move(config)), access_log_(STDERR_FILENO, kAccessLogInterval),
      tokens_(deps_.store, deps_.clock, kTokenMaxAge, kTokenCacheEntries),
      store_networked_(deps_.store.networked()) {
  if (config_.workers.threads > 0) {
    workers_ = std::make_unique<WorkerPool>(config_.workers.threads, config_.workers.queue);
    if (store_networked_) health_workers_ = std::make_unique<WorkerPool>(1, kHealthQueue);
  }
  // The surfaces, one route table each; a new surface is one line here (docs/ARCHITECTURE.md).
  private_keys_ = std::make_unique<PrivateKeys>(deps_.store, deps_.clock, config_.private_lookups.grace_s);
  RouteContext ctx{deps_, config_, metrics_, private_keys_.get()};
  surfaces_.push_back(std::make_unique<LookupRoutes>(ctx));
  surfaces_.push_back(std::make_unique<AdminRoutes>(ctx));
  auto operations = std::make_unique<OperationRoutes>(ctx, workers_.get());
  operations_ = operations.get();
  surfaces_.push_back(std::move(operations));
  surfaces_.push_back(std::make_unique<WebFingerRoutes>(ctx));
  if (config_.web.enabled) surfaces_.push_back(std::make_unique<WebRoutes>(ctx));
  surfaces_.push_back(std::make_unique<MatrixRoutes>(ctx));
  surfaces_.push_back(std::make_unique<PrivateRoutes>(ctx, *private_keys_));
  std::vector<Surface> tables;
  for (auto& s : surfaces_) tables.push_back(s->surface());
  router_ = std::make_unique<Router>(std::move(tables));
  // The keyring is loaded by the caller (REQUIRES); the next reload is due after kKeyringMaxAge.
  keyring_at_ns_ = steady_ns(deps_.clock);
}

Service::~Service() { stop(); }

void Service::set_base_url(const std::string& url) { operations_->set_base_url(url); }

void Service::stop() {
  if (health_workers_) health_workers_->stop();
  if (workers_) workers_->stop();
  access_log_.flush();
}

std::string Service::new_request_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

Response Service::handle(const Request& request) {
  Job job(request);
  if (auto early = prepare(job)) return *early;
  return run(job);
}

void Service::handle_async(Request request, Done done) {
  auto job = std::make_shared<Job>(std::move(request));
  if (auto early = guarded(*job, &Service::route)) return done(std::move(*early));
  const Lane lane = job->route->lane;
  // With a networked store (PostgreSQL), a route that calls the store authenticates on the pool
  // too: a token lookup waits on the database server, and a slow one must stall no I/O thread.
  if (lane != Lane::io && store_networked_ && workers_) return offload(std::move(job), std::move(done), false);
  if (auto early = guarded(*job, &Service::admit)) return done(std::move(*early));
  if ((lane == Lane::worker || job->work.blocking) && workers_) return offload(std::move(job), std::move(done), true);
  done(run(*job));
}

std::optional<Response> Service::guarded(Job& job, std::optional<Response> (Service::*step)(Job&)) {
  try {
    return (this->*step)(job);
  } catch (const std::exception& e) {
    // The last-resort catch of STYLE.md: a bug, answered as 500 and logged with the request id.
    log::write(log::Level::error, std::string("internal error: ") + e.what(), {{"rid", job.call.request_id}});
    job.request.request_id = job.call.request_id;  // the id just logged, or a fresh one if none
    return reject(job.request, Status(Code::internal, "The server failed to answer this request."));
  }
}

void Service::offload(std::shared_ptr<Job> job, Done done, bool admitted) {
  WorkerPool& pool = job->route->lane == Lane::health && health_workers_ ? *health_workers_ : *workers_;
  if (pool.try_submit([this, job, done, admitted] {
        if (!admitted) {
          if (auto early = guarded(*job, &Service::admit)) return done(std::move(*early));
        }
        done(run(*job));
      }))
    return;
  // Shed before charging: a request the server could not take consumes nothing (DESIGN.md §7).
  metrics_.record_shed(job->name);
  done(answer(*job, Status(Code::unavailable, "The server is busy with slow requests; retry in a second.")));
}

Response Service::answer(Job& job, const Status& status) {
  Response r = error(job, status);
  finish(job, r);
  return r;
}

std::optional<Response> Service::prepare(Job& job) {
  if (auto early = route(job)) return early;
  return admit(job);
}

std::optional<Response> Service::route(Job& job) {
  Call& call = job.call;
  call.request_id = job.request.request_id;
  if (call.request_id.empty()) {
    auto sent = job.request.header("X-Request-Id");
    call.request_id = sent && is_plain_request_id(*sent) ? std::string(*sent) : new_request_id();
  }
  // The route is found before the query is decoded: how the query decodes is the route's rule,
  // and an error about it carries the surface's headers.
  const std::string_view raw = job.request.target;
  Router::Match m = router_->match(job.request.method, raw.substr(0, raw.find('?')));
  if (m.surface) {
    job.surface = m.surface;
    job.dialect = m.surface->dialect;
    job.name = m.path;
  }
  auto target = parse_target(raw, m.route ? m.route->query.plus : QueryPlus::form);
  if (!target) return answer(job, target.status());
  call.target = std::move(*target);
  if (!m.surface) {
    return answer(job, Status(Code::not_found, "No such route; the API lives under /v1 (see /openapi.json)."));
  }
  if (!m.route && m.allow.empty()) {
    // A path under a surface's prefix that none of its routes has (Router::match).
    return answer(job, Status(Code::not_found, "This server does not serve this path; /openapi.json lists "
                                               "the routes it has."));
  }
  if (!m.route) {
    const std::string allow(m.allow);
    Response r = answer(job, Status(Code::method_not_allowed, "This route accepts " + allow + " only."));
    r.headers.emplace_back("Allow", allow);
    return r;
  }
  job.route = m.route;
  call.path_params = std::move(m.params);
  if (Status s = check_query(job); !s.ok()) return answer(job, s);
  return std::nullopt;
}

std::optional<Response> Service::admit(Job& job) {
  Call& call = job.call;
  if (Status s = authenticate(job); !s.ok()) return answer(job, s);
  refresh_keyring();
  auto work = job.route->handler(call);
  if (!work) return answer(job, work.status());
  job.work = std::move(*work);
  return std::nullopt;
}

Status Service::check_query(const Job& job) const {
  const QueryRule& rule = job.route->query;
  if (auto name = job.call.target.repeated(); name && !contains(rule.repeatable, *name)) {
    return Status(Code::invalid_request, "The query parameter \"" + name->substr(0, 64) +
                                             "\" is given more than once.");
  }
  if (rule.allowed.empty()) return Status::Ok();
  for (const auto& [name, value] : job.call.target.params) {
    if (!contains(rule.allowed, name)) {
      return Status(Code::invalid_request, "Unknown query parameter; use " + name_list(rule.allowed) + ".");
    }
  }
  return Status::Ok();
}

Status Service::authenticate(Job& job) {
  Call& call = job.call;
  const Credentials& accepts = job.route->credentials;
  auto header = call.request.header("Authorization");
  if (!header && !accepts.anonymous) {
    return Status(Code::unauthorized, "This route needs a token: send Authorization: Bearer <token>.");
  }
  if (header) {
    std::string_view h = *header;
    constexpr std::string_view kScheme = "bearer ";
    bool bearer = h.size() > kScheme.size();
    for (std::size_t i = 0; bearer && i < kScheme.size(); ++i) {
      bearer = std::tolower(static_cast<unsigned char>(h[i])) == kScheme[i];
    }
    if (!bearer || !accepts.bearer) {
      return Status(Code::unauthorized, "The Authorization header must be \"Bearer <token>\".");
    }
    h.remove_prefix(kScheme.size());
    while (!h.empty() && h.front() == ' ') h.remove_prefix(1);
    while (!h.empty() && h.back() == ' ') h.remove_suffix(1);
    auto token = tokens_.authenticate(h);
    if (!token) {
      if (token.status().code() == Code::unauthorized) {
        return Status(Code::unauthorized, "The bearer token is unknown or revoked.");
      }
      return token.status();
    }
    call.role = token->role;
    call.token_id = token->id;
  }
  if (!call.token_id) {
    // Behind trusted load balancers the caller is the forwarded address (DESIGN.md §7).
    const TrustedProxies& proxies = config_.trusted_proxies;
    std::string ip = call.request.remote_ip;
    if (!proxies.empty()) {
      auto xff = call.request.joined_header("X-Forwarded-For");
      auto fwd = call.request.joined_header("Forwarded");
      ip = proxies.client_address(ip, xff ? std::optional<std::string_view>(*xff) : std::nullopt,
                                  fwd ? std::optional<std::string_view>(*fwd) : std::nullopt);
    }
    call.caller = caller_key(call.token_id, ip);
  } else {
    call.caller = caller_key(call.token_id, call.request.remote_ip);
  }
  const Role needed = job.route->role;
  if (needed == Role::anonymous || call.role == needed || call.role == Role::admin) return Status::Ok();
  std::string role(resolver::role_name(needed));
  if (call.token_id) return Status(Code::forbidden, "This route needs a token with the " + role + " role.");
  std::string article = std::string("aeiou").find(role.front()) == std::string::npos ? "a " : "an ";
  return Status(Code::unauthorized,
                "This route needs " + article + role + " token: send Authorization: Bearer <token>.");
}

Response Service::run(Job& job) {
  Call& call = job.call;
  try {
    RateDecision decision;
    if (job.route->limited) {
      decision = deps_.limiter.admit({call.caller, call.role, job.work.cost, job.work.identifiers});
      if (!decision.status.ok()) {
        const Status& s = decision.status;
        metrics_.record_rate_limited(resolver::role_name(call.role), resolver::code_name(s.code()));
        Response r = error(job, s, decision.retry_after_s);
        append_rate_headers(r.headers, decision, /*rejected=*/true);
        finish(job, r);
        return r;
      }
    }
    auto result = job.work.run(call);
    Response r = result ? std::move(*result) : error(job, shown_to_caller(job, result.status()));
    append_rate_headers(r.headers, decision, /*rejected=*/false);
    finish(job, r);
    return r;
  } catch (const std::exception& e) {
    log::write(log::Level::error, std::string("internal error: ") + e.what(), {{"rid", call.request_id}});
    Response r = error(job, Status(Code::internal, "The server failed to answer this request."));
    r.close = true;
    finish(job, r);
    return r;
  }
}

Status Service::shown_to_caller(const Job& job, const Status& status) const {
  // Why the index or the server failed (a database host and port, a file system's state) is for
  // the operator: an admin reads it in the answer, anyone else in the log under the request id.
  const bool infrastructure = status.code() == Code::unavailable || status.code() == Code::internal;
  if (!infrastructure || job.call.role == resolver::Role::admin) return status;
  log::write(status.code() == Code::internal ? log::Level::error : log::Level::warning, status.message(),
             {{"rid", job.call.request_id}});
  return status.code() == Code::unavailable
             ? Status(Code::unavailable, "The index cannot be read at the moment; retry in a second.")
             : Status(Code::internal, "The server failed to answer this request.");
}

Response Service::reject(const Request& request, const Status& status) {
  Job job(request);
  job.call.request_id = request.request_id.empty() ? new_request_id() : request.request_id;
  Response response = error(job, status);
  response.close = true;
  finish(job, response);
  return response;
}

Response Service::error(const Job& job, const Status& status, std::int64_t retry_after_s) const {
  switch (job.dialect) {
    case Dialect::mimi: return error_response(status, job.call.request_id);
    case Dialect::matrix: return matrix_error_response(status, job.call, job.name, retry_after_s);
  }
  return error_response(status, job.call.request_id);
}

void Service::finish(const Job& job, Response& response) {
  const Call& call = job.call;
  bool has_id = false;
  for (const auto& h : response.headers) has_id = has_id || h.first == "X-Request-Id";
  if (!has_id) response.headers.emplace_back("X-Request-Id", call.request_id);
  if (job.surface) {
    for (const SurfaceHeader& h : job.surface->headers) response.headers.emplace_back(h.name, h.value);
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - job.start).count();
  metrics_.record_request(job.name, response.status, seconds);
  // One line per request. The route is a template from the tables, never the raw target, so no
  // identifier or token reaches the log (DESIGN.md §8).
  // std::to_chars: snprintf's locale-aware formatting was 1.7 % of a single lookup's CPU time.
  char status_buf[8], ms_buf[24];
  const std::string_view status(status_buf, std::to_chars(status_buf, status_buf + sizeof status_buf,
                                                          response.status).ptr - status_buf);
  const std::string_view ms(ms_buf, std::to_chars(ms_buf, ms_buf + sizeof ms_buf, seconds * 1000,
                                                  std::chars_format::fixed, 2).ptr - ms_buf);
  thread_local std::string line;
  line.clear();
  log::append_line(line, log::Level::info, "request",
                   {{"rid", call.request_id},
                    {"method", known_method(call.request.method)},
                    {"route", job.name},
                    {"status", status, true},
                    {"ms", ms, true},
                    {"caller", call.caller.empty() ? std::string_view("-") : std::string_view(call.caller)}});
  access_log_.append(line);
}

void Service::refresh_keyring() {
  // Picks up `discoveryctl key rotate` without a restart, for signing and for the JWKS (DESIGN.md
  // §6.1: what discoveryctl commits, a running discoveryd serves). One thread wins the reload; a
  // failed reload keeps the previous keys.
  std::int64_t now = steady_ns(deps_.clock);
  std::int64_t last = keyring_at_ns_.load(std::memory_order_relaxed);
  if (now - last < std::chrono::nanoseconds(kKeyringMaxAge).count()) return;
  if (!keyring_at_ns_.compare_exchange_strong(last, now)) return;
  // A networked store's reload runs on the pool, so a slow database server stalls no I/O thread;
  // a full pool skips this reload (the next request after kKeyringMaxAge tries again).
  if (store_networked_ && workers_) {
    (void)workers_->try_submit([this] { (void)deps_.keyring.reload(deps_.store); });
    return;
  }
  (void)deps_.keyring.reload(deps_.store);
}

}  // namespace discovery
