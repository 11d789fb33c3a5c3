// The lookup routes: request validation, then one Work that the pipeline charges and runs.
#include "discovery/lookup_routes.hpp"

#include <algorithm>

#include "discovery/private_routes.hpp"
#include "discovery/request_rules.hpp"
#include "resolver/ed25519.hpp"
#include "resolver/identifier.hpp"
#include "resolver/lookup_json.hpp"
#include "resolver/role.hpp"

namespace discovery {

using json = nlohmann::json;
using resolver::Code;
using resolver::Result;
using resolver::Status;

// About the size of one answer with one signed mapping: the body is reserved once.
constexpr std::size_t kAnswerBytes = 768;

Surface LookupRoutes::surface() {
  Surface s{"lookup", Dialect::mimi, {}};
  s.routes = {
      {.method = "GET", .path = "/v1/lookup", .limited = true, .lane = Lane::store,
       .query = {{"id", "region", "provider", "federate"}, {}},
       .handler = bind(&LookupRoutes::get_lookup)},
      {.method = "POST", .path = "/v1/lookup", .limited = true, .lane = Lane::store,
       .handler = bind(&LookupRoutes::post_lookup)},
      {.method = "GET", .path = "/.well-known/mimi-discovery",
       .handler = bind(&LookupRoutes::well_known)},
  };
  return s;
}

void LookupRoutes::count(const Result<resolver::LookupResult>& r) {
  // Peer calls are counted by the federation as they happen (Metrics is its observer).
  ctx_.metrics.record_lookup(r ? resolver::lookup_status_name(r->status) : "invalid_identifier");
}

Work LookupRoutes::lookup_work(const Call& call, std::vector<std::string> inputs,
                               const std::string& region, resolver::LookupOptions options,
                               bool single) {
  options.federate = may_federate(options.federate, call.role, ctx_.config.federation);
  Work w;
  w.cost = inputs.size();  // invalid identifiers cost a token but no budget (DESIGN.md §7)
  auto parsed = identifiers_.parse_all(inputs, region);
  w.identifiers.reserve(parsed.size());
  for (const auto& p : parsed) {
    if (p) w.identifiers.push_back(p->canonical);
  }
  // Only a lookup that will ask peers waits on the network; a local one, or one whose peers'
  // answers are all cached, stays on the I/O thread.
  w.blocking = options.federate && !w.identifiers.empty() && ctx_.deps.resolver.has_peers() &&
               !ctx_.deps.resolver.federation_cached(w.identifiers);
  w.run = [this, inputs = std::move(inputs), parsed = std::move(parsed), options,
           single](Call&) mutable -> Result<Response> {
    if (single && !parsed.front()) {
      count(parsed.front().status());
      return parsed.front().status();
    }
    auto results = ctx_.deps.resolver.lookup_batch(std::move(parsed), options);
    if (!results) return results.status();
    // The answer is written straight into the response body (resolver/lookup_json.hpp).
    std::string body;
    body.reserve(kAnswerBytes * results->size() + 16);
    if (single) {
      count(results->front());
      if (!results->front()) return results->front().status();
      resolver::append_json(body, *results->front());
      return json_response(std::move(body));
    }
    body.append("{\"results\":[");
    for (std::size_t i = 0; i < results->size(); ++i) {
      const auto& r = (*results)[i];
      count(r);
      if (i) body.push_back(',');
      if (r) resolver::append_json(body, *r);
      else resolver::append_batch_error_json(body, inputs[i], r.status());
    }
    body.append("]}");
    return json_response(std::move(body));
  };
  return w;
}

Result<Work> LookupRoutes::get_lookup(Call& call) {
  auto id = call.target.param("id");
  if (!id) return Status(Code::invalid_request, "The query parameter id is required.");
  auto region = read_region(call.target.param("region").value_or(""));
  if (!region) return region.status();
  resolver::LookupOptions options;
  if (auto p = call.target.param("provider")) {
    auto provider = read_provider(*p);
    if (!provider) return provider.status();
    options.provider = std::move(*provider);
  }
  if (auto f = call.target.param("federate")) {
    if (*f != "true" && *f != "false") return Status(Code::invalid_request, "federate must be true or false.");
    options.federate = *f == "true";
  }
  return lookup_work(call, {std::move(*id)}, *region, std::move(options), /*single=*/true);
}

Result<Work> LookupRoutes::post_lookup(Call& call) {
  auto body = parse_body(call.request);
  if (!body) return body.status();
  const json& j = *body;
  if (Status s = check_fields(j, {"identifiers", "region", "provider", "federate"}); !s.ok()) return s;
  auto ids = j.find("identifiers");
  if (ids == j.end() || !ids->is_array()) {
    return Status(Code::invalid_request, "identifiers must be an array of strings.");
  }
  if (ids->size() > ctx_.config.max_batch) {
    return Status(Code::payload_too_large, "A batch holds at most " + std::to_string(ctx_.config.max_batch) +
                                               " identifiers; split it into several requests.");
  }
  std::vector<std::string> inputs;
  inputs.reserve(ids->size());
  for (std::size_t i = 0; i < ids->size(); ++i) {
    if (!(*ids)[i].is_string()) {
      return Status(Code::invalid_request, "identifiers[" + std::to_string(i) + "] must be a string.");
    }
    inputs.push_back((*ids)[i].get<std::string>());
  }
  auto region = body_region(j);
  if (!region) return region.status();
  auto provider = body_provider(j);
  if (!provider) return provider.status();
  resolver::LookupOptions options{std::move(*provider), true};
  if (auto it = j.find("federate"); it != j.end() && !it->is_null()) {
    if (!it->is_boolean()) return Status(Code::invalid_request, "federate must be true or false.");
    options.federate = it->get<bool>();
  }
  return lookup_work(call, std::move(inputs), *region, std::move(options), /*single=*/false);
}

Result<Response> LookupRoutes::well_known(Call&) {
  auto snap = ctx_.deps.keyring.snapshot();
  if (!snap) return Status(Code::unavailable, "The signing keys are not loaded.");
  json j = {{"issuer", snap->issuer},
            {"jwks", snap->jwks},
            {"identifier_types", {"phone", "email", "handle"}},
            {"max_batch", ctx_.config.max_batch},
            {"api", "/v1"}};
  // The keys this DP pinned for its peers, so a client can verify federated mappings (§12).
  json peers = json::array();
  for (const auto& [domain, key] : ctx_.deps.resolver.pinned_keys()) {
    peers.push_back({{"domain", domain},
                     {"jwks", {{"keys", json::array({resolver::public_jwk(key, resolver::jwk_thumbprint(key))})}}}});
  }
  j["peers"] = std::move(peers);
  // Each role's limits (docs/RATE_LIMITS.md), so that a client sizes its batches and pace before
  // its first 413 or 429: max_batch is the largest batch that role can ever send.
  const RateLimits& limits = ctx_.config.rate_limits;
  if (limits.enabled) {
    json roles = json::object();
    for (resolver::Role role : {resolver::Role::anonymous, resolver::Role::client, resolver::Role::peer,
                                resolver::Role::admin}) {
      const RoleLimits& l = limits.of(role);
      const auto burst = static_cast<std::int64_t>(l.burst);
      roles[std::string(resolver::role_name(role))] = {{"rate", l.rate},
                                          {"burst", burst},
                                          {"distinct_per_day", l.distinct_per_day},
                                          {"max_batch", std::min(static_cast<std::int64_t>(ctx_.config.max_batch), burst)}};
    }
    j["rate_limits"] = std::move(roles);
  }
  // The current private-lookup epoch, once one was built (DESIGN.md §12).
  if (ctx_.private_keys) {
    if (auto snap = ctx_.private_keys->snapshot(); snap && !(*snap)->epochs.empty()) {
      j["private"] = private_metadata(**snap, ctx_.config);
    }
  }
  return json_response(j.dump());
}

}  // namespace discovery
