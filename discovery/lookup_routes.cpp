// The lookup routes of the REST API (DESIGN.md §4.1-4.3): query and body validation, the rate
// limiter seam, and the resolver calls.
#include <algorithm>
#include <cctype>

#include "discovery/service.hpp"
#include "resolver/identifier.hpp"
#include "resolver/import_record.hpp"

namespace discovery {

using resolver::Code;
using resolver::Role;
using resolver::Status;
using json = nlohmann::json;

namespace {

// Validates the options shared by GET and POST. region: ISO 3166 alpha-2; provider: a domain.
Status check_region(std::string& region) {
  for (char& c : region) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!region.empty() && (region.size() != 2 || !resolver::is_known_region(region))) {
    return Status(Code::invalid_request, "region must be an ISO 3166 alpha-2 country code such as US.");
  }
  return Status::Ok();
}

Status check_provider(std::string& provider) {
  auto canonical = resolver::canonical_provider(provider);
  if (!canonical) {
    return Status(Code::invalid_request, "provider must be a domain name such as chat.example.");
  }
  provider = *canonical;
  return Status::Ok();
}

void add_rate_headers(Response& r, const std::optional<RateHeaders>& h) {
  if (!h) return;
  r.headers.emplace_back("RateLimit-Limit", std::to_string(h->limit));
  r.headers.emplace_back("RateLimit-Remaining", std::to_string(h->remaining));
  r.headers.emplace_back("RateLimit-Reset", std::to_string(h->reset_s));
}

}  // namespace

// Asks the limiter; returns the 429 response when it says no, nullopt when admitted.
std::optional<Response> Service::admit(Call& call, std::size_t cost,
                                       std::span<const std::string> canonical, RateDecision& d) {
  d = deps_.limiter.admit({call.caller, call.role, cost, canonical});
  if (d.status.ok()) return std::nullopt;
  Status s = d.status;
  if (s.code() != Code::rate_limited && s.code() != Code::quota_exceeded) {
    s = Status(Code::rate_limited, s.message());
  }
  metrics_.record_rate_limited(resolver::role_name(call.role), resolver::code_name(s.code()));
  Response r = error_response(s, call.request_id);
  r.headers.emplace_back("Retry-After", std::to_string(std::max<std::int64_t>(1, d.retry_after_s)));
  add_rate_headers(r, d.headers);
  return r;
}

void Service::count_result(const resolver::LookupResult& r) {
  // Peer calls are counted by the federation as they happen (Metrics is its observer).
  metrics_.record_lookup(resolver::lookup_status_name(r.status));
}

Response Service::get_lookup(Call& call) {
  for (const auto& [name, value] : call.target.params) {
    if (name != "id" && name != "region" && name != "provider" && name != "federate") {
      return error_response(Status(Code::invalid_request,
                                   "Unknown query parameter; use id, region, provider and federate."),
                            call.request_id);
    }
  }
  resolver::LookupQuery q;
  auto id = call.target.param("id");
  if (!id) return error_response(Status(Code::invalid_request, "The query parameter id is required."), call.request_id);
  q.input = *id;
  q.region = call.target.param("region").value_or("");
  if (Status s = check_region(q.region); !s.ok()) return error_response(s, call.request_id);
  if (auto p = call.target.param("provider")) {
    if (Status s = check_provider(*p); !s.ok()) return error_response(s, call.request_id);
    q.provider = *p;
  }
  if (auto f = call.target.param("federate")) {
    if (*f != "true" && *f != "false") {
      return error_response(Status(Code::invalid_request, "federate must be true or false."), call.request_id);
    }
    q.federate = *f == "true";
  }
  // Federation is a privilege (DESIGN.md §5).
  q.federate = q.federate && (call.role != Role::anonymous || config_.federation.anonymous);

  auto parsed = resolver::parse_identifier(q.input, q.region);
  std::vector<std::string> canonical;
  if (parsed) canonical.push_back(parsed->canonical);
  RateDecision decision;
  if (auto rejected = admit(call, 1, canonical, decision)) return *rejected;
  if (!parsed) {
    metrics_.record_lookup("invalid_identifier");
    return error_response(parsed.status(), call.request_id);
  }
  auto result = deps_.resolver.lookup(q);
  if (!result) {
    if (result.status().code() == Code::invalid_identifier) metrics_.record_lookup("invalid_identifier");
    return error_response(result.status(), call.request_id);
  }
  count_result(*result);
  Response r = json_response(resolver::to_json(*result).dump());
  add_rate_headers(r, decision.headers);
  return r;
}

