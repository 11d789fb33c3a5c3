// DiscoveryClient: transport failures and error answers become sentences for the person at the
// terminal (what failed, at which URL, what to check).
#include "cli/discovery_client.hpp"

#include "resolver/http_fetch.hpp"

namespace cli {
namespace {

using resolver::Code;
using resolver::FetchFailure;
using resolver::Status;

// A metadata or lookup answer is a few KiB; a batch of federated mappings far less than this.
constexpr std::size_t kMaxAnswerBytes = 4 * 1024 * 1024;

Status unreachable(const std::string& url, const std::string& why) {
  return Status(Code::unavailable, "The server at " + url + " " + why);
}

Status transport_status(const resolver::HttpFetchReply& r, const std::string& url,
                        std::chrono::milliseconds timeout) {
  switch (r.failure) {
    case FetchFailure::none: break;
    case FetchFailure::bad_url:
      return Status(Code::invalid_request, "--server must be an http:// or https:// URL, e.g. http://127.0.0.1:8080.");
    case FetchFailure::too_large:
      return unreachable(url, "sent an answer over " + std::to_string(kMaxAnswerBytes) + " bytes.");
    case FetchFailure::timeout:
      return unreachable(url, "did not answer within " + std::to_string(timeout.count() / 1000) + " s.");
    case FetchFailure::connection:
      switch (r.connect) {
        case resolver::ConnectFailure::unresolved:
          return unreachable(url, "cannot be found: its host name does not resolve; check --server.");
        case resolver::ConnectFailure::refused:
          return unreachable(url, "refused the connection; check --server and that discoveryd runs there.");
        case resolver::ConnectFailure::unreachable:
          return unreachable(url, "cannot be reached (no route to its address); check --server and the network.");
        case resolver::ConnectFailure::unknown: break;
      }
      return unreachable(url, "cannot be connected to; check --server.");
    case FetchFailure::tls_ca: return Status(Code::invalid_request, "The CA file given with --ca-file cannot be loaded.");
    case FetchFailure::tls_untrusted:
      return unreachable(url, "has a TLS certificate that is not trusted (" + r.detail + "); trust its CA with --ca-file.");
    case FetchFailure::tls_name: return unreachable(url, "has a TLS certificate that does not name its host.");
    case FetchFailure::tls_handshake: return unreachable(url, "failed the TLS handshake; check that it serves https://.");
    case FetchFailure::read: return unreachable(url, "closed the connection or sent a malformed HTTP answer.");
    case FetchFailure::write: return unreachable(url, "closed the connection while the request was sent.");
    case FetchFailure::other: return unreachable(url, "could not be asked (" + r.detail + ").");
  }
  return Status::Ok();
}

// The Code of a §4 wire string; internal for one this client does not know.
Code code_of(const std::string& name) {
  static const std::pair<const char*, Code> kCodes[] = {
      {"invalid_identifier", Code::invalid_identifier}, {"invalid_request", Code::invalid_request},
      {"unauthorized", Code::unauthorized},             {"forbidden", Code::forbidden},
      {"not_found", Code::not_found},                   {"method_not_allowed", Code::method_not_allowed},
      {"payload_too_large", Code::payload_too_large},   {"rate_limited", Code::rate_limited},
      {"quota_exceeded", Code::quota_exceeded},         {"unavailable", Code::unavailable}};
  for (const auto& [wire, code] : kCodes) {
    if (name == wire) return code;
  }
  return Code::internal;
}

// An error answer (§4: {"error": {"code", "message"}}) as a Status, with advice where it helps.
Status error_status(const resolver::HttpFetchReply& r, const std::string& url) {
  const auto body = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  const auto* error = body.is_object() && body.contains("error") && body["error"].is_object() ? &body["error"] : nullptr;
  if (!error || !(*error)["code"].is_string() || !(*error)["message"].is_string()) {
    return unreachable(url, "answered HTTP " + std::to_string(r.status) +
                                " without a MIMI discovery error; check that --server is the base URL of its API.");
  }
  const Code code = code_of((*error)["code"].get<std::string>());
  std::string message = (*error)["message"].get<std::string>();
  if (code == Code::rate_limited || code == Code::quota_exceeded) {
    if (!r.retry_after.empty()) message += " Retry after " + r.retry_after + " s.";
    message += " A token (--token) raises the limits.";
  }
  if (code == Code::unauthorized) message += " Check --token.";
  return Status(code, message);
}

}  // namespace

resolver::Result<nlohmann::json> DiscoveryClient::get_json(const std::string& base_url,
                                                           const std::string& target, bool with_token) {
  resolver::HttpFetchRequest req;
  req.base_url = base_url;
  req.target = target;
  req.headers = {{"Accept", "application/json"}};
  if (with_token && !options_.token.empty()) req.headers.emplace_back("Authorization", "Bearer " + options_.token);
  const resolver::HttpFetchReply r = resolver::http_fetch(req, {options_.timeout, kMaxAnswerBytes, options_.ca_file});
  if (Status s = transport_status(r, base_url, options_.timeout); !s.ok()) return s;
  if (r.status != 200) return error_status(r, base_url);
  auto json = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return unreachable(base_url, "answered something other than a JSON object; check that --server is the base URL of its API.");
  }
  return json;
}

resolver::Result<nlohmann::json> DiscoveryClient::metadata(const std::string& base_url) {
  auto meta = get_json(base_url, "/.well-known/mimi-discovery", /*with_token=*/false);
  if (!meta) {
    if (meta.status().code() == Code::not_found) {
      return unreachable(base_url, "has no /.well-known/mimi-discovery; check that it is a MIMI discovery provider.");
    }
    return meta.status();
  }
  if (!(*meta)["issuer"].is_string() || !(*meta)["jwks"].is_object()) {
    return unreachable(base_url, "published metadata without an issuer and a jwks.");
  }
  return meta;
}

resolver::Result<nlohmann::json> DiscoveryClient::lookup(const std::string& base_url, const std::string& canonical) {
  return get_json(base_url, "/v1/lookup?id=" + resolver::percent_encode(canonical), /*with_token=*/true);
}

}  // namespace cli
