// PrivateRoutes: the private-lookup surface of DESIGN.md §12. POST /v1/private/evaluate runs
// BlindEvaluate with the batch DLEQ proof on the worker pool (each element one token and one unit
// of the distinct budget); GET /v1/private/buckets/{key_id}/{bucket} answers a bucket's sealed
// entries, the same bytes for every caller (not rate limited, cacheable, ETag). Thread-safe: its
// handlers may run on any number of threads at once.
#pragma once

#include <string>

#include "discovery/private_keys.hpp"
#include "discovery/route.hpp"

namespace discovery {

// The "private" member of /.well-known/mimi-discovery for `snapshot` (null when no epoch is served).
nlohmann::json private_metadata(const PrivateSnapshot& snapshot, const Config& config);

// The body of a bucket response: {"key_id", "bucket", "entries": [{"tag", "record"}...]}.
std::string bucket_body(const std::string& key_id, std::int64_t bucket,
                        const std::vector<resolver::PrivateEntry>& entries);

class PrivateRoutes final : public Routes {
 public:
  PrivateRoutes(RouteContext ctx, PrivateKeys& keys) : Routes(ctx), keys_(keys) {}
  Surface surface() override;

 private:
  resolver::Result<Work> post_evaluate(Call& call);
  resolver::Result<Response> get_bucket(Call& call);

  PrivateKeys& keys_;
};

}  // namespace discovery
