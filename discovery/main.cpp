// discoveryd: parses the command line (DESIGN.md §9), opens the index, wires the Service and runs
// the HTTP server until SIGTERM/SIGINT. Exit 0 on a clean stop, 1 on failure, 2 on a usage error.
#include <arpa/inet.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>

#include "discovery/budget_snapshotter.hpp"
#include "discovery/pepper_rotator.hpp"
#include "discovery/config.hpp"
#include "discovery/local_rate_limiter.hpp"
#include "discovery/log.hpp"
#include "discovery/private_refresher.hpp"
#include "discovery/peer_log.hpp"
#include "discovery/rate_limiter.hpp"
#include "discovery/redis_rate_limiter.hpp"
#include "discovery/service.hpp"
#include "discovery/transport/server.hpp"
#include "resolver/clock.hpp"
#include "resolver/federation.hpp"
#include "resolver/http_peer_client.hpp"
#include "resolver/keyring.hpp"
#include "resolver/open_store.hpp"
#include "resolver/resolver.hpp"

namespace {

constexpr const char* kUsage =
    "Usage: discoveryd --db PATH [--listen HOST:PORT] [--config FILE] [--threads N]\n"
    "                  [--tls-cert PEM --tls-key PEM] [--log-format text|json]\n"
    "\n"
    "Serves the MIMI discovery REST API over the index at PATH (made by discoveryctl init).\n"
    "\n"
    "  --db PATH           the index file, or sqlite:PATH (required)\n"
    "  --listen HOST:PORT  address to listen on (default 127.0.0.1:8080; port 0 picks a free one)\n"
    "  --config FILE       JSON settings (see docs/API.md); every key is optional\n"
    "  --threads N         worker threads (default: the config's threads, 2)\n"
    "  --tls-cert PEM      serve HTTPS with this certificate chain (needs --tls-key)\n"
    "  --tls-key PEM       the certificate's private key\n"
    "  --log-format F      text (default: timestamp, level, message) or json (one object a line)\n"
    "  --help              print this help (--version: the version)\n"
    "\n"
    "Prints 'listening on URL' on stdout once bound, and a start line on stderr with the index,\n"
    "issuer, keys and peers it serves. SIGTERM or SIGINT stops it gracefully.\n";

struct Args {
  std::string db, listen = "127.0.0.1:8080", config, tls_cert, tls_key, log_format = "text";
  int threads = 0;  // 0: from the config
};

int usage_error(const std::string& sentence) {
  std::cerr << "discoveryd: " << sentence << " (see --help)\n";
  return 2;
}

int failure(const std::string& sentence) {
  discovery::log::error(sentence);
  return 1;
}

// Splits "HOST:PORT" / "[V6]:PORT"; false when malformed.
bool split_listen(const std::string& listen, std::string& host, std::uint16_t& port) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == listen.size()) return false;
  host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";
  unsigned char addr[16];
  if (inet_pton(AF_INET, host.c_str(), addr) != 1 && inet_pton(AF_INET6, host.c_str(), addr) != 1) return false;
  std::string p = listen.substr(colon + 1);
  if (p.size() > 5 || p.find_first_not_of("0123456789") != std::string::npos) return false;
  unsigned long v = std::stoul(p);
  if (v > 65535) return false;
  port = static_cast<std::uint16_t>(v);
  return true;
}

// max_connections, lowered to what the file descriptor limit allows once raised to its hard
// maximum (each connection holds a descriptor; 64 are kept for the index, logs and peers).
int connection_cap(std::int64_t wanted) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return static_cast<int>(wanted);
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &limit);
    (void)getrlimit(RLIMIT_NOFILE, &limit);
  }
  constexpr rlim_t kReserved = 64;
  if (limit.rlim_cur == RLIM_INFINITY) return static_cast<int>(wanted);
  const auto allowed = static_cast<std::int64_t>(std::max<rlim_t>(limit.rlim_cur, kReserved + 1) - kReserved);
  if (allowed >= wanted) return static_cast<int>(wanted);
  discovery::log::warning("max_connections lowered from " + std::to_string(wanted) + " to " +
                          std::to_string(allowed) + ": the open file limit is " +
                          std::to_string(limit.rlim_cur) + " (ulimit -n)");
  return static_cast<int>(allowed);
}

