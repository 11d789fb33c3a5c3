// Unit tests of the forwarding rule of DESIGN.md §7: which CIDRs parse, and which address is the
// caller for a table of peers and headers, malformed ones included.
#include "discovery/trusted_proxies.hpp"

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

using discovery::TrustedProxies;

TEST_CASE("TrustedProxies::parse: IPv4 and IPv6 CIDRs and bare addresses") {
  for (const char* good : {"10.0.0.0/8", "192.0.2.7", "0.0.0.0/0", "2001:db8::/32", "::1", "::/0",
                           "::ffff:10.0.0.0/8", "fd00::/128"}) {
    CAPTURE(good);
    CHECK(TrustedProxies::parse({good}));
  }
  for (const char* bad : {"", "10.0.0.0/33", "2001:db8::/129", "10.0.0/8", "10.0.0.0/", "10.0.0.0/-1",
                          "10.0.0.0/8x", "example.com/8", "[::1]", "10.0.0.0/ 8", "1.2.3.4.5"}) {
    CAPTURE(bad);
    auto p = TrustedProxies::parse({"10.0.0.0/8", bad});
    REQUIRE_FALSE(p);
    CHECK(p.status().code() == resolver::Code::invalid_request);
    CHECK(p.status().message().find("is not an IPv4 or IPv6 CIDR") != std::string::npos);
  }
}

TEST_CASE("TrustedProxies::contains: prefixes, both families, IPv4-mapped IPv6") {
  auto p = *TrustedProxies::parse({"10.0.0.0/8", "192.0.2.128/25", "2001:db8:aa::/48"});
  const std::vector<std::pair<const char*, bool>> cases = {
      {"10.255.1.2", true},         {"11.0.0.1", false},      {"192.0.2.200", true},
      {"192.0.2.127", false},       {"::ffff:10.1.2.3", true}, {"2001:db8:aa:ffff::1", true},
      {"2001:db8:ab::1", false},    {"not an address", false}};
  for (const auto& c : cases) {
    // Named locals: clang 14 cannot capture a structured binding in CAPTURE's lambda.
    const char* address = c.first;
    const bool inside = c.second;
    CAPTURE(address);
    CHECK(p.contains(address) == inside);
  }
}

TEST_CASE("TrustedProxies::client_address: the rightmost untrusted hop, else the peer") {
  auto p = *TrustedProxies::parse({"10.0.0.0/8", "2001:db8:ff::/48"});
  using O = std::optional<std::string_view>;
  struct Case {
    const char* peer;
    O xff, fwd;
    const char* expected;
  };
  const std::vector<Case> cases = {
      // Good headers from a trusted peer.
      {"10.0.0.1", "198.51.100.7", {}, "198.51.100.7"},
      {"10.0.0.1", "203.0.113.9, 198.51.100.7", {}, "198.51.100.7"},           // rightmost untrusted
      {"10.0.0.1", "203.0.113.9, 198.51.100.7, 10.0.0.2", {}, "198.51.100.7"},  // trusted hops skipped
      {"10.0.0.1", "10.0.0.3, 10.0.0.2", {}, "10.0.0.3"},                       // all trusted: leftmost
      {"10.0.0.1", " 198.51.100.7:4711 ", {}, "198.51.100.7"},
      {"10.0.0.1", "2001:DB8::1", {}, "2001:db8::1"},
      {"10.0.0.1", "[2001:db8::1]:4711", {}, "2001:db8::1"},
      {"10.0.0.1", "::ffff:198.51.100.7", {}, "198.51.100.7"},
      {"::ffff:10.0.0.1", "198.51.100.7", {}, "198.51.100.7"},
      {"2001:db8:ff::5", "198.51.100.7", {}, "198.51.100.7"},
      {"10.0.0.1", {}, "for=198.51.100.7;proto=https", "198.51.100.7"},
      {"10.0.0.1", {}, "for=203.0.113.9, For=\"[2001:db8::1]:4711\"", "2001:db8::1"},
      {"10.0.0.1", {}, "for=198.51.100.7, for=10.0.0.2;by=10.0.0.1", "198.51.100.7"},
      // Headers ignored: untrusted peer, no header, both headers.
      {"198.51.100.1", "203.0.113.9", {}, "198.51.100.1"},
      {"10.0.0.1", {}, {}, "10.0.0.1"},
      {"10.0.0.1", "203.0.113.9", "for=198.51.100.7", "10.0.0.1"},
      // Malformed: the peer.
      {"10.0.0.1", "", {}, "10.0.0.1"},
      {"10.0.0.1", "203.0.113.9,", {}, "10.0.0.1"},
      {"10.0.0.1", "not-an-ip", {}, "10.0.0.1"},
      {"10.0.0.1", "203.0.113.9, garbage, 10.0.0.2", {}, "10.0.0.1"},
      {"10.0.0.1", "[2001:db8::1", {}, "10.0.0.1"},
      {"10.0.0.1", "[198.51.100.7]", {}, "10.0.0.1"},
      {"10.0.0.1", "2001:db8::1:4711x", {}, "10.0.0.1"},
      {"10.0.0.1", "198.51.100.7:", {}, "10.0.0.1"},
      {"10.0.0.1", {}, "for=unknown", "10.0.0.1"},
      {"10.0.0.1", {}, "for=_hidden", "10.0.0.1"},
      {"10.0.0.1", {}, "proto=https", "10.0.0.1"},
      {"10.0.0.1", {}, "for=\"198.51.100.7", "10.0.0.1"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.peer);
    CAPTURE(c.xff.value_or("(none)"));
    CAPTURE(c.fwd.value_or("(none)"));
    CHECK(p.client_address(c.peer, c.xff, c.fwd) == c.expected);
  }
}

TEST_CASE("TrustedProxies: an empty list ignores the forwarding headers") {
  TrustedProxies none;
  CHECK(none.empty());
  CHECK(none.client_address("10.0.0.1", std::string_view("198.51.100.7"), std::nullopt) == "10.0.0.1");
}
