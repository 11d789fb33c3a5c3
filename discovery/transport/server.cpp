// The listener: binds, accepts and spawns sessions, and stops gracefully on SIGTERM/SIGINT
// (STYLE.md habit 6: stop accepting, let requests in flight finish within a deadline).
#include "discovery/transport/server.hpp"

#include <iostream>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

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
        ioc_(options.threads),
        acceptor_(net::make_strand(ioc_)),
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
    std::vector<std::thread> pool;
    for (int i = 1; i < options_.threads; ++i) pool.emplace_back([this] { run_loop(); });
    run_loop();
    for (auto& t : pool) t.join();
  }

 private:
  // Each worker thread's loop. A handler that throws past the session's own catch is logged and
  // the thread goes on serving.
  void run_loop() {
    for (;;) {
      try {
        ioc_.run();
        return;
      } catch (const std::exception& e) {
        std::cerr << "discoveryd: unexpected error in a worker: " << e.what() << "\n";
      }
    }
  }

  void do_accept() {
    acceptor_.async_accept(net::make_strand(ioc_), [this](boost::system::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
      if (ec) {
        // A failed accept (e.g. out of file descriptors) is logged and accepting goes on after a
        // pause, so that a persistent failure does not spin a core and flood the log.
        std::cerr << "discoveryd: accept failed: " << ec.message() << "\n";
        accept_pause_.expires_after(kAcceptPause);
        accept_pause_.async_wait([this](boost::system::error_code) {
          if (acceptor_.is_open()) do_accept();
        });
        return;
      } else {
        try {
          if (tls_) start_tls_session(std::move(socket), *tls_, ctx_);
          else start_plain_session(std::move(socket), ctx_);
        } catch (const std::exception& e) {
          std::cerr << "discoveryd: could not start a session: " << e.what() << "\n";
        }
      }
      do_accept();
    });
  }

  void begin_stop() {
    std::cerr << "discoveryd: stopping: no new connections; finishing requests in flight\n";
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
        std::cerr << "discoveryd: drain deadline passed with " << ctx_.in_flight.load()
                  << " requests in flight\n";
      }
      ioc_.stop();  // idle keep-alive sessions are destroyed with the io_context
      return;
    }
    drain_timer_.expires_after(kDrainPoll);
    drain_timer_.async_wait([this](boost::system::error_code) { poll_drain(); });
  }

  ServerOptions options_;
  SessionContext ctx_;
  std::shared_ptr<TlsContext> tls_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  net::signal_set signals_;
  net::steady_timer drain_timer_;
  net::steady_timer accept_pause_;
  std::chrono::steady_clock::time_point deadline_{};
};

}  // namespace

resolver::Result<std::unique_ptr<Server>> Server::bind(Service& service, const ServerOptions& options) {
  auto server = std::make_unique<BeastServer>(service, options);
  if (Status s = server->bind(); !s.ok()) return s;
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace discovery
