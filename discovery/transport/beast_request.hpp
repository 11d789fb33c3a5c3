// The one conversion from a parsed Beast request to the plain Request the Service takes, shared by
// HttpSession and the HTTP fuzz target (fuzz/fuzz_http_request.cpp), which has no socket. Needs no
// Asio: only Beast's HTTP message types. Free function; thread-safe.
#pragma once

#include <string>
#include <utility>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "discovery/http.hpp"

namespace discovery {

// The request line, every header (names as sent, in order) and the body of `msg`; the body is
// moved out of `msg`, its headers stay.
inline Request to_request(boost::beast::http::request<boost::beast::http::string_body>&& msg,
                          std::string remote_ip) {
  Request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  for (const auto& field : msg) req.headers.emplace_back(field.name_string(), field.value());
  req.body = std::move(msg.body());
  req.remote_ip = std::move(remote_ip);
  return req;
}

}  // namespace discovery
