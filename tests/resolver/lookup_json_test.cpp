// The lookup answer's JSON text against nlohmann::json's rendering of the same object (the
// service used to build a tree and dump() it; clients must read the same bytes as before).
#include "resolver/lookup_json.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;
using namespace resolver;

// The object as the service built it with nlohmann::json before lookup_json.cpp.
json tree(const LookupResult& r) {
  json mappings = json::array();
  for (const auto& s : r.mappings) {
    const Mapping& m = s.mapping;
    json keys = json::array();
    for (const auto& k : m.keys) keys.push_back({{"kind", k.kind}, {"id", k.id}, {"key", k.key}});
    json j = {{"provider", m.provider}, {"user", m.user}, {"tags", m.tags},
              {"keys", std::move(keys)}, {"updated_at", format_rfc3339(m.updated_at)}};
    j["expires_at"] = m.expires_at ? json(format_rfc3339(*m.expires_at)) : json();
    j["source"] = s.source;
    j["assertion"] = s.assertion;
    mappings.push_back(std::move(j));
  }
  json peers = json::array();
  for (const auto& p : r.peers) {
    json j = {{"domain", p.domain}, {"status", p.status}, {"ms", p.ms}};
    if (p.status != "ok") j["detail"] = p.detail;
    peers.push_back(std::move(j));
  }
  return {{"identifier", r.identifier.canonical}, {"type", type_name(r.identifier.type)},
          {"status", lookup_status_name(r.status)}, {"mappings", std::move(mappings)},
          {"complete", r.complete}, {"peers", std::move(peers)}};
}

std::string text(const LookupResult& r) {
  std::string out = "prefix:";  // appends, never overwrites
  append_json(out, r);
  REQUIRE(out.starts_with("prefix:"));
  return out.substr(7);
}

ServedMapping served(std::string user, std::vector<std::string> tags, std::vector<UserKey> keys,
                     std::optional<UnixTime> expires) {
  Mapping m{"tel:+14155552671", "chat.example", std::move(user), std::move(tags), std::move(keys),
            1795800000, expires, 3};
  return {std::move(m), "local", "eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJkcC5leGFtcGxlIn0.c2ln"};
}

}  // namespace

TEST_CASE("lookup json: the same text as nlohmann::json's dump of the same answer") {
  LookupResult found{{IdentifierType::phone, "tel:+14155552671"}, LookupStatus::found, {}, false, {}};
  found.mappings.push_back(served("mimi://chat.example/u/1", {"personal", "work"},
                                  {{"ed25519", "k1", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}},
                                  1795900000));
  found.mappings.push_back(served("mimi://chat.example/u/2", {}, {}, std::nullopt));
  found.peers = {{"dp2.example", "ok", 12, ""}, {"dp3.example", "timeout", 800, "No answer within 800 ms."}};
  LookupResult empty{{IdentifierType::email, "mailto:alice@example.com"}, LookupStatus::not_found, {}, true, {}};
  LookupResult opted{{IdentifierType::handle, "acct:bob@chat.example"}, LookupStatus::opted_out, {}, true, {}};
  LookupResult escapes = empty;  // quotes, backslash, every control character, non-ASCII text
  std::string odd = "q\"b\\s/é漢😀";
  for (char c = 1; c < 0x20; ++c) odd.push_back(c);
  odd.push_back('\x7f');
  escapes.mappings.push_back(served(odd, {odd}, {{odd, odd, odd}}, std::nullopt));
  escapes.peers = {{odd, "error", 1, odd}};
  for (const LookupResult* r : {&found, &empty, &opted, &escapes}) {
    CAPTURE(r->identifier.canonical);
    CHECK(text(*r) == tree(*r).dump());
  }
}

TEST_CASE("lookup json: a batch error entry, and text that is not UTF-8 still gives valid JSON") {
  std::string out;
  append_batch_error_json(out, "not a \"number\"", Status(Code::invalid_identifier, "Not a phone number."));
  json reference = {{"query", "not a \"number\""},
                    {"error", {{"code", "invalid_identifier"}, {"message", "Not a phone number."}}}};
  CHECK(out == reference.dump());

  out.clear();
  append_json_string(out, "a\xff" "b\xc3");  // a stray byte, a truncated sequence
  CHECK(out == "\"a\xEF\xBF\xBD" "b\xEF\xBF\xBD\"");
  CHECK(json::parse(out) == "a\xEF\xBF\xBD" "b\xEF\xBF\xBD");
}
