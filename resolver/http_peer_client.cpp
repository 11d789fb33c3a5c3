// HttpPeerClient: the one place cpp-httplib errors become peer statuses and reasons
// (transport_reason, connect_reason, status_reason). cpp-httplib's timeout defaults are minutes
// long and baked into Debian's compiled library (docs/DEPENDENCIES.md trap 3), so every call sets all
// three from the caller's timeout.
#include "resolver/http_peer_client.hpp"

#include <httplib.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "resolver/connect_failure.hpp"

namespace resolver {
namespace {

using SteadyClock = std::chrono::steady_clock;

// RFC 3986 unreserved characters stay; everything else is %XX.
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

PeerReply failed(PeerFailure f, std::string reason) { return {f, std::move(reason), {}}; }

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

// cpp-httplib's Error::Connection, made precise by connecting once more (connect_failure.hpp).
std::string connect_reason(const std::string& origin, SteadyClock::time_point deadline) {
  const auto [host, port] = host_port(origin);
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
  switch (diagnose_connect(host, port, std::max(left, std::chrono::milliseconds(0)))) {
    case ConnectFailure::unresolved:
      return "The peer's host name does not resolve; check its URL (discoveryctl peer list) and this host's DNS.";
    case ConnectFailure::refused:
      return "The peer refused the connection; check its URL and that its server is running.";
    case ConnectFailure::unreachable:
      return "The peer's address cannot be reached (no route); check its URL and the network between the DPs.";
    case ConnectFailure::unknown:
      break;
  }
  return "The connection to the peer failed.";
}

// The other cpp-httplib errors, once size and time are ruled out. `verify_result` is OpenSSL's
// verdict on the peer's certificate (X509_V_OK when the chain was fine).
std::string transport_reason(httplib::Error e, long verify_result) {
  switch (e) {
    case httplib::Error::SSLLoadingCerts:
      return "The CA certificates for https:// peers cannot be loaded; check federation.ca_file.";
    case httplib::Error::SSLServerVerification:
      if (verify_result == X509_V_OK) return "The peer's TLS certificate does not name the host of its URL.";
      return std::string("The peer's TLS certificate is not trusted (") + X509_verify_cert_error_string(verify_result) +
             "); trust its CA with federation.ca_file.";
    case httplib::Error::SSLConnection:
      return "The TLS handshake with the peer failed; check that it serves https:// at its URL.";
    case httplib::Error::Read:
      return "The peer closed the connection or sent a malformed HTTP answer.";
    case httplib::Error::Write:
      return "The connection to the peer broke while sending the request.";
    default:
      return "The request to the peer failed (" + httplib::to_string(e) + ").";
  }
}

// A non-200 answer, with what to check for the statuses an operator can fix.
std::string status_reason(int status) {
  const std::string head = "The peer answered HTTP " + std::to_string(status);
  switch (status) {
    case 400: return head + "; check that its URL is the base URL of a MIMI discovery API.";
    case 401: return head + "; check the token this DP presents to it (discoveryctl peer add --token).";
    case 403: return head + "; the token this DP presents may not look up there: ask its operator for a peer token.";
    case 404: return head + "; check its URL: the base URL of its API, without /v1/lookup.";
    case 413: return head + "; the request is over the peer's limits (its max_batch or max_body_bytes).";
    case 429: return head + "; this DP is over its rate limit there (a peer token raises it: discoveryctl peer add --token).";
  }
  if (status >= 300 && status < 400) return head + " (a redirect, not followed); check its URL.";
  if (status >= 500) return head + "; the fault is at the peer: check its logs.";
  return head + ".";
}

}  // namespace

std::string timeout_reason(std::chrono::milliseconds waited) {
  return "The peer did not answer within " + std::to_string(waited.count()) + " ms.";
}

std::string count_reason(std::size_t got, std::size_t asked) {
  return "The peer's batch answer has " + std::to_string(got) + " results for " +
         std::to_string(asked) + " identifiers.";
}

std::string_view peer_failure_name(PeerFailure f) {
  switch (f) {
    case PeerFailure::timeout: return "timeout";
    case PeerFailure::error: return "error";
  }
  return "error";
}

HttpPeerClient::HttpPeerClient(HttpPeerClientOptions options) : options_(std::move(options)) {}

PeerReply HttpPeerClient::ask(const Peer& peer, std::span<const std::string> identifiers,
                              std::chrono::milliseconds timeout) {
  std::string origin, prefix;
  if (identifiers.empty() || !split_url(peer.url, origin, prefix)) {
    return failed(PeerFailure::error, "The peer's URL is not an http:// or https:// URL; check it (discoveryctl peer list).");
  }
  const auto start = SteadyClock::now();
  const auto deadline = start + timeout;
  httplib::Client client(origin);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  client.set_keep_alive(false);
  client.set_follow_location(false);
  if (!options_.ca_file.empty()) client.set_ca_cert_path(options_.ca_file);

  httplib::Request req;
  req.headers = {{"Accept", "application/json"}};
  if (!peer.token.empty()) req.headers.emplace("Authorization", "Bearer " + peer.token);
  const bool single = identifiers.size() == 1;
  if (single) {
    req.method = "GET";
    req.path = prefix + "/v1/lookup?id=" + percent_encode(identifiers[0]) + "&federate=false";
  } else {
    req.method = "POST";
    req.path = prefix + "/v1/lookup";
    nlohmann::json ids = nlohmann::json::array();
    for (const auto& id : identifiers) ids.push_back(id);
    req.body = nlohmann::json{{"identifiers", std::move(ids)}, {"federate", false}}.dump();
    req.headers.emplace("Content-Type", "application/json");
  }

  const std::size_t limit = options_.max_response_bytes;
  bool over_size = false, past_deadline = false;
  int status = 0;
  std::string body;
  req.response_handler = [&](const httplib::Response& r) {
    status = r.status;
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
    if (body.size() + n > limit) {
      over_size = true;
      return false;
    }
    // A peer trickling bytes would reset the read timeout forever; the deadline bounds it all.
    if (SteadyClock::now() > deadline) {
      past_deadline = true;
      return false;
    }
    body.append(data, n);
    return true;
  };

  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  const bool sent = client.send(req, res, err);
  if (!sent || err != httplib::Error::Success) {
    if (over_size) {
      return failed(PeerFailure::error, "The peer's answer is over " + std::to_string(limit) +
                                            " bytes (federation.max_peer_response_bytes).");
    }
    // A read that gave up is reported by the library as Read, so a failure after the timeout
    // has passed is a timeout.
    if (past_deadline || SteadyClock::now() - start >= timeout || err == httplib::Error::ConnectionTimeout) {
      return failed(PeerFailure::timeout, timeout_reason(timeout));
    }
    if (err == httplib::Error::Connection) return failed(PeerFailure::error, connect_reason(origin, deadline));
    return failed(PeerFailure::error, transport_reason(err, client.get_openssl_verify_result()));
  }
  if (status != 200) return failed(PeerFailure::error, status_reason(status));
  auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) {
    return failed(PeerFailure::error, "The peer's answer is not JSON; check that its URL is the base URL of its API.");
  }
  PeerReply reply;
  if (single) {
    reply.answers.push_back(std::move(json));
    return reply;
  }
  auto results = json.is_object() ? json.find("results") : json.end();
  if (!json.is_object() || results == json.end() || !results->is_array()) {
    return failed(PeerFailure::error, "The peer's batch answer has no results array.");
  }
  if (results->size() != identifiers.size()) {
    return failed(PeerFailure::error, count_reason(results->size(), identifiers.size()));
  }
  reply.answers.assign(results->begin(), results->end());
  return reply;
}

