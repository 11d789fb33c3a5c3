// Router: finds the route of a request in the surfaces' tables, by method and path (templates
// with `{name}` segments included), and the methods a path allows for a 405. Immutable after
// construction; thread-safe.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "discovery/route.hpp"

namespace discovery {

class Router {
 public:
  // REQUIRES: no two routes share a method and a path.
  explicit Router(std::vector<Surface> surfaces);
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  struct Match {
    const Route* route = nullptr;      // null when no route has this path and method
    const Surface* surface = nullptr;  // the surface that has the path; null when none has it
    std::string_view path;             // the matched route path (a template): the route's name
    std::string_view allow;            // the matched path's methods, "GET, POST", for 405's Allow
    std::vector<std::pair<std::string, std::string>> params;  // of the matched template
  };
  // The route for `method` and `path` (the path as sent, without the query).
  Match match(std::string_view method, std::string_view path) const;

  const std::vector<Surface>& surfaces() const { return surfaces_; }

 private:
  std::vector<Surface> surfaces_;
  // Each route path's methods, joined once here rather than on every request.
  std::map<std::string_view, std::string, std::less<>> allow_;
};

// True when `path` matches the route path `pattern`: equal, or equal except that each `{name}`
// segment of the pattern matches one non-empty segment, percent-decoded into `params` (which may
// be null). A segment with a malformed escape or a decoded '/' matches nothing.
bool match_path(std::string_view pattern, std::string_view path,
                std::vector<std::pair<std::string, std::string>>* params);

}  // namespace discovery
