// HTTPS: the TLS server context and the session over ssl::stream (DESIGN.md §8).
#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>

#include "discovery/transport/http_session.hpp"

namespace discovery {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

class TlsContext {
 public:
  TlsContext() : ctx(ssl::context::tls_server) {}
  ssl::context ctx;
};

namespace {

constexpr auto kShutdownTimeout = std::chrono::seconds(2);

class TlsSession : public HttpSession<TlsSession>, public std::enable_shared_from_this<TlsSession> {
 public:
  TlsSession(tcp::socket&& socket, ssl::context& tls, SessionContext& ctx, std::string remote_ip)
      : HttpSession(ctx, std::move(remote_ip)), stream_(std::move(socket), tls) {}

  void start() {
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&TlsSession::do_handshake, shared_from_this()));
  }
  beast::ssl_stream<beast::tcp_stream>& stream() { return stream_; }

  void do_close() {
    beast::get_lowest_layer(stream_).expires_after(kShutdownTimeout);
    stream_.async_shutdown(beast::bind_front_handler(&TlsSession::on_shutdown, shared_from_this()));
  }

 private:
  void do_handshake() {
    beast::get_lowest_layer(stream_).expires_after(ctx_.options.request_timeout);
    stream_.async_handshake(ssl::stream_base::server,
                            beast::bind_front_handler(&TlsSession::on_handshake, shared_from_this()));
  }
  void on_handshake(beast::error_code ec) {
    if (ec) return;  // not TLS, or a client that gave up: nothing to answer
    do_read();
  }
  void on_shutdown(beast::error_code) {}  // closed by the destructor whatever happened

  beast::ssl_stream<beast::tcp_stream> stream_;
};

}  // namespace

resolver::Result<std::shared_ptr<TlsContext>> load_tls_context(const std::string& cert_path,
                                                                const std::string& key_path) {
  auto tls = std::make_shared<TlsContext>();
  tls->ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  beast::error_code ec;
  tls->ctx.use_certificate_chain_file(cert_path, ec);
  if (ec) {
    return resolver::Status(resolver::Code::invalid_request,
                            "Cannot load the TLS certificate " + cert_path + ": " + ec.message() + ".");
  }
  tls->ctx.use_private_key_file(key_path, ssl::context::pem, ec);
  if (ec) {
    return resolver::Status(resolver::Code::invalid_request,
                            "Cannot load the TLS private key " + key_path + ": " + ec.message() + ".");
  }
  return tls;
}

void start_tls_session(tcp::socket socket, TlsContext& tls, SessionContext& ctx) {
  beast::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  std::string ip = ec ? std::string() : endpoint.address().to_string();
  std::make_shared<TlsSession>(std::move(socket), tls.ctx, ctx, std::move(ip))->start();
}

}  // namespace discovery
