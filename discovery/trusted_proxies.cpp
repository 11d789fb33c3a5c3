// The forwarding rule of DESIGN.md §7: walk the hops from the right, skip the trusted proxies,
// the first other hop is the caller. Addresses are parsed by inet_pton, never by hand.
#include "discovery/trusted_proxies.hpp"

#include <arpa/inet.h>

#include <cctype>
#include <charconv>
#include <cstring>

namespace discovery {
namespace {

struct Address {
  std::array<std::uint8_t, 16> bytes{};  // IPv4 in the first 4 bytes
  bool v4 = false;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A bare IPv4 or IPv6 address; IPv4-mapped IPv6 becomes IPv4.
std::optional<Address> parse_ip(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string s(text);
  Address a;
  if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.v4 = true;
    return a;
  }
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) != 1) return std::nullopt;
  static const std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(a.bytes.data(), kMapped, sizeof kMapped) == 0) {
    std::memmove(a.bytes.data(), a.bytes.data() + 12, 4);
    std::memset(a.bytes.data() + 4, 0, 12);
    a.v4 = true;
  }
  return a;
}

bool is_port(std::string_view p) {
  return !p.empty() && p.size() <= 5 && p.find_first_not_of("0123456789") == std::string_view::npos;
}

// One hop as proxies write it: "192.0.2.1", "192.0.2.1:4711", "2001:db8::1", "[2001:db8::1]",
// "[2001:db8::1]:4711".
std::optional<Address> parse_hop(std::string_view hop) {
  hop = trim(hop);
  if (!hop.empty() && hop.front() == '[') {
    auto close = hop.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view rest = hop.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || !is_port(rest.substr(1)))) return std::nullopt;
    auto a = parse_ip(hop.substr(1, close - 1));
    return a && !a->v4 ? a : std::nullopt;
  }
  if (auto colon = hop.find(':'); colon != std::string_view::npos && hop.find(':', colon + 1) == std::string_view::npos) {
    auto a = parse_ip(hop.substr(0, colon));  // IPv4 with a port
    return a && a->v4 && is_port(hop.substr(colon + 1)) ? a : std::nullopt;
  }
  return parse_ip(hop);
}

std::string to_text(const Address& a) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(a.v4 ? AF_INET : AF_INET6, a.bytes.data(), text, sizeof text);
  return text;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

// Splits `s` at `sep`, keeping empty parts.
std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (std::size_t start = 0;;) {
    auto at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

// The `for=` value of each element of a Forwarded header (RFC 7239 §4), quotes removed; an
// element without one yields "" (not an address).
std::vector<std::string_view> forwarded_for(std::string_view header) {
  std::vector<std::string_view> hops;
  for (std::string_view element : split(header, ',')) {
    std::string_view value;
    for (std::string_view pair : split(element, ';')) {
      pair = trim(pair);
      auto eq = pair.find('=');
      if (eq == std::string_view::npos || !iequals(trim(pair.substr(0, eq)), "for")) continue;
      value = trim(pair.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    }
    hops.push_back(value);
  }
  return hops;
}

bool in_range(const Address& a, const std::array<std::uint8_t, 16>& net, bool v4, int prefix) {
  if (a.v4 != v4) return false;
  int full = prefix / 8;
  if (std::memcmp(a.bytes.data(), net.data(), static_cast<std::size_t>(full)) != 0) return false;
  int rest = prefix % 8;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a.bytes[full] & mask) == (net[full] & mask);
}

}  // namespace

resolver::Result<TrustedProxies> TrustedProxies::parse(const std::vector<std::string>& cidrs) {
  TrustedProxies out;
  for (const std::string& cidr : cidrs) {
    auto bad = resolver::Status(resolver::Code::invalid_request,
                                "trusted_proxies entry \"" + cidr.substr(0, 64) +
                                    "\" is not an IPv4 or IPv6 CIDR such as 10.0.0.0/8 or 2001:db8::/32.");
    std::string_view text = cidr;
    auto slash = text.find('/');
    auto a = parse_ip(text.substr(0, slash));
    if (!a) return bad;
    const int max = a->v4 ? 32 : 128;
    int prefix = max;
    if (slash != std::string_view::npos) {
      std::string_view p = text.substr(slash + 1);
      auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
      if (p.empty() || ec != std::errc() || end != p.data() + p.size() || prefix < 0 || prefix > max) return bad;
    }
    out.ranges_.push_back({a->bytes, a->v4, prefix});
  }
  return out;
}

bool TrustedProxies::contains(std::string_view address) const {
  auto a = parse_ip(address);
  if (!a) return false;
  for (const Range& r : ranges_) {
    if (in_range(*a, r.bytes, r.v4, r.prefix)) return true;
  }
  return false;
}

std::string TrustedProxies::client_address(const std::string& peer,
                                           std::optional<std::string_view> x_forwarded_for,
                                           std::optional<std::string_view> forwarded) const {
  if (ranges_.empty() || x_forwarded_for.has_value() == forwarded.has_value() || !contains(peer)) return peer;
  std::vector<std::string_view> hops = x_forwarded_for ? split(*x_forwarded_for, ',') : forwarded_for(*forwarded);
  std::optional<Address> leftmost;
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    auto a = parse_hop(*it);
    if (!a) return peer;  // a malformed or hidden hop: nothing to its left can be believed
    bool trusted = false;
    for (const Range& r : ranges_) trusted = trusted || in_range(*a, r.bytes, r.v4, r.prefix);
    if (!trusted) return to_text(*a);
    leftmost = a;
  }
  return leftmost ? to_text(*leftmost) : peer;
}

}  // namespace discovery
