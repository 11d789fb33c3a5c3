// AdminRoutes: the admin surface (DESIGN.md §4.5): mapping upserts and removals, opt-outs. Each
// write is one store transaction; nothing else is needed after it, because the resolver's
// assertion cache is keyed by the mapping's revision. Thread-safe.
#pragma once

#include "discovery/route.hpp"

namespace discovery {

class AdminRoutes {
 public:
  explicit AdminRoutes(RouteContext ctx) : ctx_(ctx) {}
  AdminRoutes(const AdminRoutes&) = delete;
  AdminRoutes& operator=(const AdminRoutes&) = delete;

  // The route table. REQUIRES: this object outlives the table.
  Surface surface();

 private:
  resolver::Result<Response> put_mappings(Call& call);
  resolver::Result<Response> delete_mappings(Call& call);
  resolver::Result<Response> post_optout(Call& call);
  resolver::Result<Response> delete_optout(Call& call);

  RouteContext ctx_;
};

}  // namespace discovery
