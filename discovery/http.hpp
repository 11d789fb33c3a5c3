// Plain HTTP request and response values exchanged between the transport and the Service, and the
// one mapping from failure codes to HTTP statuses (DESIGN.md §4). Value types; thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "resolver/status.hpp"

namespace discovery {

inline constexpr std::string_view kJsonContentType = "application/json; charset=utf-8";

struct Request {
  std::string method;  // "GET", "POST", ... as sent
  std::string target;  // origin-form: path plus optional "?query", as sent (not decoded)
  std::vector<std::pair<std::string, std::string>> headers;  // names as sent; lookups ignore case
  std::string body;
  std::string remote_ip;   // "127.0.0.1", "2001:db8::1"; empty when unknown
  std::string request_id;  // set by the transport; the Service makes one when empty

  // The first header named `name` (case-insensitive), or nullopt.
  std::optional<std::string_view> header(std::string_view name) const;
  // Every header named `name`, values joined by "," in the order sent (RFC 9110 §5.3), or nullopt.
  std::optional<std::string> joined_header(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = std::string(kJsonContentType);
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Type
  std::string body;
  bool close = false;  // the transport closes the connection after writing it
};

// The HTTP status for a failure code (DESIGN.md §4): the only such mapping.
int http_status(resolver::Code code);

// A JSON response with `status` holding `body` (already serialised).
Response json_response(std::string body, int status = 200);

// {"error": {"code": ..., "message": ...}} with the matching status and X-Request-Id.
Response error_response(const resolver::Status& status, const std::string& request_id);

}  // namespace discovery
