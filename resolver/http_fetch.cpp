// http_fetch: the one place cpp-httplib errors become FetchFailure values. cpp-httplib's timeout
// defaults are minutes long and baked into Debian's compiled library (docs/DEPENDENCIES.md trap 3),
// so every call sets all three from the caller's timeout.
#include "resolver/http_fetch.hpp"

#include <httplib.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <exception>

namespace resolver {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Splits "https://host:port/prefix" into "https://host:port" and "/prefix" (no trailing slash).
bool split_url(const std::string& url, std::string& origin, std::string& prefix) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return false;
  const auto scheme = url.substr(0, scheme_end);
  if (scheme != "http" && scheme != "https") return false;
  const auto path = url.find('/', scheme_end + 3);
  origin = url.substr(0, path);
  prefix = path == std::string::npos ? "" : url.substr(path);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  return origin.size() > scheme_end + 3;
}

// The host and port of an origin "scheme://host[:port]"; an IPv6 literal loses its brackets.
std::pair<std::string, int> host_port(const std::string& origin) {
  std::string host = origin.substr(origin.find("://") + 3);
  int port = origin.rfind("https://", 0) == 0 ? 443 : 80;
  const auto colon = host.rfind(':');
  if (colon != std::string::npos && host.find(']', colon) == std::string::npos) {
    port = std::atoi(host.c_str() + colon + 1);
    host.resize(colon);
  }
  if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  return {host, port};
}

HttpFetchReply failed(FetchFailure f, std::string detail = {}) {
  HttpFetchReply r;
  r.failure = f;
  r.detail = std::move(detail);
  return r;
}

// The other cpp-httplib errors, once size, time and the connection are ruled out. `verify_result`
// is OpenSSL's verdict on the server's certificate (X509_V_OK when the chain was fine).
HttpFetchReply transport_failure(httplib::Error e, long verify_result) {
  switch (e) {
    case httplib::Error::SSLLoadingCerts: return failed(FetchFailure::tls_ca);
    case httplib::Error::SSLServerVerification:
      if (verify_result == X509_V_OK) return failed(FetchFailure::tls_name);
      return failed(FetchFailure::tls_untrusted, X509_verify_cert_error_string(verify_result));
    case httplib::Error::SSLConnection: return failed(FetchFailure::tls_handshake);
    case httplib::Error::Read: return failed(FetchFailure::read);
    case httplib::Error::Write: return failed(FetchFailure::write);
    default: return failed(FetchFailure::other, httplib::to_string(e));
  }
}

HttpFetchReply fetch(const HttpFetchRequest& request, const HttpFetchOptions& options) {
  std::string origin, prefix;
  if (!split_url(request.base_url, origin, prefix)) return failed(FetchFailure::bad_url);
  const auto timeout = options.timeout;
  const auto start = SteadyClock::now();
  const auto deadline = start + timeout;
  httplib::Client client(origin);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  client.set_keep_alive(false);
  client.set_follow_location(false);
  if (!options.ca_file.empty()) client.set_ca_cert_path(options.ca_file);

  httplib::Request req;
  req.method = request.method;
  req.path = prefix + request.target;
  for (const auto& [name, value] : request.headers) req.headers.emplace(name, value);
  req.body = request.body;

  const std::size_t limit = options.max_response_bytes;
  bool over_size = false, past_deadline = false;
  HttpFetchReply reply;
  req.response_handler = [&](const httplib::Response& r) {
    reply.status = r.status;
    reply.retry_after = r.get_header_value("Retry-After");
    reply.content_type = r.get_header_value("Content-Type");
    if (r.has_header("Content-Length")) {
      // A declared length over the bound is abandoned before a byte of the body is read.
      const std::string len = r.get_header_value("Content-Length");
      if (len.size() > 18 || std::stoull("0" + len) > limit) {
        over_size = true;
        return false;
      }
    }
    return true;
  };
  req.content_receiver = [&](const char* data, std::size_t n, std::uint64_t, std::uint64_t) {
    if (reply.body.size() + n > limit) {
      over_size = true;
      return false;
    }
    // A server trickling bytes would reset the read timeout forever; the deadline bounds it all.
    if (SteadyClock::now() > deadline) {
      past_deadline = true;
      return false;
    }
    reply.body.append(data, n);
    return true;
  };

  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  const bool sent = client.send(req, res, err);
  if (sent && err == httplib::Error::Success) return reply;
  if (over_size) return failed(FetchFailure::too_large);
  // A read that gave up is reported by the library as Read, so a failure after the timeout has
  // passed is a timeout.
  if (past_deadline || SteadyClock::now() - start >= timeout || err == httplib::Error::ConnectionTimeout) {
    return failed(FetchFailure::timeout);
  }
  if (err == httplib::Error::Connection) {
    // cpp-httplib does not keep the errno: connect once more to learn why (connect_failure.hpp).
    const auto [host, port] = host_port(origin);
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
    HttpFetchReply r = failed(FetchFailure::connection);
    r.connect = diagnose_connect(host, port, std::max(left, std::chrono::milliseconds(0)));
    return r;
  }
  return transport_failure(err, client.get_openssl_verify_result());
}

}  // namespace

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

HttpFetchReply http_fetch(const HttpFetchRequest& request, const HttpFetchOptions& options) {
  try {
    return fetch(request, options);
  } catch (const std::exception& e) {
    // cpp-httplib and std::stoull may throw (bad_alloc, a malformed length): an adapter boundary.
    return failed(FetchFailure::other, e.what());
  }
}

}  // namespace resolver
