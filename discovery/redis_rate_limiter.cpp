// The shared limiter: the caller's counters are read, checked and charged by one Lua script in
// Redis (atomic: Redis runs one script at a time), which admits exactly when decide() does
// (rate_policy.hpp: tokens >= cost, and no fresh identifier or used + fresh <= limit) and returns
// the counters as read before charging; decide() then words the answer. A rejection writes
// nothing but the removal of budget entries that left the window.
#include "discovery/redis_rate_limiter.hpp"

#include <openssl/sha.h>

#include <algorithm>
#include <cstdio>

#include "discovery/rate_policy.hpp"

namespace discovery {
namespace {

using resolver::Code;
using resolver::Status;

// KEYS[1]: the bucket (hash: t = tokens, at = microseconds of t); KEYS[2]: the budget (sorted
// set: identifier hash -> second it was charged). ARGV: now in microseconds ("" = Redis TIME),
// rate, burst, cost, distinct_per_day, window, then the request's distinct identifier hashes.
// Numbers go back as "%.17g" text: Redis would truncate a Lua number to an integer.
constexpr const char* kScript = R"lua(
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local rate, burst, cost = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local limit, window = tonumber(ARGV[5]), tonumber(ARGV[6])
local tokens, last = burst, now
local b = redis.call('HMGET', KEYS[1], 't', 'at')
if b[1] then
  tokens, last = math.min(burst, tonumber(b[1])), tonumber(b[2])
  if now > last then
    tokens = math.min(burst, tokens + (now - last) / 1000000 * rate)
    last = now
  end
end
local now_s = math.floor(now / 1000000)
local used, fresh, empty_s, fits_s, newest = 0, {}, 0, 0, nil
if limit > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now_s - window)
  used = redis.call('ZCARD', KEYS[2])
  for i = 7, #ARGV do
    if not redis.call('ZSCORE', KEYS[2], ARGV[i]) then fresh[#fresh + 1] = ARGV[i] end
  end
  if used > 0 then
    newest = tonumber(redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')[2])
    empty_s = math.max(0, newest + window - now_s)
  end
  local over = used + #fresh - limit
  if #fresh > 0 and over > 0 then
    if over > used then
      fits_s = window
    else
      local e = redis.call('ZRANGE', KEYS[2], over - 1, over - 1, 'WITHSCORES')
      fits_s = math.max(1, tonumber(e[2]) + window - now_s)
    end
  end
end
local admit = tokens >= cost and (limit == 0 or #fresh == 0 or used + #fresh <= limit)
if admit then
  local left = tokens - cost
  redis.call('HSET', KEYS[1], 't', string.format('%.17g', left), 'at', string.format('%.17g', last))
  redis.call('PEXPIRE', KEYS[1], math.ceil((burst - left) / rate * 1000) + 1000)
  if #fresh > 0 then
    local at = now_s
    if newest and newest > at then at = newest end
    for i = 1, #fresh do redis.call('ZADD', KEYS[2], at, fresh[i]) end
    redis.call('EXPIRE', KEYS[2], at + window - now_s + 1)
  end
end
return {admit and 1 or 0, string.format('%.17g', tokens), used, #fresh, empty_s, fits_s}
)lua";

std::string hex(const unsigned char* data, std::size_t n) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 15];
  }
  return out;
}

const std::string& script_sha() {
  static const std::string sha = [] {
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(kScript), std::char_traits<char>::length(kScript), digest);
    return hex(digest, sizeof digest);
  }();
  return sha;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

}  // namespace

RedisRateLimiter::RedisRateLimiter(const RateLimits& limits, std::string secret, const resolver::Clock& clock,
                                   Options options, Log log)
    : limits_(limits),
      hash_(secret),
      clock_(clock),
      options_(options),
      log_(std::move(log)),
      wall_at_start_(clock.now()),
      steady_at_start_(clock.steady_now()),
      pool_(options.redis),
      local_(limits, std::move(secret), clock),
      backoff_(options.min_backoff) {}

std::pair<std::string, std::string> RedisRateLimiter::keys_of(const std::string& caller) const {
  // The {…} hash tag keeps a caller's two keys in one slot of a Redis Cluster (DESIGN.md §10).
  auto id = hash_.hash128("caller\n" + caller);
  std::string base = "mimi:rl:{" + hex(id.data(), id.size()) + "}:";
  return {base + "b", base + "d"};
}

std::int64_t RedisRateLimiter::steady_ns() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.steady_now().time_since_epoch()).count();
}

void RedisRateLimiter::start() {
  auto policy = pool_.command({"CONFIG", "GET", "maxmemory-policy"});
  if (!policy) return mark_down(policy.status());
  if (policy->kind != RedisReply::Kind::array || policy->elements.size() != 2) {
    log_("cannot read Redis's maxmemory-policy (CONFIG GET is refused); make sure it is noeviction, or "
         "rate limits reset when Redis evicts their keys");
  } else if (policy->elements[1].text != "noeviction") {
    log_("warning: Redis's maxmemory-policy is " + policy->elements[1].text +
         ", so it may evict rate-limit keys and reset callers' limits; set maxmemory-policy noeviction");
  }
}

