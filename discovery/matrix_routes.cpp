// The Matrix identity service routes: the lookup body read as the Matrix spec (v1.x, "Lookup")
// and DESIGN.md §11 say, the hashes matched against the index's hash table, the identifiers looked
// up through the resolver (local index only), and the Matrix error shape.
#include "discovery/matrix_routes.hpp"

#include <algorithm>
#include <cctype>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "discovery/request_rules.hpp"

namespace discovery {

using json = nlohmann::json;
using resolver::Code;
using resolver::Result;
using resolver::Status;

namespace {

constexpr std::string_view kLogoutPath = "/_matrix/identity/v2/account/logout";
// The budget key of a sha256 address that matches nothing: its hash, so that asking for the same
// unknown hash again is free and new ones spend the distinct budget (DESIGN.md §11).
constexpr std::string_view kUnmatchedHashKey = "matrix-sha256:";
// An address longer than this is no hash or address a client computes (DESIGN.md §3's bound).
constexpr std::size_t kMaxAddressBytes = 340;

// A failure with the Matrix errcode `name` (and extra members) instead of the one its code maps to.
Status named(Call& call, std::string_view name, Code code, std::string message, std::string members = {}) {
  call.error_name = std::string(name);
  call.error_members = std::move(members);
  return Status(code, std::move(message));
}

std::string_view errcode_of(Code code, std::string_view route_path, bool token_sent) {
  switch (code) {
    case Code::ok: return "M_UNKNOWN";
    case Code::invalid_identifier:
    case Code::invalid_request: return "M_INVALID_PARAM";
    // §11: an unknown token is M_UNKNOWN_TOKEN on logout, M_UNAUTHORIZED elsewhere.
    case Code::unauthorized: return token_sent && route_path == kLogoutPath ? "M_UNKNOWN_TOKEN" : "M_UNAUTHORIZED";
    case Code::forbidden: return "M_FORBIDDEN";
    case Code::not_found:
    case Code::method_not_allowed: return "M_UNRECOGNIZED";
    case Code::payload_too_large: return "M_TOO_LARGE";
    case Code::rate_limited:
    case Code::quota_exceeded: return "M_LIMIT_EXCEEDED";
    case Code::internal:
    case Code::unavailable:
    case Code::already_exists:
    case Code::failed_precondition: return "M_UNKNOWN";
  }
  return "M_UNKNOWN";
}

Response empty_object() { return json_response("{}"); }

}  // namespace

std::optional<std::string> matrix_user_id(std::string_view user_uri) {
  constexpr std::string_view kScheme = "matrix:u/";
  if (!user_uri.starts_with(kScheme)) return std::nullopt;
  std::string_view rest = user_uri.substr(kScheme.size());
  rest = rest.substr(0, rest.find_first_of("?#"));
  // MSC2312: the segment is percent-encoded; a user id holds no '/'.
  std::string id = "@";
  for (std::size_t i = 0; i < rest.size(); ++i) {
    char c = rest[i];
    if (c == '%' && i + 2 < rest.size() && std::isxdigit(static_cast<unsigned char>(rest[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(rest[i + 2]))) {
      c = static_cast<char>(std::stoi(std::string(rest.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    }
    if (c == '/') return std::nullopt;
    id.push_back(c);
  }
  const auto colon = id.find(':');
  if (colon == std::string::npos || colon == 1 || colon + 1 == id.size()) return std::nullopt;
  return id;
}

Result<std::string> plain_address_identifier(std::string_view address, resolver::IdentifierCache& identifiers) {
  const auto space = address.rfind(' ');
  if (space == std::string_view::npos) {
    return Status(Code::invalid_identifier, "A plain address is \"<address> <medium>\".");
  }
  const std::string_view value = address.substr(0, space);
  const std::string_view medium = address.substr(space + 1);
  if (medium == "email") {
    if (value.find('@') == std::string_view::npos) return Status(Code::invalid_identifier, "Not an email address.");
    auto id = identifiers.parse(std::string("mailto:").append(value), "");
    if (!id) return id.status();
    return id->canonical;
  }
  if (medium == "msisdn") {
    if (value.empty() || !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return Status(Code::invalid_identifier, "An msisdn is the E.164 digits without '+'.");
    }
    auto id = identifiers.parse(std::string("tel:+").append(value), "");
    if (!id) return id.status();
    return id->canonical;
  }
  return Status(Code::invalid_identifier, "The medium is email or msisdn.");
}

bool pepper_accepted(const std::vector<resolver::Pepper>& peppers, std::string_view pepper,
                     resolver::UnixTime now, std::int64_t grace_s) {
  for (const resolver::Pepper& p : peppers) {
    if (p.value != pepper) continue;
    return !p.retired_at || now - *p.retired_at < grace_s;
  }
  return false;
}

Response matrix_error_response(const Status& status, const Call& call, std::string_view route_path,
                               std::int64_t retry_after_s) {
  Response r;
  r.status = http_status(status.code());
  json body = json::object();
  if (!call.error_members.empty()) {
    json extra = json::parse(call.error_members, nullptr, /*allow_exceptions=*/false);
    if (extra.is_object()) body = std::move(extra);
  }
  const bool token_sent = call.request.header("Authorization").has_value();
  body["errcode"] = call.error_name.empty() ? std::string(errcode_of(status.code(), route_path, token_sent))
                                            : call.error_name;
  body["error"] = status.message();
  if (r.status == 429) body["retry_after_ms"] = std::max<std::int64_t>(1, retry_after_s) * 1000;
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  r.headers.emplace_back("X-Request-Id", call.request_id);
  if (status.code() == Code::unavailable) r.headers.emplace_back("Retry-After", "1");
  return r;
}

Surface MatrixRoutes::surface() {
  Surface s{"matrix", Dialect::matrix, {}, {}};
  const Credentials token{.anonymous = false, .bearer = true};
  s.routes = {
      {.method = "GET", .path = "/_matrix/identity/versions", .handler = bind(&MatrixRoutes::versions)},
      {.method = "GET", .path = "/_matrix/identity/v2", .handler = bind(&MatrixRoutes::status)},
      {.method = "GET", .path = "/_matrix/identity/v2/hash_details", .credentials = token, .lane = Lane::store,
       .handler = bind(&MatrixRoutes::hash_details)},
      {.method = "POST", .path = "/_matrix/identity/v2/lookup", .credentials = token, .limited = true,
       .lane = Lane::store, .handler = bind(&MatrixRoutes::lookup)},
      {.method = "GET", .path = "/_matrix/identity/v2/account", .credentials = token, .lane = Lane::store,
       .handler = bind(&MatrixRoutes::account)},
      {.method = "POST", .path = kLogoutPath, .credentials = token, .lane = Lane::store,
       .handler = bind(&MatrixRoutes::logout)},
      {.method = "GET", .path = "/_matrix/identity/v2/terms", .handler = bind(&MatrixRoutes::get_terms)},
      {.method = "POST", .path = "/_matrix/identity/v2/terms", .credentials = token, .lane = Lane::store,
       .handler = bind(&MatrixRoutes::post_terms)},
  };
  // A CORS preflight on every path (Matrix spec, "Web Browser Clients"), which needs no token.
  std::vector<std::string_view> paths;
  for (const Route& r : s.routes)
    if (std::find(paths.begin(), paths.end(), r.path) == paths.end()) paths.push_back(r.path);
  for (std::string_view p : paths)
    s.routes.push_back({.method = "OPTIONS", .path = p, .handler = bind(&MatrixRoutes::preflight)});
  s.prefix = kMatrixPrefix;
  s.headers = {{"Access-Control-Allow-Origin", "*"},
               {"Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS"},
               {"Access-Control-Allow-Headers", "X-Requested-With, Content-Type, Authorization"}};
  return s;
}

Result<Response> MatrixRoutes::versions(Call&) {
  // The spec versions whose lookup subset this surface answers (the v2 API of r0.3 and v1.x).
  return json_response(R"({"versions":["r0.3.0","v1.1","v1.2","v1.3","v1.4","v1.5","v1.6","v1.7","v1.8","v1.9","v1.10","v1.11"]})");
}

Result<Response> MatrixRoutes::status(Call&) { return empty_object(); }

Result<std::vector<resolver::Pepper>> MatrixRoutes::live_peppers() {
  auto peppers = ctx_.deps.store.peppers();
  if (!peppers) return peppers.status();
  if (peppers->empty() || peppers->front().retired_at) {
    return Status(Code::unavailable, "No lookup pepper has been made yet; discoveryd makes one at start.");
  }
  return peppers;
}

Result<Response> MatrixRoutes::hash_details(Call&) {
  auto peppers = live_peppers();
  if (!peppers) return peppers.status();
  json j = {{"lookup_pepper", peppers->front().value}, {"algorithms", {"none", "sha256"}}};
  return json_response(j.dump());
}

Result<Work> MatrixRoutes::lookup(Call& call) {
  auto body = parse_body(call.request);
  if (!body) {
    return named(call, "M_NOT_JSON", Code::invalid_request, "The body must be a JSON object: " + body.status().message());
  }
  const json& j = *body;
  for (const char* field : {"addresses", "algorithm", "pepper"}) {
    if (!j.contains(field)) {
      return named(call, "M_MISSING_PARAMS", Code::invalid_request,
                   std::string("The body needs addresses, algorithm and pepper; ") + field + " is missing.");
    }
  }
  const json& addresses = j["addresses"];
  if (!addresses.is_array()) return Status(Code::invalid_request, "addresses must be an array of strings.");
  if (!j["algorithm"].is_string() || !j["pepper"].is_string()) {
    return Status(Code::invalid_request, "algorithm and pepper must be strings.");
  }
  const std::string algorithm = j["algorithm"].get<std::string>();
  if (algorithm != "sha256" && algorithm != "none") {
    return Status(Code::invalid_request, "The algorithm must be one of hash_details' algorithms: none or sha256.");
  }
  if (addresses.size() > ctx_.config.max_batch) {
    return Status(Code::payload_too_large, "A lookup holds at most " + std::to_string(ctx_.config.max_batch) +
                                               " addresses; split it into several requests.");
  }
  std::vector<std::string> inputs;
  inputs.reserve(addresses.size());
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    const json& a = addresses[i];
    if (!a.is_string() || a.get_ref<const std::string&>().size() > kMaxAddressBytes) {
      return Status(Code::invalid_request, "addresses[" + std::to_string(i) + "] must be a string of at most " +
                                               std::to_string(kMaxAddressBytes) + " bytes.");
    }
    inputs.push_back(a.get<std::string>());
  }
  auto peppers = live_peppers();
  if (!peppers) return peppers.status();
  const std::string pepper = j["pepper"].get<std::string>();
  if (!pepper_accepted(*peppers, pepper, ctx_.deps.clock.now(), ctx_.config.matrix.pepper_grace_s)) {
    json members = {{"lookup_pepper", peppers->front().value}, {"algorithm", "sha256"}};
    return named(call, "M_INVALID_PEPPER", Code::invalid_request,
                 "The pepper is not the current one (or retired too long ago); fetch hash_details again.",
                 members.dump());
  }
  // Each input's canonical identifier, or "" when it names none in the index (sha256) or does not
  // parse (none).
  std::vector<std::string> found(inputs.size());
  Work w;
  w.cost = inputs.size();
  if (algorithm == "sha256") {
    auto by_hash = ctx_.deps.store.identifiers_by_hash(pepper, inputs);
    if (!by_hash) return by_hash.status();
    found = std::move(*by_hash);
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      w.identifiers.push_back(found[i].empty() ? std::string(kUnmatchedHashKey) + inputs[i] : found[i]);
    }
  } else {
    // An address that does not parse costs a token but no budget, as an invalid identifier (§7).
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      auto id = plain_address_identifier(inputs[i], identifiers_);
      if (id) found[i] = std::move(*id);
      if (!found[i].empty()) w.identifiers.push_back(found[i]);
    }
  }
  w.run = [this, inputs = std::move(inputs), found = std::move(found)](Call&) -> Result<Response> {
    std::vector<std::string> unique;
    for (const std::string& id : found)
      if (!id.empty()) unique.push_back(id);
    std::sort(unique.begin(), unique.end());
    unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
    std::vector<Result<resolver::Identifier>> parsed;
    parsed.reserve(unique.size());
    for (const std::string& id : unique) {
      auto p = identifiers_.parse(id, "");
      parsed.push_back(std::move(p));
    }
    // The local index only (DESIGN.md §11): a Matrix lookup never waits on peers.
    auto results = ctx_.deps.resolver.lookup_batch(std::move(parsed), {std::nullopt, /*federate=*/false});
    if (!results) return results.status();
    std::unordered_map<std::string_view, std::string> user_of;
    for (std::size_t i = 0; i < unique.size(); ++i) {
      const auto& r = (*results)[i];
      ctx_.metrics.record_lookup(r ? resolver::lookup_status_name(r->status) : "invalid_identifier");
      if (!r || r->status != resolver::LookupStatus::found) continue;
      std::optional<std::string> user;
      for (const auto& served : r->mappings) {
        user = matrix_user_id(served.mapping.user);
        if (user) break;
      }
      if (!user && ctx_.config.matrix.non_matrix_users == NonMatrixUsers::user_uri && !r->mappings.empty()) {
        user = r->mappings.front().mapping.user;
      }
      if (user) user_of.emplace(unique[i], std::move(*user));
    }
    json mappings = json::object();
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (found[i].empty()) continue;
      auto it = user_of.find(found[i]);
      if (it != user_of.end()) mappings[inputs[i]] = it->second;
    }
    json answer = {{"mappings", std::move(mappings)}};
    return json_response(answer.dump(-1, ' ', false, json::error_handler_t::replace));
  };
  return w;
}

Result<Response> MatrixRoutes::account(Call& call) {
  auto snap = ctx_.deps.keyring.snapshot();
  if (!snap) return Status(Code::unavailable, "The issuer is not loaded.");
  // A token is not a Matrix account: its public id on this server's domain names the holder.
  json j = {{"user_id", "@" + call.token_id.value_or("anonymous") + ":" + snap->issuer}};
  return json_response(j.dump());
}

Result<Response> MatrixRoutes::logout(Call&) {
  // DESIGN.md §11: tokens are made and revoked by the operator (discoveryctl), never by a client.
  return empty_object();
}

Result<Response> MatrixRoutes::get_terms(Call&) { return json_response(R"({"policies":{}})"); }

Result<Response> MatrixRoutes::post_terms(Call& call) {
  auto body = parse_body(call.request);
  if (!body) return named(call, "M_NOT_JSON", Code::invalid_request, "The body must be a JSON object.");
  // No policies: there is nothing to accept, and any list of accepted URLs is fine.
  return empty_object();
}

Result<Response> MatrixRoutes::preflight(Call&) {
  Response r;
  r.status = 204;
  r.headers = {{"Access-Control-Max-Age", "86400"}};
  return r;
}

}  // namespace discovery
