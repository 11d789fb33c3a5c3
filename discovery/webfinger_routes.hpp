// WebFingerRoutes: the WebFinger surface (RFC 7033, DESIGN.md §11): GET /.well-known/webfinger
// answers a JRD from the local index through the resolver, and OPTIONS answers a CORS preflight.
// Errors use our JSON shape; every response carries CORS headers. Thread-safe: its handlers may
// run on any number of threads at once.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "discovery/route.hpp"
#include "resolver/identifier_cache.hpp"

namespace discovery {

// The link relation of a mapping in a JRD: a constant name, never dereferenced (DESIGN.md §11).
inline constexpr std::string_view kMappingRel = "https://mimi-discovery.example/rel/mapping";
// The prefix of the names of a mapping link's properties ("…/prop/provider", "…/prop/tags", …).
inline constexpr std::string_view kPropertyPrefix = "https://mimi-discovery.example/prop/";

// What a `resource` parameter names (RFC 7033 §4.1, DESIGN.md §11).
struct WebFingerResource {
  // nullopt: the resource is an absolute URI whose scheme this server does not index (not acct:,
  // mailto: or tel:); it is looked up nowhere and answered 404.
  std::optional<resolver::Result<resolver::Identifier>> identifier;
};

// Reads a decoded `resource` value. invalid_request when it is empty or not an absolute URI
// (RFC 3986 §4.3: a scheme and ':'), e.g. "alice@chat.example" or "=acct:alice@chat.example".
resolver::Result<WebFingerResource> read_webfinger_resource(std::string_view resource,
                                                            resolver::IdentifierCache& identifiers);

// The JRD of a found lookup (RFC 7033 §4.4): `subject` the canonical identifier, a `self` link
// (application/activity+json) for each https: user URI first, then one mapping link per mapping
// in §4.1 order; only links whose rel is in `rels` when `rels` is not empty.
std::string webfinger_jrd(const resolver::LookupResult& found, const std::vector<std::string>& rels);

class WebFingerRoutes final : public Routes {
 public:
  explicit WebFingerRoutes(RouteContext ctx)
      : Routes(ctx), identifiers_(ctx.config.identifier_cache_entries) {}
  Surface surface() override;

 private:
  resolver::Result<Work> get_webfinger(Call& call);
  resolver::Result<Response> preflight(Call& call);

  resolver::IdentifierCache identifiers_;
};

}  // namespace discovery
