// The lookup page's routes: one embedded file each, with security headers on every answer.
#include "discovery/web_routes.hpp"

#include "discovery/web_assets.hpp"

namespace discovery {
namespace {

// The page loads only its own script and style sheet and talks only to this server (the API);
// nothing inline, no frames, no forms posting elsewhere.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

resolver::Result<Response> asset(std::string_view name) {
  for (const WebAsset& a : web_assets()) {
    if (a.name != name) continue;
    Response r;
    r.content_type = std::string(a.content_type);
    r.body = std::string(a.body);
    // The files change only with the binary; a browser revalidates rather than serve a stale page.
    r.headers.emplace_back("Cache-Control", "no-cache");
    return r;
  }
  // Only if discovery/web/ lost a file the routes name: a build fault, not the caller's.
  return resolver::Status(resolver::Code::internal, "The lookup page's file " + std::string(name) + " is not built in.");
}

}  // namespace

Surface WebRoutes::surface() {
  Surface s{"web", Dialect::mimi, {}, {}};
  s.routes = {
      {.method = "GET", .path = "/", .handler = bind(&WebRoutes::page)},
      {.method = "GET", .path = "/web/lookup.js", .handler = bind(&WebRoutes::script)},
      {.method = "GET", .path = "/web/lookup.css", .handler = bind(&WebRoutes::style)},
  };
  s.headers = {{"Content-Security-Policy", kContentSecurityPolicy},
               {"X-Content-Type-Options", "nosniff"},
               {"Referrer-Policy", "no-referrer"},
               {"X-Frame-Options", "DENY"},
               {"Cross-Origin-Opener-Policy", "same-origin"}};
  return s;
}

resolver::Result<Response> WebRoutes::page(Call&) { return asset("index.html"); }
resolver::Result<Response> WebRoutes::script(Call&) { return asset("lookup.js"); }
resolver::Result<Response> WebRoutes::style(Call&) { return asset("lookup.css"); }

}  // namespace discovery
