// The WebFinger routes: the resource read as RFC 7033 §4.1 and DESIGN.md §11 say, the lookup by
// the resolver (local index only), and the JRD written from its answer.
#include "discovery/webfinger_routes.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "resolver/mapping_json.hpp"

namespace discovery {

// Members in the order RFC 7033 §4.4 lists them, so the JRD reads subject first.
using json = nlohmann::ordered_json;
using resolver::Code;
using resolver::Result;
using resolver::Status;

namespace {

constexpr std::string_view kJrdContentType = "application/jrd+json";
constexpr std::string_view kActivityJson = "application/activity+json";

// One sentence for every miss of the index: a WebFinger caller cannot tell "not indexed" from
// "opted out" or "expired" (DESIGN.md §11 answers all three 404; /v1/lookup tells them apart).
constexpr const char* kNotFound =
    "No account is discoverable here for this resource; check the address or ask its provider.";
constexpr const char* kOtherScheme = "This server looks up acct:, mailto: and tel: resources only.";

bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The scheme of an absolute URI (RFC 3986 §3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"),
// lower-cased; nullopt when `uri` does not open with one.
std::optional<std::string> uri_scheme(std::string_view uri) {
  auto colon = uri.find(':');
  if (colon == std::string_view::npos || colon == 0 || !is_alpha(uri.front())) return std::nullopt;
  std::string scheme;
  for (char c : uri.substr(0, colon)) {
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return std::nullopt;
    scheme.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
  }
  return scheme;
}

bool is_https(std::string_view uri) { return uri_scheme(uri) == "https"; }

bool wanted(const std::vector<std::string>& rels, std::string_view rel) {
  return rels.empty() || std::find(rels.begin(), rels.end(), rel) != rels.end();
}

json mapping_link(const resolver::ServedMapping& served) {
  const resolver::Mapping& m = served.mapping;
  const std::string prefix(kPropertyPrefix);
  json properties = {
      {prefix + "provider", m.provider},
      {prefix + "tags", resolver::tags_json(m.tags)},
      {prefix + "keys", resolver::keys_json(m.keys)},
      // RFC 7033 §4.4.4.4 allows null: a mapping without expiry has no date to give.
      {prefix + "expires_at", m.expires_at ? json(resolver::format_rfc3339(*m.expires_at)) : json(nullptr)},
      {prefix + "assertion", served.assertion},
  };
  return {{"rel", kMappingRel},
          {"href", m.user},
          {"titles", {{"und", m.provider}}},
          {"properties", std::move(properties)}};
}

}  // namespace

Result<WebFingerResource> read_webfinger_resource(std::string_view resource,
                                                  resolver::IdentifierCache& identifiers) {
  if (resource.empty()) {
    return Status(Code::invalid_request,
                  "The query parameter resource is empty; give the URI to look up, e.g. "
                  "resource=acct:alice@chat.example.");
  }
  auto scheme = uri_scheme(resource);
  if (!scheme) {
    return Status(Code::invalid_request,
                  "The resource must be an absolute URI with a scheme, e.g. acct:alice@chat.example, "
                  "mailto:alice@example.com or tel:+14155552671.");
  }
  WebFingerResource r;
  if (*scheme == "acct" || *scheme == "mailto" || *scheme == "tel") {
    // tel: URIs are global numbers (RFC 3966), so no region is needed or taken.
    r.identifier = identifiers.parse(resource, "");
  }
  return r;
}

std::string webfinger_jrd(const resolver::LookupResult& found, const std::vector<std::string>& rels) {
  json links = json::array();
  // Mastodon follows the first self link of type application/activity+json (DESIGN.md §11).
  if (wanted(rels, "self")) {
    std::vector<std::string_view> actors;
    for (const auto& served : found.mappings) {
      const std::string& user = served.mapping.user;
      if (!is_https(user) || std::find(actors.begin(), actors.end(), user) != actors.end()) continue;
      actors.push_back(user);
      links.push_back({{"rel", "self"}, {"type", kActivityJson}, {"href", user}});
    }
  }
  if (wanted(rels, kMappingRel)) {
    for (const auto& served : found.mappings) links.push_back(mapping_link(served));
  }
  json jrd = {{"subject", found.identifier.canonical}, {"links", std::move(links)}};
  return jrd.dump();
}

Surface WebFingerRoutes::surface() {
  Surface s{"webfinger", Dialect::mimi, {}, {}};
  s.routes = {
      {.method = "GET", .path = "/.well-known/webfinger", .limited = true, .lane = Lane::store,
       .query = {{"resource", "rel"}, {"rel"}, QueryPlus::literal},
       .handler = bind(&WebFingerRoutes::get_webfinger)},
      {.method = "OPTIONS", .path = "/.well-known/webfinger",
       .handler = bind(&WebFingerRoutes::preflight)},
  };
  // RFC 7033 §5: any origin may read any answer, errors included.
  s.headers = {{"Access-Control-Allow-Origin", "*"},
               {"Access-Control-Expose-Headers",
                "Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, X-Request-Id"}};
  return s;
}

Result<Work> WebFingerRoutes::get_webfinger(Call& call) {
  auto resource = call.target.param("resource");
  if (!resource) {
    return Status(Code::invalid_request,
                  "The query parameter resource is required: the URI to look up, e.g. "
                  "resource=acct:alice@chat.example.");
  }
  auto read = read_webfinger_resource(*resource, identifiers_);
  if (!read) return read.status();
  // One unit per resource, as a lookup; a resource that names no identifier costs no budget.
  Work w;
  w.cost = 1;
  auto parsed = std::move(read->identifier);
  if (parsed && *parsed) w.identifiers.push_back((*parsed)->canonical);
  w.run = [this, parsed = std::move(parsed), rels = call.target.values("rel")](Call&) mutable -> Result<Response> {
    // Not lookups of the index, so not counted as lookups; still 404 (DESIGN.md §11).
    if (!parsed) return Status(Code::not_found, kOtherScheme);
    if (!*parsed) {
      return Status(Code::not_found, "The resource is not an identifier this server can look up: " +
                                         parsed->status().message() + ".");
    }
    std::vector<Result<resolver::Identifier>> one;
    one.push_back(std::move(*parsed));
    // The local index only (DESIGN.md §11): a WebFinger lookup never waits on peers.
    auto results = ctx_.deps.resolver.lookup_batch(std::move(one), {std::nullopt, /*federate=*/false});
    if (!results) return results.status();
    const auto& result = results->front();
    if (!result) return result.status();
    ctx_.metrics.record_lookup(resolver::lookup_status_name(result->status));
    if (result->status != resolver::LookupStatus::found) return Status(Code::not_found, kNotFound);
    Response r = json_response(webfinger_jrd(*result, rels));
    r.content_type = std::string(kJrdContentType);
    return r;
  };
  return w;
}

Result<Response> WebFingerRoutes::preflight(Call&) {
  Response r;
  r.status = 204;
  r.headers = {{"Access-Control-Allow-Methods", "GET, HEAD, OPTIONS"},
               {"Access-Control-Allow-Headers", "Accept, Authorization"},
               {"Access-Control-Max-Age", "86400"}};
  return r;
}

}  // namespace discovery
