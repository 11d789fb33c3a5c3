// The Redis URL of rate_limits.redis. Strict, so that a typo fails at start, not at the first
// lookup.
#include "discovery/redis_url.hpp"

#include <charconv>
#include <string_view>

namespace discovery {
namespace {

bool read_number(std::string_view text, int lo, int hi, int& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size() && out >= lo && out <= hi;
}

}  // namespace

resolver::Result<RedisUrl> parse_redis_url(const std::string& url) {
  auto bad = [&](const std::string& why) {
    return resolver::Status(resolver::Code::invalid_request,
                            "config key \"rate_limits.redis\" " + why + "; expected redis://HOST:PORT[/DB].");
  };
  constexpr std::string_view kScheme = "redis://";
  std::string_view rest = url;
  if (rest.substr(0, kScheme.size()) != kScheme) return bad("must start with redis://");
  rest.remove_prefix(kScheme.size());
  if (rest.find('@') != std::string_view::npos) return bad("holds credentials, which are not supported");
  RedisUrl out;
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    if (!read_number(rest.substr(slash + 1), 0, 1000, out.db)) return bad("has a database that is not a number");
    rest = rest.substr(0, slash);
  }
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos) return bad("has an IPv6 address without its closing ]");
    out.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty() && rest.front() != ':') return bad("has text after the IPv6 address");
    if (!rest.empty()) port = rest.substr(1);
    if (rest.size() == 1) return bad("has an empty port");
  } else {
    auto colon = rest.find(':');
    out.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = rest.substr(colon + 1);
      if (port.empty()) return bad("has an empty port");
    }
  }
  if (out.host.empty()) return bad("has no host");
  if (!port.empty() && !read_number(port, 1, 65535, out.port)) return bad("has a port that is not 1 to 65535");
  return out;
}

}  // namespace discovery
