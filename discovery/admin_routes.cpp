// The admin routes. They run on the worker pool: a write may wait for SQLite's write lock (an
// import in progress) or, on a network store, for the network.
#include "discovery/admin_routes.hpp"

#include "discovery/request_rules.hpp"
#include "resolver/identifier.hpp"
#include "resolver/import_record.hpp"

namespace discovery {

using json = nlohmann::json;
using resolver::Code;
using resolver::Result;
using resolver::Status;

namespace {

// An admin body that names one identifier: its fields checked against `allowed`, and the
// identifier in canonical form (with the optional body["region"]).
struct IdentifierBody {
  json body;
  std::string identifier;
};
Result<IdentifierBody> read_identifier_body(const Request& request,
                                            const std::vector<std::string_view>& allowed) {
  auto body = parse_body(request);
  if (!body) return body.status();
  if (Status s = check_fields(*body, allowed); !s.ok()) return s;
  auto id = body->find("identifier");
  if (id == body->end() || !id->is_string()) {
    return Status(Code::invalid_request, "identifier must be a string.");
  }
  auto region = body_region(*body);
  if (!region) return region.status();
  auto parsed = resolver::parse_identifier(id->get<std::string>(), *region);
  if (!parsed) return parsed.status();
  return IdentifierBody{std::move(*body), std::move(parsed->canonical)};
}

}  // namespace

Surface AdminRoutes::surface() {
  auto admin = [](std::string_view method, std::string_view path, Handler handler) {
    return Route{.method = method, .path = path, .role = resolver::Role::admin,
                 .lane = Lane::worker, .handler = std::move(handler)};
  };
  return {"admin", Dialect::mimi,
          {admin("PUT", "/v1/admin/mappings", bind(&AdminRoutes::put_mappings)),
           admin("DELETE", "/v1/admin/mappings", bind(&AdminRoutes::delete_mappings)),
           admin("POST", "/v1/admin/optout", bind(&AdminRoutes::post_optout)),
           admin("DELETE", "/v1/admin/optout", bind(&AdminRoutes::delete_optout))}};
}

Result<Response> AdminRoutes::put_mappings(Call& call) {
  auto body = parse_body(call.request);
  if (!body) return body.status();
  if (Status s = check_fields(*body, {"mappings", "region"}); !s.ok()) return s;
  auto list = body->find("mappings");
  if (list == body->end() || !list->is_array()) {
    return Status(Code::invalid_request, "mappings must be an array of records.");
  }
  // Bounded by max_body_bytes only: max_batch is a lookup limit (DESIGN.md §4.2).
  auto region = body_region(*body);
  if (!region) return region.status();
  // All or nothing: every record is validated before the one transaction.
  std::vector<resolver::Mapping> mappings;
  mappings.reserve(list->size());
  auto now = ctx_.deps.clock.now();
  for (std::size_t i = 0; i < list->size(); ++i) {
    std::string where = "mappings[" + std::to_string(i) + "]: ";
    auto record = resolver::record_from_json((*list)[i], *region, now);
    if (!record) return Status(record.status().code(), where + record.status().message());
    if (record->optout) {
      return Status(Code::invalid_request, where + "opt-outs go to POST /v1/admin/optout.");
    }
    mappings.push_back(std::move(record->mapping));
  }
  auto n = ctx_.deps.store.upsert_mappings(mappings);
  if (!n) return n.status();
  return json_response(json{{"upserted", *n}}.dump());
}

Result<Response> AdminRoutes::delete_mappings(Call& call) {
  auto req = read_identifier_body(call.request, {"identifier", "provider", "region"});
  if (!req) return req.status();
  auto provider = body_provider(req->body);
  if (!provider) return provider.status();
  auto n = ctx_.deps.store.remove_mappings(req->identifier, *provider);
  if (!n) return n.status();
  return json_response(json{{"removed", *n}}.dump());
}

Result<Response> AdminRoutes::post_optout(Call& call) {
  auto req = read_identifier_body(call.request, {"identifier", "region"});
  if (!req) return req.status();
  auto n = ctx_.deps.store.add_optout(req->identifier, ctx_.deps.clock.now());
  if (!n) return n.status();
  return json_response(json{{"opted_out", true}, {"removed", *n}}.dump());
}

Result<Response> AdminRoutes::delete_optout(Call& call) {
  auto req = read_identifier_body(call.request, {"identifier", "region"});
  if (!req) return req.status();
  auto lifted = ctx_.deps.store.remove_optout(req->identifier);
  if (!lifted) return lifted.status();
  return json_response(json{{"opted_out", false}, {"lifted", *lifted}}.dump());
}

}  // namespace discovery
