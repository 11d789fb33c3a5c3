// The lookup page's routes (DESIGN.md §13): the embedded files with their types and security
// headers, and web.enabled false leaving them out. The page itself is tested in Chromium
// (tests/interop/lookup_page.test.mjs).
#include "discovery/web_routes.hpp"

#include <doctest/doctest.h>

#include "discovery/web_assets.hpp"
#include "tests/discovery/service_fixture.hpp"

using test::ServiceFixture;

TEST_CASE("the lookup page, its script and style sheet are served with a CSP without inline script") {
  ServiceFixture f;
  const struct {
    const char* target;
    const char* type;
    const char* needle;
  } cases[] = {
      {"/", "text/html; charset=utf-8", "<label for=\"identifier\">"},
      {"/web/lookup.js", "text/javascript; charset=utf-8", "crypto.subtle.verify"},
      {"/web/lookup.css", "text/css; charset=utf-8", "@media"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.target);
    auto r = f.call("GET", c.target);
    CHECK(r.status == 200);
    CHECK(r.content_type == c.type);
    CHECK(r.body.find(c.needle) != std::string::npos);
    const std::string csp = ServiceFixture::header(r, "Content-Security-Policy");
    CHECK(csp.find("script-src 'self'") != std::string::npos);
    CHECK(csp.find("unsafe-inline") == std::string::npos);
    CHECK(ServiceFixture::header(r, "X-Content-Type-Options") == "nosniff");
    CHECK(ServiceFixture::header(r, "X-Frame-Options") == "DENY");
  }
  // The page holds no inline script: the CSP would block it.
  const auto page = f.call("GET", "/").body;
  CHECK(page.find("<script>") == std::string::npos);
  CHECK(page.find("onclick") == std::string::npos);
  CHECK(f.call("POST", "/").status == 405);
  CHECK(f.call("GET", "/web/other.js").status == 404);
}

TEST_CASE("web.enabled false leaves the page out") {
  discovery::Config config;
  config.web.enabled = false;
  ServiceFixture f(nullptr, config);
  CHECK(f.call("GET", "/").status == 404);
  CHECK(f.call("GET", "/web/lookup.js").status == 404);
  CHECK(f.call("GET", "/.well-known/mimi-discovery").status == 200);
}

TEST_CASE("every embedded file is one the routes serve") {
  for (const auto& a : discovery::web_assets()) {
    CAPTURE(a.name);
    CHECK((a.name == "index.html" || a.name == "lookup.js" || a.name == "lookup.css"));
    CHECK_FALSE(a.body.empty());
  }
  CHECK(discovery::web_assets().size() == 3);
}
