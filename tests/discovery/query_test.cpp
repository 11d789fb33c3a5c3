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
                       "/?a=%ED%A0%80", "/?a=%C0%AF", "/?a=%F4%90%80%80", "/?%FF=1"};
  for (const char* t : bad) {
    CAPTURE(t);
    auto r = discovery::parse_target(t);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == resolver::Code::invalid_request);
  }
}

TEST_CASE("parse_target keeps repeated parameters in order, routes decide whether they may repeat") {
  auto t = discovery::parse_target("/x?rel=b&id=1&rel=a");
  REQUIRE(t.ok());
  CHECK(t->values("rel") == std::vector<std::string>{"b", "a"});
  CHECK(t->param("rel") == "b");
  CHECK(t->repeated() == "rel");
  CHECK_FALSE(discovery::parse_target("/x?a=1&b=2")->repeated().has_value());
}

TEST_CASE("decode_path_segment: escapes decoded, plus literal, slashes and controls refused") {
  CHECK(discovery::decode_path_segment("a%2Bb+c") == "a+b+c");
  CHECK(discovery::decode_path_segment("caf%C3%A9") == "caf\xC3\xA9");
  for (const char* bad : {"a%2Fb", "%", "%zz", "%00", "%C3"}) {
    CAPTURE(bad);
    CHECK_FALSE(discovery::decode_path_segment(bad).has_value());
  }
}

TEST_CASE("parse_target with QueryPlus::literal decodes percent escapes only: '+' stays a plus sign") {
  using discovery::QueryPlus;
  auto t = discovery::parse_target("/x?resource=tel:+1+415&a+b=%2B%20c", QueryPlus::literal);
  REQUIRE(t.ok());
  CHECK(t->param("resource") == "tel:+1+415");
  CHECK(t->param("a+b") == "+ c");
  CHECK(discovery::parse_target("/x?r=%zz", QueryPlus::literal).status().code() ==
        resolver::Code::invalid_request);
}