resolver::Result<RedisRateLimiter::ScriptResult> RedisRateLimiter::run_script(const RateRequest& request,
                                                                               const RoleLimits& l) {
  auto [bucket, budget] = keys_of(request.caller);
  std::string now;
  if (!options_.server_time) {
    auto since = std::chrono::duration_cast<std::chrono::microseconds>(clock_.steady_now() - steady_at_start_);
    now = std::to_string(wall_at_start_ * 1'000'000 + since.count());
  }
  std::vector<std::string> args = {"EVALSHA", script_sha(), "2", bucket, budget, now, number(l.rate),
                                   number(l.burst), std::to_string(request.cost), std::to_string(l.distinct_per_day),
                                   std::to_string(kDistinctWindowS)};
  if (l.distinct_per_day > 0) {
    std::vector<std::uint64_t> hashes;
    for (const auto& id : request.identifiers) hashes.push_back(hash_.hash64(id));
    std::sort(hashes.begin(), hashes.end());  // an identifier twice in one batch counts once
    hashes.erase(std::unique(hashes.begin(), hashes.end()), hashes.end());
    char text[17];
    for (std::uint64_t h : hashes) {
      std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
      args.emplace_back(text);
    }
  }
  auto reply = pool_.command(args);
  if (reply && reply->kind == RedisReply::Kind::error && reply->text.rfind("NOSCRIPT", 0) == 0) {
    args[0] = "EVAL";  // first use on this Redis, or after a restart or SCRIPT FLUSH
    args[1] = kScript;
    reply = pool_.command(args);
  }
  if (!reply) return reply.status();
  const auto& e = reply->elements;
  if (reply->kind != RedisReply::Kind::array || e.size() != 6) {
    // An error reply (OOM under maxmemory, a read-only replica) is an outage of the limiter.
    return Status(Code::unavailable, "Redis answered the rate-limit script with " +
                                         (reply->kind == RedisReply::Kind::error ? reply->text.substr(0, 120)
                                                                                 : std::string("an unexpected reply")) +
                                         ".");
  }
  ScriptResult r;
  r.admitted = e[0].integer == 1;
  r.counters = {std::strtod(e[1].text.c_str(), nullptr), e[2].integer, e[3].integer, e[4].integer, e[5].integer};
  return r;
}

bool RedisRateLimiter::may_try() {
  std::int64_t at = retry_at_ns_.load();
  if (at == 0) return true;
  const std::int64_t now = steady_ns();
  if (now < at) return false;
  // One thread probes; the others keep deciding without Redis until it has answered.
  std::lock_guard lock(backoff_mu_);
  return retry_at_ns_.compare_exchange_strong(at, now + std::chrono::nanoseconds(backoff_).count());
}

void RedisRateLimiter::mark_down(const Status& why) {
  pool_.drop_idle();
  std::lock_guard lock(backoff_mu_);
  const std::int64_t next = steady_ns() + std::chrono::nanoseconds(backoff_).count();
  if (retry_at_ns_.exchange(next) == 0) {
    ++outages_;
    log_(why.message() + " Rate limits are decided in process until it is back (redis_failure " +
         (limits_.redis_failure == RedisFailure::closed ? "closed: callers with a distinct budget get 503)"
                                                        : "open)"));
  }
  backoff_ = std::min(options_.max_backoff, backoff_ * 2);
}

void RedisRateLimiter::mark_up() {
  if (retry_at_ns_.load() == 0) return;
  std::lock_guard lock(backoff_mu_);
  if (retry_at_ns_.exchange(0) == 0) return;
  backoff_ = options_.min_backoff;
  log_("Redis is reachable again; rate limits are shared again");
}

RateDecision RedisRateLimiter::without_redis(const RateRequest& request, const RoleLimits& l) {
  if (limits_.redis_failure == RedisFailure::closed && l.distinct_per_day > 0) {
    // Fresh in-process budgets on N nodes would multiply an enumerator's reach (DESIGN.md §10).
    ++refused_;
    const std::int64_t wait_ns = std::max<std::int64_t>(0, retry_at_ns_.load() - steady_ns());
    RateDecision d;
    d.status = Status(Code::unavailable,
                      "The rate limiter shared by this service's servers cannot be reached; retry in a few seconds.");
    d.retry_after_s = std::max<std::int64_t>(1, (wait_ns + 999'999'999) / 1'000'000'000);
    return d;
  }
  ++in_process_;
  return local_.admit(request);
}

RateDecision RedisRateLimiter::admit(const RateRequest& request) {
  const RoleLimits& l = limits_.of(request.role);
  if (!may_try()) return without_redis(request, l);
  auto r = run_script(request, l);
  if (!r) {
    mark_down(r.status());
    return without_redis(request, l);
  }
  mark_up();
  // decide() admits exactly when the script did (same comparisons on the same numbers).
  return decide(l, request.cost, r->counters);
}

std::optional<SharedLimiterState> RedisRateLimiter::shared_state() const {
  return SharedLimiterState{retry_at_ns_.load() == 0, outages_.load(), in_process_.load(), refused_.load()};
}

}  // namespace discovery
