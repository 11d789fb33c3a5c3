// http_fetch: one bounded HTTP request over cpp-httplib's blocking client, shared by the
// federation's HttpPeerClient and the mimi-lookup client (DESIGN.md §5, §12). It bounds the body
// and the whole exchange, never follows redirects, and reports why a request failed as a value,
// so that each caller words the sentence for its own reader. Free functions; thread-safe: each
// call uses its own connection.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "resolver/connect_failure.hpp"

namespace resolver {

struct HttpFetchRequest {
  std::string method = "GET";
  // An http:// or https:// base URL, e.g. "https://dp2.example" or "https://host/prefix/"; a
  // trailing slash is dropped before `target` is appended.
  std::string base_url;
  std::string target;  // path and query, e.g. "/v1/lookup?id=tel%3A%2B1...", percent-encoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent when not empty (POST)
};

struct HttpFetchOptions {
  std::chrono::milliseconds timeout{800};  // the whole exchange: connect, send, read
  std::size_t max_response_bytes = 4 * 1024 * 1024;
  std::string ca_file;  // PEM bundle trusted for https://; empty: the system store
};

// Why no HTTP answer arrived. `none` means one did (whatever its status).
enum class FetchFailure {
  none,
  bad_url,        // base_url is not http:// or https:// with a host
  too_large,      // the body is over max_response_bytes (declared or received)
  timeout,        // no complete answer within the timeout
  connection,     // the TCP connection failed: see HttpFetchReply::connect
  tls_ca,         // the CA file cannot be loaded
  tls_untrusted,  // the server's certificate chain is not trusted: see detail
  tls_name,       // the certificate does not name the host of the URL
  tls_handshake,  // the TLS handshake failed
  read,           // the server closed the connection or sent a malformed answer
  write,          // the connection broke while sending
  other,          // another library failure: see detail
};

struct HttpFetchReply {
  FetchFailure failure = FetchFailure::none;
  ConnectFailure connect = ConnectFailure::unknown;  // when failure is connection
  std::string detail;  // tls_untrusted: OpenSSL's reason; other: the library's error name
  int status = 0;      // when failure is none
  std::string body;
  std::string retry_after;   // the Retry-After header, "" when absent
  std::string content_type;  // the Content-Type header, "" when absent
};

// Sends `request` and waits for the answer within `options.timeout`. Never throws.
HttpFetchReply http_fetch(const HttpFetchRequest& request, const HttpFetchOptions& options);

// RFC 3986: unreserved characters stay, every other byte is %XX (for a query value).
std::string percent_encode(std::string_view s);

}  // namespace resolver
