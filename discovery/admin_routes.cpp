// The admin routes of the REST API (DESIGN.md §4.5): each is one store transaction. Nothing else
// is needed after a write: the resolver's assertion cache is keyed by the mapping's revision.
#include "discovery/service.hpp"
#include "resolver/identifier.hpp"
#include "resolver/import_record.hpp"

namespace discovery {

using resolver::Code;
using resolver::Status;
using json = nlohmann::json;

namespace {

// Every admin body names fields from a fixed set; anything else is a typo worth reporting.
Status check_fields(const json& j, std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : j.items()) {
    bool known = false;
    for (auto a : allowed) known = known || key == a;
    if (!known) return Status(Code::invalid_request, "Unknown field \"" + key.substr(0, 64) + "\".");
  }
  return Status::Ok();
}

// The canonical identifier in body["identifier"] (with the optional body["region"]).
resolver::Result<std::string> body_identifier(const json& j) {
  auto id = j.find("identifier");
  if (id == j.end() || !id->is_string()) {
    return Status(Code::invalid_request, "identifier must be a string.");
  }
  std::string region;
  if (auto r = j.find("region"); r != j.end() && !r->is_null()) {
    if (!r->is_string()) return Status(Code::invalid_request, "region must be a string or null.");
    region = r->get<std::string>();
  }
  auto parsed = resolver::parse_identifier(id->get<std::string>(), region);
  if (!parsed) return parsed.status();
  return parsed->canonical;
}

// An admin body that names one identifier: its fields checked against `allowed`, and the
// identifier in canonical form.
struct IdentifierBody {
  json body;
  std::string identifier;
};
resolver::Result<IdentifierBody> read_identifier_body(resolver::Result<json> body,
                                                      std::initializer_list<std::string_view> allowed) {
  if (!body) return body.status();
  if (Status s = check_fields(*body, allowed); !s.ok()) return s;
  auto id = body_identifier(*body);
  if (!id) return id.status();
  return IdentifierBody{std::move(*body), std::move(*id)};
}

}  // namespace

Response Service::put_mappings(Call& call) {
  auto body = parse_body(call.request);
  if (!body) return error_response(body.status(), call.request_id);
  if (Status s = check_fields(*body, {"mappings", "region"}); !s.ok()) return error_response(s, call.request_id);
  auto list = body->find("mappings");
  if (list == body->end() || !list->is_array()) {
    return error_response(Status(Code::invalid_request, "mappings must be an array of records."), call.request_id);
  }
  // Bounded by max_body_bytes only: max_batch is a lookup limit (DESIGN.md §4.2).
  std::string region;
  if (auto r = body->find("region"); r != body->end() && !r->is_null()) {
    if (!r->is_string()) return error_response(Status(Code::invalid_request, "region must be a string or null."), call.request_id);
    region = r->get<std::string>();
  }
  // All or nothing: every record is validated before the one transaction.
  std::vector<resolver::Mapping> mappings;
  mappings.reserve(list->size());
  auto now = deps_.clock.now();
  for (std::size_t i = 0; i < list->size(); ++i) {
    std::string where = "mappings[" + std::to_string(i) + "]: ";
    auto record = resolver::record_from_json((*list)[i], region, now);
    if (!record) return error_response(Status(record.status().code(), where + record.status().message()), call.request_id);
    if (record->optout) {
      return error_response(Status(Code::invalid_request, where + "opt-outs go to POST /v1/admin/optout."),
                            call.request_id);
    }
    mappings.push_back(std::move(record->mapping));
  }
  auto n = deps_.store.upsert_mappings(mappings);
  if (!n) return error_response(n.status(), call.request_id);
  return json_response(json{{"upserted", *n}}.dump());
}

Response Service::delete_mappings(Call& call) {
  auto req = read_identifier_body(parse_body(call.request), {"identifier", "provider", "region"});
  if (!req) return error_response(req.status(), call.request_id);
  std::optional<std::string> provider;
  if (auto p = req->body.find("provider"); p != req->body.end() && !p->is_null()) {
    if (!p->is_string()) return error_response(Status(Code::invalid_request, "provider must be a string or null."), call.request_id);
    auto canonical = resolver::canonical_provider(p->get<std::string>());
    if (!canonical) return error_response(canonical.status(), call.request_id);
    provider = *canonical;
  }
  auto n = deps_.store.remove_mappings(req->identifier, provider);
  if (!n) return error_response(n.status(), call.request_id);
  return json_response(json{{"removed", *n}}.dump());
}

Response Service::post_optout(Call& call) {
  auto req = read_identifier_body(parse_body(call.request), {"identifier", "region"});
  if (!req) return error_response(req.status(), call.request_id);
  auto n = deps_.store.add_optout(req->identifier, deps_.clock.now());
  if (!n) return error_response(n.status(), call.request_id);
  return json_response(json{{"opted_out", true}, {"removed", *n}}.dump());
}

Response Service::delete_optout(Call& call) {
  auto req = read_identifier_body(parse_body(call.request), {"identifier", "region"});
  if (!req) return error_response(req.status(), call.request_id);
  auto lifted = deps_.store.remove_optout(req->identifier);
  if (!lifted) return error_response(lifted.status(), call.request_id);
  return json_response(json{{"opted_out", false}, {"lifted", *lifted}}.dump());
}

}  // namespace discovery
