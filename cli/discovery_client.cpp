// DiscoveryClient: transport failures and error answers become sentences for the person at the
// terminal (what failed, at which URL, what to check).
#include "cli/discovery_client.hpp"

#include <algorithm>
#include <cctype>

#include "resolver/http_fetch.hpp"

namespace cli {
namespace {

using resolver::Code;
using resolver::FetchFailure;
using resolver::Status;

// A metadata answer is a few KiB, a bucket of sealed records (§12) some hundreds, a batch of
// 1,000 answers (§4.2) a few MiB.
constexpr std::size_t kMaxAnswerBytes = 16 * 1024 * 1024;

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
      {"quota_exceeded", Code::quota_exceeded},         {"unavailable", Code::unavailable},
      {"key_changed", Code::key_changed}};
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

resolver::Result<std::string> DiscoveryClient::fetch(const std::string& method, const std::string& base_url,
                                                     const std::string& target, const std::string& body,
                                                     bool with_token) const {
  resolver::HttpFetchRequest req;
  req.method = method;
  req.base_url = base_url;
  req.target = target;
  req.headers = {{"Accept", "application/json"}};
  if (!body.empty()) req.headers.emplace_back("Content-Type", "application/json");
  req.body = body;
  if (with_token && !options_.token.empty()) req.headers.emplace_back("Authorization", "Bearer " + options_.token);
  resolver::HttpFetchReply r = resolver::http_fetch(req, {options_.timeout, kMaxAnswerBytes, options_.ca_file});
  if (Status s = transport_status(r, base_url, options_.timeout); !s.ok()) return s;
  if (r.status != 200) return error_status(r, base_url);
  return std::move(r.body);
}

resolver::Result<nlohmann::json> DiscoveryClient::get_json(const std::string& base_url,
                                                           const std::string& target, bool with_token) const {
  auto body = fetch("GET", base_url, target, "", with_token);
  if (!body) return body.status();
  auto json = nlohmann::json::parse(*body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return unreachable(base_url, "answered something other than a JSON object; check that --server is the base URL of its API.");
  }
  return json;
}

resolver::Result<nlohmann::json> DiscoveryClient::metadata(const std::string& base_url) const {
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

resolver::Result<nlohmann::json> DiscoveryClient::lookup_batch(const std::string& base_url,
                                                               const std::vector<std::string>& canonicals) const {
  auto body = fetch("POST", base_url, "/v1/lookup", nlohmann::json{{"identifiers", canonicals}}.dump(),
                    /*with_token=*/true);
  if (!body) return body.status();
  auto answer = nlohmann::json::parse(*body, nullptr, /*allow_exceptions=*/false);
  const auto results = answer.is_object() ? answer.find("results") : answer.end();
  if (results == answer.end() || !results->is_array()) {
    return unreachable(base_url, "answered a batch lookup without a results array; check that --server is the base URL of its API.");
  }
  return std::move(*results);
}

resolver::Result<std::string> DiscoveryClient::private_evaluate(const std::string& base_url,
                                                                const std::string& request) const {
  return fetch("POST", base_url, "/v1/private/evaluate", request, /*with_token=*/true);
}

resolver::Result<std::string> DiscoveryClient::private_bucket(const std::string& base_url, const std::string& key_id,
                                                              std::int64_t bucket) const {
  return fetch("GET", base_url, "/v1/private/buckets/" + resolver::percent_encode(key_id) + "/" + std::to_string(bucket),
               "", /*with_token=*/false);
}

std::size_t first_batch(const nlohmann::json& metadata, bool anonymous, std::size_t most) {
  std::size_t batch = most ? most : 1;
  if (!anonymous) return batch;
  const auto limits = metadata.find("rate_limits");
  if (limits == metadata.end() || !limits->is_object()) return batch;
  const auto role = limits->find("anonymous");
  if (role == limits->end() || !role->is_object()) return batch;
  const auto max = role->find("max_batch");
  if (max != role->end() && max->is_number_integer() && max->get<std::int64_t>() > 0) {
    batch = std::min(batch, static_cast<std::size_t>(max->get<std::int64_t>()));
  }
  return batch;
}

std::pair<std::size_t, Status> send_in_batches(std::size_t first, std::size_t end, std::size_t batch,
                                               const std::function<Status(std::size_t, std::size_t)>& send) {
  std::size_t position = first;
  batch = batch ? batch : 1;
  while (position < end) {
    const std::size_t count = std::min(batch, end - position);
    Status s = send(position, count);
    if (s.code() == Code::payload_too_large) {
      // "... at most N ...": the largest count this caller may send.
      const auto at = s.message().find("at most ");
      std::size_t most = 0;
      for (std::size_t i = at == std::string::npos ? s.message().size() : at + 8;
           i < s.message().size() && std::isdigit(static_cast<unsigned char>(s.message()[i])) && most <= 1000000; ++i) {
        most = most * 10 + static_cast<std::size_t>(s.message()[i] - '0');
      }
      if (most > 0 && most < count) {
        batch = most;
        continue;
      }
    }
    if (!s.ok()) return {position, s};
    position += count;
  }
  return {end, Status::Ok()};
}

std::vector<resolver::Result<nlohmann::json>> PlainLookup::lookup(const std::vector<resolver::Identifier>& ids) {
  std::vector<resolver::Result<nlohmann::json>> out(ids.size(), Status(Code::internal, "The identifier was not looked up."));
  const auto failure = send_in_batches(0, ids.size(), batch_, [&](std::size_t position, std::size_t count) {
    std::vector<std::string> canonicals;
    canonicals.reserve(count);
    for (std::size_t i = position; i < position + count; ++i) canonicals.push_back(ids[i].canonical);
    auto results = client_.lookup_batch(base_url_, canonicals);
    if (!results) return results.status();
    if (results->size() != count) {
      return unreachable(base_url_, "answered a batch lookup without one result per identifier.");
    }
    for (std::size_t j = 0; j < count; ++j) {
      nlohmann::json& r = (*results)[j];
      const auto error = r.is_object() ? r.find("error") : r.end();
      if (error == r.end()) {
        out[position + j] = std::move(r);
      } else {
        const auto text = [&](const char* name) {
          const auto it = error->is_object() ? error->find(name) : error->end();
          return it != error->end() && it->is_string() ? it->get<std::string>() : std::string();
        };
        out[position + j] = Status(code_of(text("code")), text("message"));
      }
    }
    return Status::Ok();
  });
  for (std::size_t i = failure.first; i < ids.size(); ++i) out[i] = failure.second;
  return out;
}

}  // namespace cli
