// HttpSession<Derived>: the HTTP/1.1 session shared by the plain and TLS streams (CRTP, as in
// Beast's advanced_server_flex). A session does only: timeout, read with header and body limits,
// hand a plain Request to the Service, write the Response, keep-alive. Included only by
// plain_session.cpp and tls_session.cpp. A session runs on the one thread of its socket's io_context.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "discovery/log.hpp"
#include "discovery/http.hpp"
#include "discovery/transport/beast_request.hpp"
#include "discovery/transport/sessions.hpp"

namespace discovery {

namespace beast = boost::beast;
namespace http = boost::beast::http;

template <class Derived>
class HttpSession {
 public:
  HttpSession(SessionContext& ctx, std::string remote_ip)
      : ctx_(ctx), counted_(ctx), remote_ip_(std::move(remote_ip)) {}

 protected:
  Derived& derived() { return static_cast<Derived&>(*this); }

  void do_read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(ctx_.options.max_header_bytes));
    parser_->body_limit(ctx_.options.max_body_bytes);
    // One deadline for the idle wait, the headers and the body (DESIGN.md §9 request_timeout_ms).
    beast::get_lowest_layer(derived().stream()).expires_after(ctx_.options.request_timeout);
    http::async_read_header(derived().stream(), buffer_, *parser_,
                            beast::bind_front_handler(&HttpSession::on_header, derived().shared_from_this()));
  }

  // Headers in: answer "Expect: 100-continue" (RFC 9110 §10.1.1) so that clients such as curl
  // send a large body at once instead of waiting, then read the body under the same deadline.
  void on_header(beast::error_code ec, std::size_t n) {
    if (ec) return on_read(ec, n);
    auto expect = parser_->get()[http::field::expect];
    if (beast::iequals(expect, "100-continue") && !parser_->is_done()) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      return boost::asio::async_write(derived().stream(), boost::asio::buffer(kContinue.data(), kContinue.size()),
                                      beast::bind_front_handler(&HttpSession::on_continue, derived().shared_from_this()));
    }
    read_body();
  }
  void on_continue(beast::error_code ec, std::size_t) {
    if (ec) return;
    read_body();
  }
  void read_body() {
    http::async_read(derived().stream(), buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::on_read, derived().shared_from_this()));
  }

  // The per-session last-resort catch (STYLE.md, Errors): whatever escapes ends this session only.
  void on_read(beast::error_code ec, std::size_t n) {
    try {
      read_done(ec, n);
    } catch (const std::exception& e) {
      log::error(std::string("session ended by an unexpected error: ") + e.what());
    }
  }

  void read_done(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream) return derived().do_close();
    if (ec == beast::error::timeout) return;  // the stream is already closed
    if (ec == http::error::body_limit) {
      return reject(resolver::Status(resolver::Code::payload_too_large,
                                     "The request body exceeds " + std::to_string(ctx_.options.max_body_bytes) +
                                         " bytes."));
    }
    if (ec == http::error::header_limit) {
      return reject(resolver::Status(resolver::Code::payload_too_large,
                                     "The request line and headers exceed " +
                                         std::to_string(ctx_.options.max_header_bytes) + " bytes."));
    }
    if (ec && ec.category() == http::make_error_code(http::error::bad_target).category()) {
      return reject(resolver::Status(resolver::Code::invalid_request, "The request is not valid HTTP/1.1."));
    }
    if (ec) return;  // reset, aborted, TLS failure: nothing can be answered

    auto& msg = parser_->get();
    head_ = msg.method() == http::verb::head;
    bool keep_alive = msg.keep_alive();
    Request req = to_request(std::move(msg), remote_ip_);
    ++ctx_.in_flight;
    // The answer may come from a worker thread: it is written on the session's own thread.
    auto self = derived().shared_from_this();
    ctx_.service.handle_async(std::move(req), [self, keep_alive](Response res) {
      auto executor = self->stream().get_executor();
      boost::asio::dispatch(executor, [self, keep_alive, res = std::move(res)]() mutable {
        self->write(std::move(res), keep_alive);
      });
    });
  }

  // Answers a request the parser refused, then closes the connection.
  void reject(const resolver::Status& status) {
    Request req;
    req.remote_ip = remote_ip_;
    if (parser_ && parser_->is_header_done()) {
      req.method = std::string(parser_->get().method_string());
      head_ = parser_->get().method() == http::verb::head;
    }
    ++ctx_.in_flight;
    write(ctx_.service.reject(req, status), false);
  }

  // REQUIRES: ctx_.in_flight counts this response; on_write releases it.
  void write(Response res, bool keep_alive) {
    keep_alive = keep_alive && !res.close && !ctx_.stopping;
    res_ = {};
    res_.version(11);
    res_.result(static_cast<unsigned>(res.status));
    res_.set(http::field::server, "discoveryd");
    res_.set(http::field::content_type, res.content_type);
    for (auto& [name, value] : res.headers) res_.insert(name, value);
    res_.keep_alive(keep_alive);
    if (head_) {
      // The headers of the GET answer, its length included, and no body (RFC 9110 §9.3.2).
      res_.content_length(res.body.size());
    } else {
      res_.body() = std::move(res.body);
      res_.prepare_payload();
    }
    beast::get_lowest_layer(derived().stream()).expires_after(ctx_.options.request_timeout);
    http::async_write(derived().stream(), res_,
                      beast::bind_front_handler(&HttpSession::on_write, derived().shared_from_this(), keep_alive));
  }

  void on_write(bool keep_alive, beast::error_code ec, std::size_t) {
    --ctx_.in_flight;
    if (ec) return;
    if (!keep_alive) return derived().do_close();
    do_read();
  }

  SessionContext& ctx_;
  ConnectionCount counted_;
  std::string remote_ip_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  bool head_ = false;  // the request being answered is HEAD
};

}  // namespace discovery
