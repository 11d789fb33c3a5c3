// RedisConnectionPool: a few hiredis connections to one Redis, each used by one thread at a time,
// with short connect and command timeouts so that a dead Redis costs a request at most one
// timeout (DESIGN.md §10). Thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "discovery/redis_url.hpp"
#include "resolver/status.hpp"

struct redisContext;
struct redisReply;

namespace discovery {

// One Redis reply, in the shapes the limiter uses.
struct RedisReply {
  enum class Kind { nil, integer, text, error, array };
  Kind kind = Kind::nil;
  long long integer = 0;
  std::string text;  // a string, a status or an error
  std::vector<RedisReply> elements;
};

class RedisConnectionPool {
 public:
  struct Options {
    RedisUrl url;
    std::chrono::milliseconds connect_timeout{250};
    std::chrono::milliseconds command_timeout{250};
    std::size_t max_idle = 16;  // connections kept between requests; more are opened when busy
  };
  explicit RedisConnectionPool(Options options);
  ~RedisConnectionPool();
  RedisConnectionPool(const RedisConnectionPool&) = delete;
  RedisConnectionPool& operator=(const RedisConnectionPool&) = delete;

  // Sends one command (binary-safe arguments) on an idle connection, or a new one, and returns
  // the reply; an error reply from Redis is a value (Kind::error), not a failure.
  // Failure: unavailable with a sentence naming the Redis address and what failed (connect,
  // timeout, connection lost); the connection is dropped.
  resolver::Result<RedisReply> command(const std::vector<std::string>& args);
  // Closes every idle connection (after an outage they are all dead).
  void drop_idle();

 private:
  struct Free {
    void operator()(redisContext* c) const;
  };
  using Connection = std::unique_ptr<redisContext, Free>;
  resolver::Result<Connection> connect() const;
  std::string where() const;

  const Options options_;
  std::mutex mu_;
  std::vector<Connection> idle_;  // guarded by mu_
};

}  // namespace discovery
