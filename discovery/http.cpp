// The code-to-status mapping and the JSON error body of DESIGN.md §4.
#include "discovery/http.hpp"

#include <strings.h>

#include <nlohmann/json.hpp>

namespace discovery {

std::optional<std::string_view> Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k.size() == name.size() && strncasecmp(k.data(), name.data(), k.size()) == 0) return v;
  }
  return std::nullopt;
}

std::optional<std::string> Request::joined_header(std::string_view name) const {
  std::optional<std::string> out;
  for (const auto& [k, v] : headers) {
    if (k.size() != name.size() || strncasecmp(k.data(), name.data(), k.size()) != 0) continue;
    out = out ? *out + "," + v : v;
  }
  return out;
}

// No default: a new Code draws -Wswitch here (STYLE.md, Errors).
int http_status(resolver::Code code) {
  using resolver::Code;
  switch (code) {
    case Code::ok: return 200;
    case Code::invalid_identifier: return 400;
    case Code::invalid_request: return 400;
    case Code::unauthorized: return 401;
    case Code::forbidden: return 403;
    case Code::not_found: return 404;
    case Code::method_not_allowed: return 405;
    case Code::payload_too_large: return 413;
    case Code::rate_limited: return 429;
    case Code::quota_exceeded: return 429;
    case Code::internal: return 500;
    case Code::unavailable: return 503;
    case Code::already_exists: return 409;
    // The index is not initialised (no issuer or key): the server cannot answer yet.
    case Code::failed_precondition: return 503;
    case Code::key_changed: return 409;
  }
  return 500;
}

Response json_response(std::string body, int status) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response error_response(const resolver::Status& status, const std::string& request_id) {
  Response r;
  r.status = http_status(status.code());
  nlohmann::json body = {{"error",
                          {{"code", std::string(resolver::code_name(status.code()))},
                           {"message", status.message()}}}};
  // replace: a message may quote a truncated field name; never let that become a 500.
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  r.headers.emplace_back("X-Request-Id", request_id);
  // Every 503 is temporary (a busy worker pool, the index unreachable): say when to come back.
  if (status.code() == resolver::Code::unavailable) r.headers.emplace_back("Retry-After", "1");
  if (status.code() == resolver::Code::unauthorized) {
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"mimi-discovery\"");
  }
  return r;
}

}  // namespace discovery
