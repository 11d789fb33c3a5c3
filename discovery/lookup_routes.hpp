// LookupRoutes: the client lookup surface (DESIGN.md §4.1-4.3): single and batch lookups and the
// DP's metadata. Thread-safe: its handlers may run on any number of threads at once.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "discovery/route.hpp"
#include "resolver/identifier_cache.hpp"

namespace discovery {

class LookupRoutes final : public Routes {
 public:
  explicit LookupRoutes(RouteContext ctx)
      : Routes(ctx), identifiers_(ctx.config.identifier_cache_entries) {}
  Surface surface() override;

 private:
  // The work of a lookup: each input parsed once, for the rate limiter's charge and for the
  // resolver. `single` answers the §4.1 object (GET), else the §4.2 batch.
  Work lookup_work(const Call& call, std::vector<std::string> inputs, const std::string& region,
                   resolver::LookupOptions options, bool single);
  void count(const resolver::Result<resolver::LookupResult>& r);

  resolver::Result<Work> get_lookup(Call& call);
  resolver::Result<Work> post_lookup(Call& call);
  resolver::Result<Response> well_known(Call& call);

  resolver::IdentifierCache identifiers_;
};

}  // namespace discovery