Response Service::post_lookup(Call& call) {
  auto body = parse_body(call.request);
  if (!body) return error_response(body.status(), call.request_id);
  const json& j = *body;
  for (const auto& [key, value] : j.items()) {
    if (key != "identifiers" && key != "region" && key != "provider" && key != "federate") {
      return error_response(Status(Code::invalid_request, "Unknown field \"" + key.substr(0, 64) +
                                                              "\"; use identifiers, region, provider and federate."),
                            call.request_id);
    }
  }
  auto ids = j.find("identifiers");
  if (ids == j.end() || !ids->is_array()) {
    return error_response(Status(Code::invalid_request, "identifiers must be an array of strings."), call.request_id);
  }
  if (ids->size() > config_.max_batch) {
    return error_response(Status(Code::payload_too_large,
                                 "A batch holds at most " + std::to_string(config_.max_batch) +
                                     " identifiers; split it into several requests."),
                          call.request_id);
  }
  std::vector<std::string> inputs;
  inputs.reserve(ids->size());
  for (std::size_t i = 0; i < ids->size(); ++i) {
    if (!(*ids)[i].is_string()) {
      return error_response(Status(Code::invalid_request, "identifiers[" + std::to_string(i) + "] must be a string."),
                            call.request_id);
    }
    inputs.push_back((*ids)[i].get<std::string>());
  }
  std::string region;
  if (auto it = j.find("region"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return error_response(Status(Code::invalid_request, "region must be a string or null."), call.request_id);
    region = it->get<std::string>();
    if (Status s = check_region(region); !s.ok()) return error_response(s, call.request_id);
  }
  std::optional<std::string> provider;
  if (auto it = j.find("provider"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return error_response(Status(Code::invalid_request, "provider must be a string or null."), call.request_id);
    std::string p = it->get<std::string>();
    if (Status s = check_provider(p); !s.ok()) return error_response(s, call.request_id);
    provider = p;
  }
  bool federate = true;
  if (auto it = j.find("federate"); it != j.end() && !it->is_null()) {
    if (!it->is_boolean()) return error_response(Status(Code::invalid_request, "federate must be true or false."), call.request_id);
    federate = it->get<bool>();
  }
  federate = federate && (call.role != Role::anonymous || config_.federation.anonymous);

  // Canonical forms for the limiter: invalid identifiers cost a token but no budget (DESIGN.md §7).
  std::vector<std::string> canonical;
  canonical.reserve(inputs.size());
  for (const auto& in : inputs) {
    if (auto p = resolver::parse_identifier(in, region)) canonical.push_back(std::move(p->canonical));
  }
  RateDecision decision;
  if (auto rejected = admit(call, inputs.size(), canonical, decision)) return *rejected;

  auto results = deps_.resolver.lookup_batch(inputs, region, provider, federate);
  if (!results) return error_response(results.status(), call.request_id);
  json out = json::array();
  for (std::size_t i = 0; i < results->size(); ++i) {
    const auto& r = (*results)[i];
    if (r) {
      count_result(*r);
      out.push_back(resolver::to_json(*r));
    } else {
      metrics_.record_lookup("invalid_identifier");
      out.push_back(resolver::batch_error_json(inputs[i], r.status()));
    }
  }
  Response r = json_response(json{{"results", std::move(out)}}.dump());
  add_rate_headers(r, decision.headers);
  return r;
}

Response Service::well_known(Call& call) {
  auto snap = deps_.keyring.snapshot();
  if (!snap) {
    return error_response(Status(Code::unavailable, "The signing keys are not loaded."), call.request_id);
  }
  json j = {{"issuer", snap->issuer},
            {"jwks", snap->jwks},
            {"identifier_types", {"phone", "email", "handle"}},
            {"max_batch", config_.max_batch},
            {"api", "/v1"}};
  return json_response(j.dump());
}

}  // namespace discovery
