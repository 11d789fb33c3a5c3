// Route: one entry of a surface's route table (STYLE.md habit 4). A route declares its method,
// path, the credentials and role it needs, whether the rate limiter charges it, which query
// parameters it takes, on which threads it runs and its handler; the Service applies all of that
// once for every route (docs/ARCHITECTURE.md). Plain values; immutable once the Service is built.
#pragma once

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// What the Service and its surfaces work with; each must outlive the Service.
struct ServiceDeps {
  resolver::Store& store;
  resolver::Keyring& keyring;  // REQUIRES: loaded
  resolver::Resolver& resolver;
  RateLimiter& limiter;
  const resolver::Clock& clock;
};

class PrivateKeys;

// What a surface's handlers may use besides the request: shared by every surface of a Service.
struct RouteContext {
  ServiceDeps deps;
  const Config& config;
  Metrics& metrics;
  PrivateKeys* private_keys = nullptr;  // the served private-lookup epochs (DESIGN.md §12)
};

// The Authorization schemes a route accepts. Room for more (e.g. Privacy Pass `PrivateToken`).
struct Credentials {
  bool anonymous = true;  // no Authorization header
  bool bearer = true;     // "Bearer <token>" of discoveryctl token create
};

// The error body a surface answers in: ours (DESIGN.md §4) or Matrix's {"errcode", "error"} (§11).
enum class Dialect { mimi, matrix };

// Where a route's work runs. io: on the thread that read the request (it cannot block: a JSON
// render from memory); store: it reads the index, so on that thread when the store answers from a
// local file (SQLite) and on the worker pool when its calls cross the network (PostgreSQL:
// Store::networked()), where a slow database server stalls no other request; worker: always on
// the bounded worker pool (admin writes); health: as store, but on a one-thread pool of its own
// (/healthz), so that it never waits behind lookups that wait on a slow database server. A route
// on io or store can still send one request to the pool (Work::blocking), e.g. a lookup that asks
// peers.
enum class Lane { io, store, health, worker };

// The query parameters a route takes. A route that lists none ignores the query string.
struct QueryRule {
  std::vector<std::string_view> allowed;     // others are 400 invalid_request
  std::vector<std::string_view> repeatable;  // may appear more than once; others may not
  QueryPlus plus = QueryPlus::form;          // how '+' decodes (query.hpp)
};

// One request on its way through the pipeline, as the Service prepared it for the handler.
struct Call {
  const Request& request;
  std::string request_id;
  Target target;                                                // path and decoded query
  std::vector<std::pair<std::string, std::string>> path_params;  // {name} segments, decoded
  resolver::Role role = resolver::Role::anonymous;
  std::optional<std::string> token_id;  // the presented token's public id
  std::string caller;                   // caller_key(): the rate limiter's key and the log's
  // A surface's own name for the failure its handler returns (a Matrix errcode such as
  // "M_INVALID_PEPPER") and more members of its error body as a JSON object's text; empty: the
  // dialect names the failure from its Status code.
  std::string error_name;
  std::string error_members;

  // The value of the path segment `{name}`; nullopt when the route has none of that name.
  std::optional<std::string_view> path_param(std::string_view name) const;
};

// What a handler's first step found in the request: the charge, and the rest of the work. The
// first step parses and validates (failures are answered without charging anything); the
// Service then charges the limiter, and runs `run` on the route's lane.
struct Work {
  std::size_t cost = 0;                  // token-bucket units: one per identifier, invalid ones too
  std::vector<std::string> identifiers;  // canonical forms, for the distinct budget
  bool blocking = false;                 // may wait on the network: run on the worker pool
  std::function<resolver::Result<Response>(Call&)> run;
};

// A handler: the first step of a route. A failure is rendered in the route's dialect.
using Handler = std::function<resolver::Result<Work>(Call&)>;

// Wraps a one-step handler that needs no charge.
Handler respond(std::function<resolver::Result<Response>(Call&)> fn);

struct Route {
  std::string_view method;  // "GET", "POST", ...
  // "/v1/lookup", or a template whose `{name}` segments match one non-empty segment each, e.g.
  // "/v1/private/buckets/{key_id}/{bucket}". It is the route's name in metrics and logs.
  std::string_view path;
  Credentials credentials;
  resolver::Role role = resolver::Role::anonymous;  // the least role: admin needs an admin token
  bool limited = false;  // charged to the rate limiter (Work::cost, Work::identifiers)
  Lane lane = Lane::io;
  QueryRule query;
  Handler handler;
};

// A response header of a surface: sent on every response of its paths.
struct SurfaceHeader {
  std::string_view name;
  std::string_view value;
};

// One route table: a surface of the API with its own error dialect (client lookups, admin,
// operations, WebFinger; later Matrix, private lookups).
struct Surface {
  std::string_view name;
  Dialect dialect = Dialect::mimi;
  std::vector<Route> routes;
  // Added to every response to a path of this table, errors included (404 of a handler, 405,
  // 429, 503, a malformed query): e.g. CORS, which a browser needs to read even an error.
  std::vector<SurfaceHeader> headers;
  // Paths that start with this and match no route belong to this table all the same: 404 in its
  // dialect, with its headers (e.g. "/_matrix/identity/"). Empty: none.
  std::string_view prefix;
};

// The base of a surface: a class that owns a route table and the handlers it names. Its handlers
// may run on any number of threads at once.
class Routes {
 public:
  explicit Routes(RouteContext ctx) : ctx_(ctx) {}
  Routes(const Routes&) = delete;
  Routes& operator=(const Routes&) = delete;
  virtual ~Routes() = default;

  // The route table. REQUIRES: this object outlives the table.
  virtual Surface surface() = 0;

 protected:
  // A member function of the derived surface as a handler: a first step that returns Work, or a
  // one-step answer that needs no charge.
  template <class T>
  Handler bind(resolver::Result<Work> (T::*step)(Call&)) {
    T* self = static_cast<T*>(this);
    return [self, step](Call& c) { return (self->*step)(c); };
  }
  template <class T>
  Handler bind(resolver::Result<Response> (T::*answer)(Call&)) {
    T* self = static_cast<T*>(this);
    return respond([self, answer](Call& c) { return (self->*answer)(c); });
  }

  RouteContext ctx_;
};

}  // namespace discovery