Status HttpPeerClient::check_pinned_key(const Peer& peer, std::chrono::milliseconds timeout) {
  std::string origin, prefix;
  if (!split_url(peer.url, origin, prefix))
    return Status(Code::invalid_request, "The peer's URL is not an http:// or https:// URL.");
  const std::string where = peer.url + "/.well-known/mimi-discovery";
  httplib::Client client(origin);
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  client.set_follow_location(false);
  if (!options_.ca_file.empty()) client.set_ca_cert_path(options_.ca_file);
  auto res = client.Get(prefix + "/.well-known/mimi-discovery", {{"Accept", "application/json"}});
  const auto fetch_failed = [&](const std::string& reason) {
    return Status(Code::unavailable, "Cannot check the key against " + where + ": " + reason);
  };
  if (!res) {
    if (res.error() == httplib::Error::Connection)
      return fetch_failed(connect_reason(origin, SteadyClock::now() + timeout));
    if (res.error() == httplib::Error::ConnectionTimeout || res.error() == httplib::Error::Read)
      return fetch_failed(timeout_reason(timeout));
    return fetch_failed(transport_reason(res.error(), client.get_openssl_verify_result()));
  }
  if (res->status != 200) return fetch_failed(status_reason(res->status));
  auto meta = nlohmann::json::parse(res->body, nullptr, /*allow_exceptions=*/false);
  const bool shaped = meta.is_object() && meta.contains("issuer") && meta["issuer"].is_string() &&
                      meta.contains("jwks") && meta["jwks"].is_object() && meta["jwks"].contains("keys") &&
                      meta["jwks"]["keys"].is_array();
  if (!shaped) return fetch_failed("the answer is not the metadata of a MIMI discovery provider.");
  const std::string issuer = meta["issuer"].get<std::string>();
  if (issuer != peer.domain)
    return Status(Code::failed_precondition, "The DP at " + peer.url + " is " + issuer + ", not " + peer.domain +
                                                 "; check --domain and --url.");
  const auto& keys = meta["jwks"]["keys"];
  for (const auto& k : keys)
    if (k.is_object() && k.contains("x") && k["x"].is_string() && k["x"] == peer.public_key) return Status::Ok();
  return Status(Code::failed_precondition,
                "The key given is not among the " + std::to_string(keys.size()) + " keys " + peer.domain +
                    " publishes at " + where + "; ask its operator for its key (discoveryctl key show).");
}

Status check_ca_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f)
    return Status(Code::invalid_request,
                  "federation.ca_file " + path + " cannot be read: " + std::strerror(errno) + ".");
  int certificates = 0;
  while (X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr)) {
    X509_free(cert);
    ++certificates;
  }
  std::fclose(f);
  ERR_clear_error();  // the read that ends the loop leaves "no start line" on the queue
  if (certificates == 0)
    return Status(Code::invalid_request, "federation.ca_file " + path +
                                             " holds no PEM certificate (-----BEGIN CERTIFICATE-----).");
  return Status::Ok();
}

}  // namespace resolver
