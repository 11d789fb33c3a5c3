// WebRoutes: the lookup page for people (DESIGN.md §13): GET / answers the page, GET /web/<file>
// its script and style sheet, all compiled in (web_assets.hpp). The page calls the public API as
// an anonymous caller from the browser; these routes only serve files, so they are not limited.
// Every answer carries a Content-Security-Policy without inline script. Config `web.enabled`
// false leaves the surface out. Thread-safe: the files are immutable.
#pragma once

#include "discovery/route.hpp"

namespace discovery {

class WebRoutes final : public Routes {
 public:
  explicit WebRoutes(RouteContext ctx) : Routes(ctx) {}
  Surface surface() override;

 private:
  resolver::Result<Response> page(Call& call);
  resolver::Result<Response> script(Call& call);
  resolver::Result<Response> style(Call& call);
};

}  // namespace discovery
