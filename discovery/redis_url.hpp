// RedisUrl: where the shared rate limiter's Redis is (DESIGN.md §10), parsed from
// "redis://HOST:PORT[/DB]". Pure; a plain value.
#pragma once

#include <string>

#include "resolver/status.hpp"

namespace discovery {

struct RedisUrl {
  std::string host;  // a name or an IP address, without the brackets of an IPv6 literal
  int port = 6379;
  int db = 0;
};

// "redis://HOST[:PORT][/DB]" (HOST may be "[IPv6]"); the port defaults to 6379 and the database
// to 0. Failure: invalid_request saying which part is wrong (credentials and TLS are not
// supported: rediss:// and user:password@ are refused).
resolver::Result<RedisUrl> parse_redis_url(const std::string& url);

}  // namespace discovery
