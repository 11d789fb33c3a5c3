// Config: every setting of discoveryd with its default (DESIGN.md §9), and the JSON file loader.
// A plain value; thread-compatible (read-only after start-up).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "discovery/trusted_proxies.hpp"
#include "resolver/status.hpp"
#include "resolver/role.hpp"
#include "resolver/store.hpp"

namespace discovery {

// One role's limits (DESIGN.md §7). rate is requests or identifiers per second.
struct RoleLimits {
  double rate = 20;
  double burst = 40;
  std::int64_t distinct_per_day = 1000;  // 0 means unlimited
};

// What a node does while the shared limiter's Redis is unreachable (DESIGN.md §10).
enum class RedisFailure {
  closed,  // callers whose role has a distinct budget get 503; the others use in-process buckets
  open,    // in-process counters for everything
};

struct RateLimits {
  RoleLimits anonymous{20, 40, 1000};
  RoleLimits client{200, 400, 50000};
  RoleLimits peer{1000, 2000, 1000000};
  RoleLimits admin{1000, 2000, 0};
  // false admits everything and sends no RateLimit-* headers (for benchmarks; docs/API.md).
  bool enabled = true;
  // Memory bounds (DESIGN.md §7): callers tracked at once, and identifier hashes kept across all
  // budgets (~60 bytes each). Past either, the least recently seen callers are forgotten.
  std::size_t max_callers = 100000;
  std::size_t max_tracked_identifiers = 4'000'000;
  // The budget snapshot file; empty means "<index path>.ratelimit" next to the index.
  std::string snapshot;
  std::int64_t snapshot_interval_s = 5;  // how often a changed budget state is written
  // "redis://HOST:PORT[/DB]": keep the counters in Redis, shared by every node (DESIGN.md §10);
  // empty: in process (LocalRateLimiter).
  std::string redis;
  RedisFailure redis_failure = RedisFailure::closed;

  const RoleLimits& of(resolver::Role role) const;
};

struct FederationConfig {
  std::int64_t peer_timeout_ms = 800;
  std::int64_t deadline_ms = 1500;
  std::int64_t cache_found_s = 300;
  std::int64_t cache_not_found_s = 30;
  std::size_t max_peer_response_bytes = 4194304;
  bool anonymous = false;  // anonymous callers may federate (DESIGN.md §5)
  std::string ca_file;     // PEM CAs trusted for https:// peers; empty: the system store
};

// The worker pool for work that may block on the network (docs/ARCHITECTURE.md): federated
// lookups and admin writes. When every thread is busy and `queue` requests wait, the next is
// answered 503 with Retry-After.
struct WorkerConfig {
  int threads = 32;  // 0: no pool; such work runs on the I/O threads (not for production)
  std::size_t queue = 256;
};

// The lookup page for people at GET / (DESIGN.md §13).
struct WebConfig {
  bool enabled = true;
};

// The Matrix identity service surface (DESIGN.md §11).
enum class NonMatrixUsers {
  omit,      // an identifier whose mappings hold no matrix:u/ user is left out of an answer
  user_uri,  // it is answered with its first mapping's user URI instead
};

struct MatrixConfig {
  std::int64_t pepper_rotation_s = 86400;  // a new lookup pepper this often; 0: never
  std::int64_t pepper_grace_s = 600;       // a retired pepper is still accepted this long
  NonMatrixUsers non_matrix_users = NonMatrixUsers::omit;
};

// Private lookups (DESIGN.md §12). The routes answer once `discoveryctl private rotate` made an
// epoch; every node refreshes the index in turn (a lease in the store).
struct PrivateConfig {
  std::int64_t refresh_s = 60;       // writes show in the private index within this time
  std::int64_t grace_s = 86400;      // the previous epoch is served this long after a rotation
  std::size_t max_elements = 256;    // blinded elements per evaluate request at most
  std::int64_t bucket_max_age_s = 30;  // Cache-Control max-age of a bucket response
};

struct Config {
  int threads = 2;  // I/O threads: accept, read, parse, answer local lookups, write
  std::size_t max_batch = 1000;
  std::size_t max_body_bytes = 1048576;
  std::int64_t assertion_ttl_s = 86400;
  std::int64_t request_timeout_ms = 10000;
  // Open connections at most; a connection beyond is answered 503 and closed. discoveryd lowers
  // it to what its file descriptor limit allows, and says so at start.
  std::int64_t max_connections = 10000;
  // Canonical forms of recently looked-up identifiers kept in memory (about 150 bytes each), so
  // a working set is parsed once; 0 parses every time (resolver/identifier_cache.hpp).
  std::size_t identifier_cache_entries = 65536;
  RateLimits rate_limits;
  // The load balancers whose X-Forwarded-For / Forwarded name the caller (DESIGN.md §7); empty:
  // those headers are ignored and the caller is the connection's address.
  TrustedProxies trusted_proxies;
  FederationConfig federation;
  WorkerConfig workers;
  MatrixConfig matrix;
  // The index --db names (DESIGN.md §10): for PostgreSQL, the pool size and the longest wait for
  // an answer (docs/OPERATIONS.md "PostgreSQL"); for SQLite, the answer cache.
  resolver::StoreOptions store = [] {
    resolver::StoreOptions o;
    o.answer_cache_entries = resolver::StoreOptions::kDefaultAnswerCache;
    return o;
  }();
  WebConfig web;
  PrivateConfig private_lookups;  // "private" in the config file
};

// Reads the JSON file at `path`; missing keys keep their defaults.
// Failure: invalid_request with one sentence naming the key and what is wrong (unknown key, wrong
// type, out of range, a key given twice in one object, not JSON), or the file that cannot be read.
resolver::Result<Config> load_config(const std::string& path);

// As load_config, from JSON text already in memory.
resolver::Result<Config> parse_config(const std::string& text);

}  // namespace discovery
