// HttpPeerClient: the one place cpp-httplib errors become peer statuses (failure_for).
// cpp-httplib's timeout defaults are minutes long and baked into Debian's compiled library
// (DEPENDENCIES.md trap 3), so every call sets all three from the caller's timeout.
#include "resolver/http_peer_client.hpp"

#include <httplib.h>

#include <atomic>

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

// The one mapping of cpp-httplib's errors to peer statuses (STYLE.md habit 9). A read that gave
// up is reported by the library as Read, so a failure after the timeout has passed is a timeout.
PeerReply failure_for(httplib::Error e, bool over_size, bool past_deadline, bool timed_out) {
  if (over_size) return failed(PeerFailure::error, "The peer's answer is larger than max_peer_response_bytes.");
  if (past_deadline || timed_out || e == httplib::Error::ConnectionTimeout) {
    return failed(PeerFailure::timeout, "The peer did not answer within its timeout.");
  }
  switch (e) {
    case httplib::Error::Connection:
      return failed(PeerFailure::error, "The peer cannot be reached.");
    case httplib::Error::SSLConnection:
    case httplib::Error::SSLLoadingCerts:
    case httplib::Error::SSLServerVerification:
      return failed(PeerFailure::error, "The TLS connection to the peer failed or its certificate is not trusted.");
    default:
      return failed(PeerFailure::error, "The request to the peer failed: " + httplib::to_string(e) + ".");
  }
}

}  // namespace

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
    return failed(PeerFailure::error, "The peer's URL is not an http:// or https:// URL.");
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
    return failure_for(err, over_size, past_deadline, SteadyClock::now() - start >= timeout);
  }
  if (status != 200) {
    return failed(PeerFailure::error, "The peer answered HTTP " + std::to_string(status) + ".");
  }
  auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return failed(PeerFailure::error, "The peer's answer is not JSON.");
  PeerReply reply;
  if (single) {
    reply.answers.push_back(std::move(json));
    return reply;
  }
  auto results = json.is_object() ? json.find("results") : json.end();
  if (!json.is_object() || results == json.end() || !results->is_array() ||
      results->size() != identifiers.size()) {
    return failed(PeerFailure::error, "The peer's batch answer has no results array of the asked size.");
  }
  reply.answers.assign(results->begin(), results->end());
  return reply;
}

}  // namespace resolver
