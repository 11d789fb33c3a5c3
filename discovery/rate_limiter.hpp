// RateLimiter: the seam through which the Service asks whether a caller may look up identifiers
// now (DESIGN.md §7). Implementations are thread-safe. discoveryd wires LocalRateLimiter
// (local_rate_limiter.hpp), RedisRateLimiter (redis_rate_limiter.hpp) when "rate_limits" names a
// Redis, or UnlimitedRateLimiter when "rate_limits": {"enabled": false}.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "resolver/status.hpp"
#include "resolver/role.hpp"

namespace discovery {

struct RateRequest {
  std::string caller;  // "token:<id>", or "ip:<address>" with IPv6 masked to /64
  resolver::Role role = resolver::Role::anonymous;
  std::size_t cost = 1;  // token-bucket units: one per identifier, invalid ones included
  std::span<const std::string> identifiers;  // canonical forms of the valid identifiers
};

// The RateLimit-* header values (seconds for reset), sent on accepted lookups and rejections.
struct RateHeaders {
  std::int64_t limit = 0;
  std::int64_t remaining = 0;
  std::int64_t reset_s = 0;
};

struct RateDecision {
  // ok when admitted; otherwise rate_limited, quota_exceeded or payload_too_large (a batch over the
  // burst) with a sentence for the caller, or
  // unavailable when a shared limiter cannot be reached (answered 503, DESIGN.md §10).
  resolver::Status status;
  std::int64_t retry_after_s = 0;  // when rejected: seconds until the request could pass
  std::optional<RateHeaders> headers;
};

// How a limiter that keeps its counters elsewhere (Redis, DESIGN.md §10) is doing, for /metrics.
struct SharedLimiterState {
  bool reachable = true;           // false while the node decides without the shared engine
  std::uint64_t outages = 0;       // times it became unreachable
  std::uint64_t in_process = 0;    // requests decided by in-process counters meanwhile
  std::uint64_t refused = 0;       // requests answered 503 meanwhile (redis_failure "closed")
};

class RateLimiter {
 public:
  RateLimiter() = default;
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;
  virtual ~RateLimiter() = default;
  // Admits and charges the request, or rejects it and charges nothing.
  virtual RateDecision admit(const RateRequest& request) = 0;
  // The shared engine's state; nullopt for a limiter that keeps everything in process.
  virtual std::optional<SharedLimiterState> shared_state() const { return std::nullopt; }
};

// Admits every request and sends no RateLimit-* headers: the limiter turned off.
class UnlimitedRateLimiter final : public RateLimiter {
 public:
  RateDecision admit(const RateRequest&) override { return {}; }
};

// The caller key of DESIGN.md §7: "token:<id>" when a token was presented, else "ip:<address>"
// with IPv6 addresses masked to their /64 and IPv4-mapped IPv6 shown as IPv4.
std::string caller_key(const std::optional<std::string>& token_id, const std::string& remote_ip);

}  // namespace discovery
