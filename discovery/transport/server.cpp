// The listener: binds, accepts and spawns sessions, and stops gracefully on SIGTERM/SIGINT
// (STYLE.md habit 6: stop accepting, let requests in flight finish within a deadline).
// One io_context per thread: a connection lives on the context it was accepted onto, so its
// handlers never cross threads and no thread wakes another to run them (a single context shared
// by every thread made each request pay futex wake-ups on the scheduler's lock).
#include "discovery/transport/server.hpp"

#include <algorithm>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "discovery/log.hpp"
#include "discovery/transport/sessions.hpp"

namespace discovery {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using resolver::Code;
using resolver::Status;

constexpr auto kDrainPoll = std::chrono::milliseconds(20);
constexpr auto kAcceptPause = std::chrono::milliseconds(100);

class BeastServer final : public Server {
 public:
  BeastServer(Service& service, const ServerOptions& options)
      : options_(options),
        ctx_{service, options_},
        iocs_(make_contexts(options.threads)),
        acceptor_(*iocs_.front()),
        signals_(acceptor_.get_executor(), SIGINT, SIGTERM),
        drain_timer_(acceptor_.get_executor()),
        accept_pause_(acceptor_.get_executor()) {}

  Status bind() {
    if (!options_.tls_cert.empty()) {
      auto tls = load_tls_context(options_.tls_cert, options_.tls_key);
      if (!tls) return tls.status();
      tls_ = *tls;
    }
    boost::system::error_code ec;
    auto address = net::ip::make_address(options_.host, ec);
    if (ec) return Status(Code::invalid_request, "The listen host " + options_.host + " is not an IP address.");
    tcp::endpoint endpoint(address, options_.port);
    std::string where = options_.host + ":" + std::to_string(options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return Status(Code::unavailable, "Cannot listen on " + where + ": " + ec.message() + ".");
    return Status::Ok();
  }

  std::string url() const override {
    auto endpoint = acceptor_.local_endpoint();
    std::string host = endpoint.address().to_string();
    if (endpoint.address().is_v6()) host = "[" + host + "]";
    return std::string(tls_ ? "https" : "http") + "://" + host + ":" + std::to_string(endpoint.port());
  }

  void run() override {
    signals_.async_wait([this](boost::system::error_code ec, int) {
      if (!ec) begin_stop();
    });
    do_accept();
    // Contexts without a connection yet must not return from run() at once.
    std::vector<net::executor_work_guard<net::io_context::executor_type>> guards;
    for (auto& ioc : iocs_) guards.push_back(net::make_work_guard(*ioc));
    std::vector<std::thread> pool;
    for (std::size_t i = 1; i < iocs_.size(); ++i) pool.emplace_back([this, i] { run_loop(*iocs_[i]); });
    run_loop(*iocs_.front());
    for (auto& t : pool) t.join();
  }

 private:
  static std::vector<std::unique_ptr<net::io_context>> make_contexts(int threads) {
    std::vector<std::unique_ptr<net::io_context>> iocs;
    // Concurrency hint 1: each context is run by one thread (others only post to it).
    for (int i = 0; i < std::max(threads, 1); ++i) iocs.push_back(std::make_unique<net::io_context>(1));
    return iocs;
  }

  // Each thread's loop. A handler that throws past the session's own catch is logged and the
  // thread goes on serving.
  static void run_loop(net::io_context& ioc) {
    for (;;) {
      try {
        ioc.run();
        return;
      } catch (const std::exception& e) {
        log::error(std::string("unexpected error in a worker: ") + e.what());
      }
    }
  }

  void do_accept() {
    // Round robin over the contexts; the socket, and so its session, belongs to the one chosen.
    auto& ioc = *iocs_[next_ioc_++ % iocs_.size()];
    acceptor_.async_accept(ioc, [this](boost::system::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
      if (ec) {
        // A failed accept (e.g. out of file descriptors) is logged and accepting goes on after a
        // pause, so that a persistent failure does not spin a core and flood the log.
        log::warning("accept failed: " + ec.message());
        accept_pause_.expires_after(kAcceptPause);
        accept_pause_.async_wait([this](boost::system::error_code) {
          if (acceptor_.is_open()) do_accept();
        });
        return;
      } else if (ctx_.connections.load() >= options_.max_connections) {
        refuse(socket);
      } else {
        try {
          if (tls_) start_tls_session(std::move(socket), *tls_, ctx_);
          else start_plain_session(std::move(socket), ctx_);
        } catch (const std::exception& e) {
          log::warning(std::string("could not start a session: ") + e.what());
        }
      }
      do_accept();
    });
  }

  // A connection over max_connections: a 503 that says why (plain HTTP; a TLS client is only
  // closed), written at once into the fresh socket's buffer, then closed. Logged at most once a
  // minute.
  void refuse(tcp::socket& socket) {
    if (!tls_) {
      boost::system::error_code ignored;
      socket.non_blocking(true, ignored);
      net::write(socket, net::buffer(refusal_), ignored);
      socket.shutdown(tcp::socket::shutdown_both, ignored);
    }
    const auto now = std::chrono::steady_clock::now();
    if (now - last_refusal_log_ >= std::chrono::minutes(1)) {
      last_refusal_log_ = now;
      log::warning(std::to_string(options_.max_connections) +
                   " connections are open (max_connections); new ones are answered 503 and closed");
    }
  }

  // The bytes of that 503, in the error shape of every other answer (DESIGN.md §4).
  static std::string refusal_bytes() {
    Response r = error_response(
        Status(Code::unavailable, "The server has too many open connections; retry in a second."), "");
    return "HTTP/1.1 503 Service Unavailable\r\nServer: discoveryd\r\nContent-Type: " +
           std::string(kJsonContentType) + "\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: " +
           std::to_string(r.body.size()) + "\r\n\r\n" + r.body;
  }

  void begin_stop() {
    log::info("stopping: no new connections; finishing requests in flight");
    ctx_.stopping = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    accept_pause_.cancel();
    deadline_ = std::chrono::steady_clock::now() + options_.drain_deadline;
    poll_drain();
  }

  void poll_drain() {
    if (ctx_.in_flight.load() == 0 || std::chrono::steady_clock::now() >= deadline_) {
      if (ctx_.in_flight.load() != 0) {
        log::warning("drain deadline passed with " + std::to_string(ctx_.in_flight.load()) +
                     " requests in flight");
      }
      for (auto& ioc : iocs_) ioc->stop();  // idle keep-alive sessions are destroyed with them
      return;
    }
    drain_timer_.expires_after(kDrainPoll);
    drain_timer_.async_wait([this](boost::system::error_code) { poll_drain(); });
  }

  ServerOptions options_;
  SessionContext ctx_;
  std::shared_ptr<TlsContext> tls_;
  std::vector<std::unique_ptr<net::io_context>> iocs_;  // one per thread; [0] also accepts
  std::size_t next_ioc_ = 0;                            // on iocs_[0]'s thread only
  tcp::acceptor acceptor_;
  net::signal_set signals_;
  net::steady_timer drain_timer_;
  net::steady_timer accept_pause_;
  std::chrono::steady_clock::time_point deadline_{};
  std::chrono::steady_clock::time_point last_refusal_log_{};  // on iocs_[0]'s thread only
  const std::string refusal_ = refusal_bytes();
};

}  // namespace

resolver::Result<std::unique_ptr<Server>> Server::bind(Service& service, const ServerOptions& options) {
  auto server = std::make_unique<BeastServer>(service, options);
  if (Status s = server->bind(); !s.ok()) return s;
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace discovery
