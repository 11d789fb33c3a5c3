// Unit tests of rate_limits.redis parsing (DESIGN.md §10): a table of good URLs and bad ones.
#include "discovery/redis_url.hpp"

#include <doctest/doctest.h>

#include <string>

TEST_CASE("parse_redis_url: host, port and database") {
  struct Good {
    const char* url;
    const char* host;
    int port, db;
  };
  for (const Good& g : {Good{"redis://127.0.0.1:6380", "127.0.0.1", 6380, 0},
                        Good{"redis://redis.internal", "redis.internal", 6379, 0},
                        Good{"redis://127.0.0.1:6379/3", "127.0.0.1", 6379, 3},
                        Good{"redis://[::1]:7000/1", "::1", 7000, 1},
                        Good{"redis://[::1]", "::1", 6379, 0}}) {
    CAPTURE(g.url);
    auto u = discovery::parse_redis_url(g.url);
    REQUIRE(u);
    CHECK(u->host == g.host);
    CHECK(u->port == g.port);
    CHECK(u->db == g.db);
  }
}

TEST_CASE("parse_redis_url: bad URLs say what is wrong") {
  struct Bad {
    const char* url;
    const char* why;
  };
  for (const Bad& b : {Bad{"127.0.0.1:6379", "must start with redis://"},
                       Bad{"rediss://h:1", "must start with redis://"},
                       Bad{"redis://:pw@h:1", "credentials"}, Bad{"redis://", "has no host"},
                       Bad{"redis://h:", "empty port"}, Bad{"redis://h:0", "port that is not"},
                       Bad{"redis://h:65536", "port that is not"}, Bad{"redis://h:x", "port that is not"},
                       Bad{"redis://h:1/x", "database that is not"}, Bad{"redis://[::1", "closing ]"},
                       Bad{"redis://[::1]x", "text after"}}) {
    CAPTURE(b.url);
    auto u = discovery::parse_redis_url(b.url);
    REQUIRE_FALSE(u);
    CHECK(u.status().code() == resolver::Code::invalid_request);
    CHECK(u.status().message().find(b.why) != std::string::npos);
  }
}
