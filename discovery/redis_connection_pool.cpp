// hiredis behind a pool. hiredis errors become unavailable here, in one place (STYLE.md,
// Errors 10); nothing above sees a redisContext.
#include "discovery/redis_connection_pool.hpp"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <cerrno>

namespace discovery {
namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
  return {static_cast<time_t>(ms.count() / 1000), static_cast<suseconds_t>(ms.count() % 1000 * 1000)};
}

RedisReply convert(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.kind = RedisReply::Kind::integer;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      out.kind = RedisReply::Kind::text;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.kind = RedisReply::Kind::error;
      out.text.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.kind = RedisReply::Kind::array;
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
      break;
    default:
      break;
  }
  return out;
}

}  // namespace

void RedisConnectionPool::Free::operator()(redisContext* c) const { redisFree(c); }

RedisConnectionPool::RedisConnectionPool(Options options) : options_(std::move(options)) {}

RedisConnectionPool::~RedisConnectionPool() = default;

std::string RedisConnectionPool::where() const {
  return "Redis at " + options_.url.host + ":" + std::to_string(options_.url.port);
}

resolver::Result<RedisConnectionPool::Connection> RedisConnectionPool::connect() const {
  Connection c(redisConnectWithTimeout(options_.url.host.c_str(), options_.url.port,
                                       to_timeval(options_.connect_timeout)));
  if (!c) return resolver::Status(resolver::Code::unavailable, "Cannot allocate a connection to " + where() + ".");
  if (c->err) {
    return resolver::Status(resolver::Code::unavailable, "Cannot connect to " + where() + ": " + c->errstr + ".");
  }
  if (redisSetTimeout(c.get(), to_timeval(options_.command_timeout)) != REDIS_OK) {
    return resolver::Status(resolver::Code::unavailable, "Cannot set a timeout on the connection to " + where() + ".");
  }
  if (options_.url.db != 0) {
    auto* r = static_cast<redisReply*>(redisCommand(c.get(), "SELECT %d", options_.url.db));
    const bool ok = r && r->type == REDIS_REPLY_STATUS;
    if (r) freeReplyObject(r);
    if (!ok) {
      return resolver::Status(resolver::Code::unavailable, where() + " refused database " +
                                                               std::to_string(options_.url.db) + ".");
    }
  }
  return c;
}

resolver::Result<RedisReply> RedisConnectionPool::command(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  for (int attempt = 0;; ++attempt) {
    Connection c;
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        c = std::move(idle_.back());
        idle_.pop_back();
      }
    }
    const bool reused = c != nullptr;
    if (!c) {
      auto fresh = connect();
      if (!fresh) return fresh.status();
      c = std::move(*fresh);
    }
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(c.get(), static_cast<int>(argv.size()), argv.data(), lengths.data()));
    if (!r) {
      // An idle connection closed by a Redis that restarted since: try once on a new one, so a
      // restart costs no request a 503. (Closed before our command was read: nothing ran.)
      if (reused && c->err == REDIS_ERR_EOF && attempt == 0) continue;
      // The connection is unusable after an I/O error or a timeout (its reply may still come).
      std::string why = c->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK)
                            ? "no answer within " + std::to_string(options_.command_timeout.count()) + " ms"
                            : std::string(c->errstr[0] ? c->errstr : "connection lost");
      return resolver::Status(resolver::Code::unavailable, where() + " failed: " + why + ".");
    }
    RedisReply out = convert(r);
    freeReplyObject(r);
    std::lock_guard lock(mu_);
    if (idle_.size() < options_.max_idle) idle_.push_back(std::move(c));
    return out;
  }
}

void RedisConnectionPool::drop_idle() {
  std::vector<Connection> dead;
  std::lock_guard lock(mu_);
  dead.swap(idle_);
}

}  // namespace discovery
