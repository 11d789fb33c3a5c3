// MatrixRoutes: the lookup subset of the Matrix identity service API v2 (DESIGN.md §11): versions,
// status, hash_details, the hashed lookup (sha256 and none), account, logout and terms, answered
// from the local index. Errors use the Matrix shape {"errcode", "error"}; every response carries
// the CORS headers the Matrix spec recommends. Thread-safe: its handlers may run on any number of
// threads at once.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "discovery/route.hpp"
#include "resolver/identifier_cache.hpp"
#include "resolver/pepper.hpp"

namespace discovery {

// Every path of the surface starts with this; an unknown one is 404 M_UNRECOGNIZED.
inline constexpr std::string_view kMatrixPrefix = "/_matrix/identity/";

// The Matrix user id of a mapping's user URI: "matrix:u/alice:example.org" -> "@alice:example.org";
// nullopt when the URI names no Matrix user.
std::optional<std::string> matrix_user_id(std::string_view user_uri);

// The canonical identifier of a plain lookup address "<address> <medium>" (algorithm "none"):
// "alice@example.com email" -> "mailto:alice@example.com", "14155552671 msisdn" ->
// "tel:+14155552671". invalid_identifier when the medium is unknown or the address does not parse.
resolver::Result<std::string> plain_address_identifier(std::string_view address,
                                                       resolver::IdentifierCache& identifiers);

// Whether `pepper` is accepted at `now`: the current pepper, or one retired less than `grace_s`
// ago. `peppers` as Store::peppers() answers them, newest first.
bool pepper_accepted(const std::vector<resolver::Pepper>& peppers, std::string_view pepper,
                     resolver::UnixTime now, std::int64_t grace_s);

// The Matrix error body {"errcode", "error"} of `status` (errcode from the Status code unless the
// handler named one in `call`), with the status's HTTP code; 429 carries retry_after_ms.
Response matrix_error_response(const resolver::Status& status, const Call& call, std::string_view route_path,
                               std::int64_t retry_after_s);

class MatrixRoutes final : public Routes {
 public:
  explicit MatrixRoutes(RouteContext ctx) : Routes(ctx), identifiers_(ctx.config.identifier_cache_entries) {}
  Surface surface() override;

 private:
  resolver::Result<Response> versions(Call& call);
  resolver::Result<Response> status(Call& call);
  resolver::Result<Response> hash_details(Call& call);
  resolver::Result<Work> lookup(Call& call);
  resolver::Result<Response> account(Call& call);
  resolver::Result<Response> logout(Call& call);
  resolver::Result<Response> get_terms(Call& call);
  resolver::Result<Response> post_terms(Call& call);
  resolver::Result<Response> preflight(Call& call);

  // The peppers as the store has them; unavailable when none was made yet.
  resolver::Result<std::vector<resolver::Pepper>> live_peppers();

  resolver::IdentifierCache identifiers_;
};

}  // namespace discovery
