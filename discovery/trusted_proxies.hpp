// TrustedProxies: the load balancers whose forwarding headers discoveryd believes (DESIGN.md §7,
// §10), and the rule that finds the caller's address behind them. Pure: no I/O, no clock.
// Thread-safe once built (read-only).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/status.hpp"

namespace discovery {

class TrustedProxies {
 public:
  // No proxy: forwarding headers are ignored.
  TrustedProxies() = default;

  // From CIDRs ("10.0.0.0/8", "2001:db8::/32"; a bare address is a /32 or /128).
  // Failure: invalid_request naming the entry that is not an IPv4 or IPv6 CIDR.
  static resolver::Result<TrustedProxies> parse(const std::vector<std::string>& cidrs);

  bool empty() const { return ranges_.empty(); }
  // True when `address` (an IP in text; IPv4-mapped IPv6 counts as IPv4) is in one of the ranges.
  bool contains(std::string_view address) const;

  // The caller's address for a connection from `peer`. When `peer` is trusted and exactly one of
  // X-Forwarded-For and Forwarded was sent, the rightmost address of that header that is not
  // trusted (or its leftmost when every hop is trusted), in canonical text. `peer` otherwise: no
  // trusted proxy, an untrusted peer, no header, both headers (a client may have forged the one
  // the proxy does not use), or a hop that is not an IP address (`unknown`, an obfuscated name,
  // garbage).
  std::string client_address(const std::string& peer, std::optional<std::string_view> x_forwarded_for,
                             std::optional<std::string_view> forwarded) const;

 private:
  struct Range {
    std::array<std::uint8_t, 16> bytes{};  // IPv4 in the first 4 bytes
    bool v4 = false;
    int prefix = 0;
  };
  std::vector<Range> ranges_;
};

}  // namespace discovery
