// Raw bytes as a connection sends them, read as discoveryd's sessions read them
// (discovery/transport/http_session.hpp): Beast's request_parser<string_body> with the server's
// header and body limits (ServerOptions), each parsed request converted by to_request and answered
// by Service::handle (fuzz/service_harness.hpp), pipelined requests one after the other while the
// connection stays open. The bytes end the stream: an unfinished request is dropped, as the session
// drops it. "Authorization: Bearer admin-token" and "Bearer client-token" are replaced by the
// fixture's real admin and client tokens, so the seeds reach the authenticated routes.
#include <cstddef>
#include <cstdint>
#include <optional>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>

#include "discovery/transport/beast_request.hpp"
#include "discovery/transport/server.hpp"
#include "fuzz/service_harness.hpp"

namespace {

namespace http = boost::beast::http;

constexpr int kMaxRequests = 16;  // per input: bounds the time of one run

void use_real_tokens(discovery::Request& request) {
  auto& f = fuzz::fixture();
  for (auto& [name, value] : request.headers) {
    if (value == "Bearer admin-token") value = "Bearer " + f.admin;
    if (value == "Bearer client-token") value = "Bearer " + f.client;
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::fixture();  // the store, its keys and tokens, once
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const discovery::ServerOptions options;
  boost::asio::const_buffer input(data, size);
  for (int n = 0; n < kMaxRequests && input.size() > 0; ++n) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.max_header_bytes));
    parser.body_limit(options.max_body_bytes);
    parser.eager(true);
    boost::beast::error_code ec;
    while (!ec && !parser.is_done() && input.size() > 0) {
      const std::size_t used = parser.put(input, ec);
      input += used;
      if (ec == http::error::need_more) break;  // the stream ends here: the request is dropped
      if (!ec && used == 0) break;
    }
    if (ec || !parser.is_done()) return 0;  // refused by the parser (the session's reject) or cut
    auto& msg = parser.get();
    const bool keep_alive = msg.keep_alive();
    discovery::Request request = discovery::to_request(std::move(msg), "192.0.2.7");
    use_real_tokens(request);
    fuzz::answer(request);
    if (!keep_alive) return 0;  // the session closes the connection
  }
  return 0;
}
