// Tests for discovery/router.hpp: exact and template paths, 405's Allow, the first surface wins.
#include "discovery/router.hpp"

#include <doctest/doctest.h>

using discovery::Route;
using discovery::Router;
using discovery::Surface;

namespace {

Route route(std::string_view method, std::string_view path) {
  return Route{.method = method, .path = path};
}

Router make_router() {
  return Router({Surface{"a", discovery::Dialect::mimi,
                         {route("GET", "/v1/lookup"), route("POST", "/v1/lookup"),
                          route("GET", "/v1/private/buckets/{key_id}/{bucket}")}},
                 Surface{"b", discovery::Dialect::mimi, {route("GET", "/healthz")}}});
}

}  // namespace

TEST_CASE("match_path: good cases") {
  struct Case {
    const char* pattern;
    const char* path;
    std::vector<std::pair<std::string, std::string>> params;
  };
  const Case good[] = {
      {"/v1/lookup", "/v1/lookup", {}},
      {"/b/{k}/{n}", "/b/abc/12", {{"k", "abc"}, {"n", "12"}}},
      {"/b/{k}", "/b/a%2Bb+c", {{"k", "a+b+c"}}},
      {"/b/{k}/x", "/b/%C3%A9/x", {{"k", "\xC3\xA9"}}},
  };
  for (const auto& c : good) {
    CAPTURE(c.path);
    std::vector<std::pair<std::string, std::string>> params;
    CHECK(discovery::match_path(c.pattern, c.path, &params));
    CHECK(params == c.params);
  }
}

TEST_CASE("match_path: bad cases") {
  const std::pair<const char*, const char*> bad[] = {
      {"/v1/lookup", "/v1/lookup/"}, {"/v1/lookup", "/v1/Lookup"}, {"/b/{k}", "/b/"},
      {"/b/{k}", "/b"},              {"/b/{k}", "/b/x/y"},         {"/b/{k}/{n}", "/b/x"},
      {"/b/{k}", "/b/a%2Fb"},        {"/b/{k}", "/b/%zz"},         {"/b/{k}", "/c/x"},
  };
  for (const auto& c : bad) {
    // Named locals: clang 14 cannot capture a structured binding in CAPTURE's lambda.
    const char* pattern = c.first;
    const char* path = c.second;
    CAPTURE(path);
    CHECK_FALSE(discovery::match_path(pattern, path, nullptr));
  }
}

TEST_CASE("Router: a route by method and path, or the path's methods for 405") {
  Router r = make_router();
  auto get = r.match("GET", "/v1/lookup");
  REQUIRE(get.route);
  CHECK(get.route->method == "GET");
  CHECK(get.surface->name == "a");
  CHECK(get.allow == "GET, HEAD, POST");
  CHECK(get.path == "/v1/lookup");

  auto put = r.match("PUT", "/v1/lookup");
  CHECK(put.route == nullptr);
  REQUIRE(put.surface);
  CHECK(put.allow == "GET, HEAD, POST");

  auto bucket = r.match("GET", "/v1/private/buckets/k1/42");
  REQUIRE(bucket.route);
  CHECK(bucket.path == "/v1/private/buckets/{key_id}/{bucket}");  // the name in metrics and logs
  CHECK(bucket.params == std::vector<std::pair<std::string, std::string>>{{"key_id", "k1"}, {"bucket", "42"}});

  CHECK(r.match("GET", "/healthz").surface->name == "b");
  auto none = r.match("GET", "/nope");
  CHECK(none.route == nullptr);
  CHECK(none.surface == nullptr);
}

TEST_CASE("Call::path_param reads the segments the Router matched") {
  Router r = make_router();
  auto m = r.match("GET", "/v1/private/buckets/k%2B1/7");
  discovery::Request request;
  discovery::Call call{request, "rid", {}, m.params};
  CHECK(call.path_param("key_id") == "k+1");
  CHECK(call.path_param("bucket") == "7");
  CHECK_FALSE(call.path_param("prefix").has_value());
}
