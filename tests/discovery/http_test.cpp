// Unit tests of the code-to-status mapping and the error body.
#include "discovery/http.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

TEST_CASE("http_status follows DESIGN.md §4") {
  using resolver::Code;
  CHECK(discovery::http_status(Code::invalid_identifier) == 400);
  CHECK(discovery::http_status(Code::invalid_request) == 400);
  CHECK(discovery::http_status(Code::unauthorized) == 401);
  CHECK(discovery::http_status(Code::forbidden) == 403);
  CHECK(discovery::http_status(Code::not_found) == 404);
  CHECK(discovery::http_status(Code::method_not_allowed) == 405);
  CHECK(discovery::http_status(Code::payload_too_large) == 413);
  CHECK(discovery::http_status(Code::rate_limited) == 429);
  CHECK(discovery::http_status(Code::quota_exceeded) == 429);
  CHECK(discovery::http_status(Code::internal) == 500);
  CHECK(discovery::http_status(Code::unavailable) == 503);
}

TEST_CASE("error_response: JSON body, request id, content type") {
  auto r = discovery::error_response(resolver::Status(resolver::Code::forbidden, "No."), "abc");
  CHECK(r.status == 403);
  CHECK(r.content_type == "application/json; charset=utf-8");
  auto j = nlohmann::json::parse(r.body);
  CHECK(j["error"]["code"] == "forbidden");
  CHECK(j["error"]["message"] == "No.");
  CHECK(r.headers.at(0) == std::pair<std::string, std::string>("X-Request-Id", "abc"));
  CHECK(r.headers.size() == 1);
}

TEST_CASE("error_response: a 503 says when to retry") {
  auto r = discovery::error_response(resolver::Status(resolver::Code::unavailable, "The index cannot be read."), "abc");
  CHECK(r.status == 503);
  CHECK(r.headers.at(1) == std::pair<std::string, std::string>("Retry-After", "1"));
}

TEST_CASE("Request::header ignores case") {
  discovery::Request r;
  r.headers.emplace_back("authorization", "Bearer x");
  CHECK(r.header("Authorization") == "Bearer x");
  CHECK_FALSE(r.header("Host"));
}
