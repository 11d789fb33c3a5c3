// The narrow seam between the listener (server.cpp) and the HTTP sessions, which live in their own
// translation units: plain_session.cpp and tls_session.cpp (Beast is slow to compile; -j2 builds
// them in parallel). Thread-safety: SessionContext is shared by every session; its counters are atomic.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "discovery/service.hpp"
#include "discovery/transport/server.hpp"
#include "resolver/status.hpp"

namespace discovery {

struct SessionContext {
  Service& service;
  const ServerOptions& options;
  std::atomic<int> in_flight{0};       // requests read and not yet fully answered
  std::atomic<int> connections{0};     // sessions alive (ConnectionCount)
  std::atomic<bool> stopping{false};   // set on SIGTERM: answer, then close instead of keep-alive
};

// Counts one open connection in `ctx` for its life (a member of each session).
class ConnectionCount {
 public:
  explicit ConnectionCount(SessionContext& ctx) : ctx_(ctx) { ++ctx_.connections; }
  ~ConnectionCount() { --ctx_.connections; }
  ConnectionCount(const ConnectionCount&) = delete;
  ConnectionCount& operator=(const ConnectionCount&) = delete;

 private:
  SessionContext& ctx_;
};

// Serves HTTP/1.1 on `socket` until the peer closes, a timeout, or an error. The session keeps
// itself alive; `ctx` must outlive the io_context that runs it.
void start_plain_session(boost::asio::ip::tcp::socket socket, SessionContext& ctx);

// An OpenSSL server context holding the certificate and key (tls_session.cpp).
class TlsContext;
// Loads the PEM files. invalid_request with a sentence naming the file that failed.
resolver::Result<std::shared_ptr<TlsContext>> load_tls_context(const std::string& cert_path,
                                                                const std::string& key_path);
// As start_plain_session, after a TLS handshake under the request timeout.
void start_tls_session(boost::asio::ip::tcp::socket socket, TlsContext& tls, SessionContext& ctx);

}  // namespace discovery