// The start line: what this process serves, so that an operator reading the log knows which
// index, issuer, keys and peers it had (DESIGN.md §8: no identifier or token among them).
void log_start(resolver::Store& store, const resolver::Keyring& keyring, const std::string& db,
               const std::string& url, const discovery::Config& config) {
  auto snapshot = keyring.snapshot();
  std::string keys;
  if (snapshot) {
    keys = snapshot->active_kid;
    for (const auto& published : snapshot->published)
      if (published.first != snapshot->active_kid) keys += "," + published.first;
  }
  std::string peers;
  if (auto listed = store.list_peers()) {
    for (const resolver::Peer& p : *listed) peers += (peers.empty() ? "" : ",") + p.domain;
  }
  const std::string limits = !config.rate_limits.enabled        ? "off"
                             : config.rate_limits.redis.empty() ? "in-process"
                                                                : "redis";
  discovery::log::write(discovery::log::Level::info, "started",
                        {{"url", url},
                         {"index", resolver::describe_store(db)},
                         {"issuer", snapshot ? snapshot->issuer : ""},
                         {"keys", keys.empty() ? "-" : keys},
                         {"peers", peers.empty() ? "-" : peers},
                         {"rate_limits", limits}});
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (flag == "--version" || flag == "-V") {
      std::cout << "discoveryd " << MIMI_VERSION << "\n";
      return 0;
    }
    std::string* target = nullptr;
    if (flag == "--db") target = &a.db;
    else if (flag == "--listen") target = &a.listen;
    else if (flag == "--config") target = &a.config;
    else if (flag == "--tls-cert") target = &a.tls_cert;
    else if (flag == "--tls-key") target = &a.tls_key;
    else if (flag == "--log-format") target = &a.log_format;
    else if (flag != "--threads") return usage_error("Unknown argument " + flag + ".");
    if (i + 1 >= argc) return usage_error(flag + " needs a value.");
    std::string value = argv[++i];
    if (target) {
      *target = value;
    } else if (value.empty() || value.size() > 3 || value.find_first_not_of("0123456789") != std::string::npos ||
               std::stoi(value) < 1 || std::stoi(value) > 256) {
      return usage_error("--threads must be a number from 1 to 256.");
    } else {
      a.threads = std::stoi(value);
    }
  }
  auto log_format = discovery::log::parse_format(a.log_format);
  if (!log_format) return usage_error(log_format.status().message());
  discovery::log::set_format(*log_format);
  if (a.db.empty()) return usage_error("--db PATH is required.");
  if (a.tls_cert.empty() != a.tls_key.empty()) return usage_error("--tls-cert and --tls-key go together.");
  discovery::ServerOptions options;
  if (!split_listen(a.listen, options.host, options.port)) {
    return usage_error("--listen must be IP:PORT, e.g. 127.0.0.1:8080 or [::1]:8080.");
  }

  discovery::Config config;
  if (!a.config.empty()) {
    auto loaded = discovery::load_config(a.config);
    if (!loaded) return failure(loaded.status().message());
    config = *loaded;
  }
  if (a.threads > 0) config.threads = a.threads;

  auto store = resolver::open_store(a.db, resolver::OpenMode::must_exist, config.store);
  if (!store) return failure(store.status().message());
  resolver::Keyring keyring;
  if (auto s = keyring.reload(**store); !s.ok()) return failure(s.message());
  resolver::SystemClock clock;
  // Federation (DESIGN.md §5): peers are re-read from the index every few seconds, so
  // `discoveryctl peer add` takes effect without a restart.
  resolver::HttpPeerClient peer_client({config.federation.max_peer_response_bytes, config.federation.ca_file});
  resolver::FederationOptions federation_options;
  federation_options.peer_timeout = std::chrono::milliseconds(config.federation.peer_timeout_ms);
  federation_options.deadline = std::chrono::milliseconds(config.federation.deadline_ms);
  federation_options.cache_found_s = config.federation.cache_found_s;
  federation_options.cache_not_found_s = config.federation.cache_not_found_s;
  resolver::Federation federation(**store, peer_client, clock, federation_options);
  resolver::ResolverOptions resolver_options;
  resolver_options.assertion_ttl_s = config.assertion_ttl_s;
  resolver_options.federation = &federation;
  resolver::Resolver resolver(**store, keyring, clock, resolver_options);
  // The limiter (DESIGN.md §7) is on unless the config turns it off (for benchmarks).
  std::unique_ptr<discovery::RateLimiter> limiter;
  std::unique_ptr<discovery::BudgetSnapshotter> snapshotter;
  auto log = [](const std::string& sentence) { discovery::log::warning(sentence); };
  if (config.rate_limits.enabled) {
    auto secret = (*store)->secret("rate_limiter");
    if (!secret) return failure(secret.status().message());
    if (!config.rate_limits.redis.empty()) {
      // Shared limits (DESIGN.md §10): the counters live in Redis, so no snapshot file.
      discovery::RedisRateLimiter::Options redis;
      auto url = discovery::parse_redis_url(config.rate_limits.redis);
      if (!url) return failure(url.status().message());
      redis.redis.url = *url;
      redis.redis.max_idle = static_cast<std::size_t>(config.threads) * 2;
      auto shared = std::make_unique<discovery::RedisRateLimiter>(config.rate_limits, *secret, clock, redis, log);
      shared->start();
      limiter = std::move(shared);
    } else {
      auto local = std::make_unique<discovery::LocalRateLimiter>(config.rate_limits, *secret, clock);
      // A PostgreSQL index names no local file: its budgets are snapshotted only where
      // rate_limits.snapshot says.
      std::string path = config.rate_limits.snapshot;
      if (path.empty() && resolver::store_kind(a.db) == resolver::StoreKind::sqlite)
        path = resolver::sqlite_path(a.db) + ".ratelimit";
      if (!path.empty()) {
        snapshotter = std::make_unique<discovery::BudgetSnapshotter>(*local, path, log);
        (void)snapshotter->load();  // a missing or corrupt snapshot is logged and ignored
        snapshotter->start(std::chrono::seconds(config.rate_limits.snapshot_interval_s));
      }
      limiter = std::move(local);
    }
  } else {
    limiter = std::make_unique<discovery::UnlimitedRateLimiter>();
  }
  // The Matrix lookup pepper (DESIGN.md §11): the first one is made before the first request.
  // An index that cannot be written (read-only) still serves: the Matrix routes answer 503 until
  // a pepper exists, and the timer keeps trying.
  const auto leveled = [](discovery::log::Level level, const std::string& sentence) {
    discovery::log::write(level, sentence);
  };
  discovery::PepperRotator peppers(**store, clock, config.matrix, leveled);
  if (auto s = peppers.tick(); !s.ok()) log("no Matrix lookup pepper could be made: " + s.message());
  peppers.start(std::chrono::seconds(1));
  discovery::Service service({**store, keyring, resolver, *limiter, clock}, config);
  // The private index follows writes (DESIGN.md §12), sealed from local answers only.
  resolver::ResolverOptions local_options;
  local_options.assertion_ttl_s = config.assertion_ttl_s;
  resolver::Resolver local_resolver(**store, keyring, clock, local_options);
  resolver::PrivateIndexOptions private_options;
  private_options.refresh_s = config.private_lookups.refresh_s;
  private_options.grace_s = config.private_lookups.grace_s;
  private_options.assertion_ttl_s = config.assertion_ttl_s;
  private_options.threads = 1;  // a refresh shares the machine with the requests
  resolver::PrivateIndex private_index(**store, local_resolver, clock, private_options);
  discovery::PrivateRefresher refresher(
      private_index, std::chrono::milliseconds(config.private_lookups.refresh_s * 500), leveled);
  refresher.start();
  // Peer calls are counted by the service's metrics; failing ones are also logged, at most one
  // line per peer a minute, with the reason (docs/FEDERATION.md).
  discovery::PeerLog peer_log(service.federation_observer(), clock,
                              [](const std::string& line) { discovery::log::warning(line); });
  federation.set_observer(&peer_log);

  options.threads = config.threads;
  options.max_body_bytes = config.max_body_bytes;
  options.max_connections = connection_cap(config.max_connections);
  options.request_timeout = std::chrono::milliseconds(config.request_timeout_ms);
  options.tls_cert = a.tls_cert;
  options.tls_key = a.tls_key;
  auto server = discovery::Server::bind(service, options);
  if (!server) return failure(server.status().message());
  service.set_base_url((*server)->url());  // /openapi.json names the address it was fetched from
  std::cout << "listening on " << (*server)->url() << std::endl;
  log_start(**store, keyring, a.db, (*server)->url(), config);
  (*server)->run();
  // Work still on the worker pool finishes while the transport exists; its answers are dropped.
  service.stop();
  // The server (its sockets and threads) goes before the store is closed.
  server->reset();
  federation.set_observer(nullptr);  // upstream calls may still finish; the service goes first
  // Then the last budget snapshot, while the limiter still exists.
  snapshotter.reset();
  discovery::log::info("stopped");
  return 0;
}
