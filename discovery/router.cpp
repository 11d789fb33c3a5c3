// Route matching: a linear scan of a few dozen routes, cheaper than any index at this size.
#include "discovery/router.hpp"

namespace discovery {

Router::Router(std::vector<Surface> surfaces) : surfaces_(std::move(surfaces)) {
  for (const Surface& surface : surfaces_) {
    for (const Route& route : surface.routes) {
      std::string& allow = allow_[route.path];
      allow += (allow.empty() ? "" : ", ") + std::string(route.method);
      if (route.method == "GET") allow += ", HEAD";  // answered by the GET route (RFC 9110 §9.3.2)
    }
  }
}

bool match_path(std::string_view pattern, std::string_view path,
                std::vector<std::pair<std::string, std::string>>* params) {
  if (pattern.find('{') == std::string_view::npos) return pattern == path;
  std::vector<std::pair<std::string, std::string>> found;
  while (!pattern.empty() || !path.empty()) {
    if (pattern.empty() || path.empty() || pattern.front() != '/' || path.front() != '/') return false;
    pattern.remove_prefix(1);
    path.remove_prefix(1);
    std::string_view want = pattern.substr(0, pattern.find('/'));
    std::string_view got = path.substr(0, path.find('/'));
    pattern.remove_prefix(want.size());
    path.remove_prefix(got.size());
    if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
      auto value = decode_path_segment(got);
      if (!value || value->empty()) return false;
      found.emplace_back(std::string(want.substr(1, want.size() - 2)), std::move(*value));
    } else if (want != got) {
      return false;
    }
  }
  if (params) *params = std::move(found);
  return true;
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match m;
  for (const Surface& surface : surfaces_) {
    for (const Route& route : surface.routes) {
      std::vector<std::pair<std::string, std::string>> params;
      if (!match_path(route.path, path, &params)) continue;
      if (!m.surface) {
        m.surface = &surface;
        m.path = route.path;
        m.allow = allow_.find(route.path)->second;
      }
      // HEAD runs the GET route; the transport sends its headers without the body.
      if (route.method == method || (method == "HEAD" && route.method == "GET")) {
        m.route = &route;
        m.surface = &surface;
        m.params = std::move(params);
        return m;
      }
    }
  }
  if (!m.surface) {
    for (const Surface& surface : surfaces_) {
      if (!surface.prefix.empty() && path.starts_with(surface.prefix)) {
        m.surface = &surface;
        m.path = surface.prefix;
        break;
      }
    }
  }
  return m;
}

}  // namespace discovery
