// Splitting a request target into its path and decoded query parameters (RFC 3986 §3.4).
// Free functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "resolver/status.hpp"

namespace discovery {

struct Target {
  std::string path;  // as sent, without the query
  std::vector<std::pair<std::string, std::string>> params;  // decoded, in order
  // The value of `name` (the first when repeated); nullopt when absent.
  std::optional<std::string> param(std::string_view name) const;
  // Every value of `name`, in order.
  std::vector<std::string> values(std::string_view name) const;
  // The first parameter name given more than once; nullopt when none is.
  std::optional<std::string> repeated() const;
};

// How a '+' in a query string decodes. form: a space, as client libraries encode query strings
// (WHATWG application/x-www-form-urlencoded), except a '+' that starts a value, which stays a plus
// sign so that a hand-typed "id=+14155552671" works. literal: a plus sign; only percent escapes
// are decoded (RFC 3986, as RFC 7033 §4.1 asks of WebFinger's "resource").
enum class QueryPlus { form, literal };

// Parses an origin-form target ("/v1/lookup?id=tel%3A%2B1..."). Percent escapes are decoded and
// '+' as `plus` says.
// Failure: invalid_request when the target is not origin-form, an escape is malformed, a name or
// value is not valid UTF-8 or holds a control character (NUL included). A repeated parameter is
// kept; whether a route takes it is the route's QueryRule (route.hpp).
resolver::Result<Target> parse_target(std::string_view target, QueryPlus plus = QueryPlus::form);

// One path segment with its percent escapes decoded ('+' stays a plus sign); nullopt when an
// escape is malformed or the result holds '/', invalid UTF-8 or a control character.
std::optional<std::string> decode_path_segment(std::string_view segment);

}  // namespace discovery
