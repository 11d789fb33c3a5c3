// Server: the HTTP/1.1 listener of discoveryd (Boost.Beast), behind a header free of Beast/Asio so
// that main.cpp compiles fast. Owns its io_context and thread pool; run() blocks until SIGTERM or
// SIGINT and returns once requests in flight have finished (or the drain deadline passed).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "discovery/service.hpp"
#include "resolver/status.hpp"

namespace discovery {

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0 binds a free port
  int threads = 2;
  std::size_t max_body_bytes = 1048576;
  int max_connections = 10000;  // open at once; one more is answered 503 and closed
  std::size_t max_header_bytes = 16 * 1024;  // request line plus headers
  std::chrono::milliseconds request_timeout{10000};  // headers+body arrival, keep-alive idle time
  std::chrono::milliseconds drain_deadline{10000};    // after SIGTERM, for requests in flight
  std::string tls_cert;  // PEM chain; TLS when both are set
  std::string tls_key;   // PEM private key
};

class Server {
 public:
  // Binds and listens (nothing is served before run()). unavailable with a sentence when the
  // address cannot be bound; invalid_request when the host is not an IP address or the TLS files
  // cannot be loaded.
  static resolver::Result<std::unique_ptr<Server>> bind(Service& service, const ServerOptions& options);
  virtual ~Server() = default;
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // "http://127.0.0.1:8080" or "https://[::1]:8443", with the port actually bound.
  virtual std::string url() const = 0;
  // Serves on options.threads threads until SIGTERM/SIGINT, then drains and returns.
  virtual void run() = 0;

 protected:
  Server() = default;
};

}  // namespace discovery
