// HTTP over plain TCP: the session and its lingering close.
#include <array>

#include "discovery/transport/http_session.hpp"

namespace discovery {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

// After the last response: half-close, then read and discard what the client still sends for a
// moment, so that an unread request body does not turn our close into a reset that destroys the
// response before the client reads it (RFC 9112 §9.6 "lingering close").
constexpr auto kLinger = std::chrono::seconds(2);
constexpr std::size_t kMaxLingerBytes = 4 * 1024 * 1024;

class PlainSession : public HttpSession<PlainSession>, public std::enable_shared_from_this<PlainSession> {
 public:
  PlainSession(tcp::socket&& socket, SessionContext& ctx, std::string remote_ip)
      : HttpSession(ctx, std::move(remote_ip)), stream_(std::move(socket)) {}

  void start() {
    // Starts on the thread of the io_context the socket belongs to.
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&PlainSession::do_read, shared_from_this()));
  }
  beast::tcp_stream& stream() { return stream_; }

  void do_close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return;
    stream_.expires_after(kLinger);
    drain();
  }

 private:
  void drain() {
    stream_.async_read_some(net::buffer(scratch_),
                            beast::bind_front_handler(&PlainSession::on_drain, shared_from_this()));
  }
  void on_drain(beast::error_code ec, std::size_t n) {
    drained_ += n;
    if (ec || drained_ > kMaxLingerBytes) return;  // closed by the destructor
    drain();
  }

  beast::tcp_stream stream_;
  std::array<char, 16384> scratch_;
  std::size_t drained_ = 0;
};

}  // namespace

void start_plain_session(tcp::socket socket, SessionContext& ctx) {
  beast::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  std::string ip = ec ? std::string() : endpoint.address().to_string();
  std::make_shared<PlainSession>(std::move(socket), ctx, std::move(ip))->start();
}

}  // namespace discovery
