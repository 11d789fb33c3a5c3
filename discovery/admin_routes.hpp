// AdminRoutes: the admin surface (DESIGN.md §4.5): mapping upserts and removals, opt-outs. Each
// write is one store transaction; nothing else is needed after it, because the resolver's
// assertion cache is keyed by the mapping's revision. Thread-safe.
#pragma once

#include "discovery/route.hpp"

namespace discovery {

class AdminRoutes final : public Routes {
 public:
  using Routes::Routes;
  Surface surface() override;

 private:
  resolver::Result<Response> put_mappings(Call& call);
  resolver::Result<Response> delete_mappings(Call& call);
  resolver::Result<Response> post_optout(Call& call);
  resolver::Result<Response> delete_optout(Call& call);
};

}  // namespace discovery
