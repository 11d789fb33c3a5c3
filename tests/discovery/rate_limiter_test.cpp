// Unit tests of the caller key (DESIGN.md §7) and the default limiter.
#include "discovery/rate_limiter.hpp"

#include <doctest/doctest.h>

TEST_CASE("caller_key: token first, IPv4 as is, IPv6 masked to /64") {
  CHECK(discovery::caller_key(std::string("tok_1"), "192.0.2.1") == "token:tok_1");
  CHECK(discovery::caller_key(std::nullopt, "192.0.2.1") == "ip:192.0.2.1");
  CHECK(discovery::caller_key(std::nullopt, "2001:db8:1:2:3:4:5:6") == "ip:2001:db8:1:2::/64");
  CHECK(discovery::caller_key(std::nullopt, "::ffff:192.0.2.9") == "ip:192.0.2.9");
}

TEST_CASE("UnlimitedRateLimiter admits everything without headers") {
  discovery::UnlimitedRateLimiter l;
  auto d = l.admit({"ip:1.2.3.4", resolver::Role::anonymous, 1000, {}});
  CHECK(d.status.ok());
  CHECK_FALSE(d.headers);
}
