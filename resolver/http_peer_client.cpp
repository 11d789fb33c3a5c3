// HttpPeerClient: the one place transport failures (http_fetch.hpp) become peer statuses and
// reasons an operator can act on (transport_reason, connect_reason, status_reason).
#include "resolver/http_peer_client.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "resolver/http_fetch.hpp"

namespace resolver {
namespace {

PeerReply failed(PeerFailure f, std::string reason) { return {f, std::move(reason), {}}; }

// A failed connection, with what to check for each cause (connect_failure.hpp).
std::string connect_reason(ConnectFailure f) {
  switch (f) {
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

// The other transport failures, once size, time and the connection are ruled out.
std::string transport_reason(const HttpFetchReply& r) {
  switch (r.failure) {
    case FetchFailure::tls_ca:
      return "The CA certificates for https:// peers cannot be loaded; check federation.ca_file.";
    case FetchFailure::tls_name:
      return "The peer's TLS certificate does not name the host of its URL.";
    case FetchFailure::tls_untrusted:
      return "The peer's TLS certificate is not trusted (" + r.detail + "); trust its CA with federation.ca_file.";
    case FetchFailure::tls_handshake:
      return "The TLS handshake with the peer failed; check that it serves https:// at its URL.";
    case FetchFailure::read:
      return "The peer closed the connection or sent a malformed HTTP answer.";
    case FetchFailure::write:
      return "The connection to the peer broke while sending the request.";
    default:
      return "The request to the peer failed (" + r.detail + ").";
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

HttpFetchReply HttpPeerClient::fetch(const HttpFetchRequest& request, std::chrono::milliseconds timeout) const {
  return http_fetch(request, HttpFetchOptions{timeout, options_.max_response_bytes, options_.ca_file});
}

std::string HttpPeerClient::failure_reason(const HttpFetchReply& res, std::chrono::milliseconds timeout) const {
  switch (res.failure) {
    case FetchFailure::bad_url:
      return "The peer's URL is not an http:// or https:// URL; check it (discoveryctl peer list).";
    case FetchFailure::too_large:
      return "The peer's answer is over " + std::to_string(options_.max_response_bytes) +
             " bytes (federation.max_peer_response_bytes).";
    case FetchFailure::timeout: return timeout_reason(timeout);
    case FetchFailure::connection: return connect_reason(res.connect);
    default: return transport_reason(res);
  }
}

PeerReply HttpPeerClient::ask(const Peer& peer, std::span<const std::string> identifiers,
                              std::chrono::milliseconds timeout) {
  if (identifiers.empty()) return failed(PeerFailure::error, "The peer was asked about no identifier.");
  HttpFetchRequest req;
  req.base_url = peer.url;
  req.headers = {{"Accept", "application/json"}};
  if (!peer.token.empty()) req.headers.emplace_back("Authorization", "Bearer " + peer.token);
  const bool single = identifiers.size() == 1;
  if (single) {
    req.target = "/v1/lookup?id=" + percent_encode(identifiers[0]) + "&federate=false";
  } else {
    req.method = "POST";
    req.target = "/v1/lookup";
    nlohmann::json ids = nlohmann::json::array();
    for (const auto& id : identifiers) ids.push_back(id);
    req.body = nlohmann::json{{"identifiers", std::move(ids)}, {"federate", false}}.dump();
    req.headers.emplace_back("Content-Type", "application/json");
  }
  const HttpFetchReply res = fetch(req, timeout);
  if (res.failure != FetchFailure::none) {
    return failed(res.failure == FetchFailure::timeout ? PeerFailure::timeout : PeerFailure::error,
                  failure_reason(res, timeout));
  }
  if (res.status != 200) return failed(PeerFailure::error, status_reason(res.status));
  auto json = nlohmann::json::parse(res.body, nullptr, /*allow_exceptions=*/false);
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
  const std::string where = peer.url + "/.well-known/mimi-discovery";
  HttpFetchRequest req;
  req.base_url = peer.url;
  req.target = "/.well-known/mimi-discovery";
  req.headers = {{"Accept", "application/json"}};
  const HttpFetchReply res = fetch(req, timeout);
  const auto fetch_failed = [&](const std::string& reason) {
    return Status(Code::unavailable, "Cannot check the key against " + where + ": " + reason);
  };
  if (res.failure == FetchFailure::bad_url)
    return Status(Code::invalid_request, "The peer's URL is not an http:// or https:// URL.");
  if (res.failure != FetchFailure::none) return fetch_failed(failure_reason(res, timeout));
  if (res.status != 200) return fetch_failed(status_reason(res.status));
  auto meta = nlohmann::json::parse(res.body, nullptr, /*allow_exceptions=*/false);
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
