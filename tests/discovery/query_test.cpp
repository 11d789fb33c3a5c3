// Unit tests of request target parsing.
#include "discovery/query.hpp"

#include <doctest/doctest.h>

TEST_CASE("parse_target: good targets") {
  auto t = discovery::parse_target("/v1/lookup?id=tel%3A%2B1415&region=US&&federate");
  REQUIRE(t.ok());
  CHECK(t->path == "/v1/lookup");
  CHECK(t->param("id") == "tel:+1415");
  CHECK(t->param("region") == "US");
  CHECK(t->param("federate") == "");
  CHECK_FALSE(t->param("provider"));
  CHECK(discovery::parse_target("/v1/lookup?id=+1415")->param("id") == "+1415");
  CHECK(discovery::parse_target("/v1/lookup?id=%2B1+(415)+555")->param("id") == "+1 (415) 555");
  CHECK(discovery::parse_target("/v1/lookup?id=+1+415")->param("id") == "+1 415");
  CHECK(discovery::parse_target("/v1/lookup?a+b=c")->param("a b") == "c");
  CHECK(discovery::parse_target("/x?id=%C3%A9")->param("id") == "\xC3\xA9");
  CHECK(discovery::parse_target("/healthz")->params.empty());
}

TEST_CASE("parse_target: bad targets are invalid_request") {
  const char* bad[] = {"", "http://x/v1", "*", "/?a=%", "/?a=%4", "/?a=%g0", "/?a=%00", "/?a=%C3",
                       "/?a=%ED%A0%80", "/?a=%C0%AF", "/?a=%F4%90%80%80", "/?a=1&a=2", "/?%FF=1"};
  for (const char* t : bad) {
    CAPTURE(t);
    auto r = discovery::parse_target(t);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == resolver::Code::invalid_request);
  }
}
