// Wire names of the failure codes.
#include "resolver/status.hpp"

namespace resolver {

std::string_view code_name(Code code) {
  switch (code) {
    case Code::ok: return "ok";
    case Code::invalid_identifier: return "invalid_identifier";
    case Code::invalid_request: return "invalid_request";
    case Code::unauthorized: return "unauthorized";
    case Code::forbidden: return "forbidden";
    case Code::not_found: return "not_found";
    case Code::method_not_allowed: return "method_not_allowed";
    case Code::payload_too_large: return "payload_too_large";
    case Code::rate_limited: return "rate_limited";
    case Code::quota_exceeded: return "quota_exceeded";
    case Code::internal: return "internal";
    case Code::unavailable: return "unavailable";
    case Code::already_exists: return "already_exists";
    case Code::failed_precondition: return "failed_precondition";
    case Code::key_changed: return "key_changed";
  }
  return "internal";
}

}  // namespace resolver
