// The few functions of the route table's types.
#include "discovery/route.hpp"

namespace discovery {

std::optional<std::string_view> Call::path_param(std::string_view name) const {
  for (const auto& [k, v] : path_params) {
    if (k == name) return v;
  }
  return std::nullopt;
}

Handler respond(std::function<resolver::Result<Response>(Call&)> fn) {
  return [fn = std::move(fn)](Call&) -> resolver::Result<Work> { return Work{0, {}, false, fn}; };
}

}  // namespace discovery
