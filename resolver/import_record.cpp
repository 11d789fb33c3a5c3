// Import records: validation of one row, JSON Lines and CSV forms, and the export form.
#include "resolver/import_record.hpp"

#include <algorithm>
#include <cctype>

#include "resolver/base64url.hpp"
#include "resolver/identifier.hpp"
#include "resolver/utf8.hpp"

namespace resolver {
namespace {

Status bad(const std::string& message) { return Status(Code::invalid_request, message); }

bool printable_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

// No control characters or spaces; UTF-8 above 0x7f is allowed (tags may be words of any script).
bool no_controls(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= 0x20 && c != 0x7f; });
}

Status check_user(const std::string& user) {
  if (user.empty()) return bad("user is empty; give the user URI at the provider");
  if (user.size() > kMaxUserBytes) return bad("user is longer than 2048 bytes");
  if (!printable_ascii(user)) return bad("user contains spaces, control or non-ASCII characters; percent-encode them");
  auto colon = user.find(':');
  if (colon == std::string::npos || colon == 0 || !std::isalpha(static_cast<unsigned char>(user[0])))
    return bad("user is not a URI (expected a scheme such as mimi://provider/u/id)");
  for (std::size_t i = 1; i < colon; ++i) {
    char c = user[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.')
      return bad("user is not a URI (bad character in its scheme)");
  }
  return Status::Ok();
}

Status check_tag(const std::string& tag) {
  if (tag.empty() || tag.size() > kMaxTagBytes) return bad("a tag must be 1 to 64 bytes long");
  if (!no_controls(tag)) return bad("a tag contains control characters");
  if (!is_valid_utf8(tag)) return bad("a tag is not valid UTF-8");
  return Status::Ok();
}

Result<std::vector<UserKey>> keys_from(const nlohmann::json& j) {
  if (!j.is_array()) return bad("keys must be an array of {kind, id, key} objects");
  if (j.size() > kMaxKeys) return bad("keys holds more than 16 keys");
  std::vector<UserKey> out;
  for (const auto& k : j) {
    if (!k.is_object()) return bad("each of keys must be an object with kind, id and key");
    for (const char* field : {"kind", "id", "key"})
      if (!k.contains(field) || !k[field].is_string())
        return bad(std::string("a key has no string field \"") + field + "\"");
    for (const auto& [name, value] : k.items())
      if (name != "kind" && name != "id" && name != "key")
        return bad("a key has an unknown field \"" + name + "\" (expected kind, id, key)");
    UserKey key{k["kind"].get<std::string>(), k["id"].get<std::string>(), k["key"].get<std::string>()};
    if (key.kind.empty() || key.kind.size() > 64 || !printable_ascii(key.kind))
      return bad("a key's kind must be 1 to 64 printable ASCII characters");
    if (key.id.empty() || key.id.size() > 128 || !printable_ascii(key.id))
      return bad("a key's id must be 1 to 128 printable ASCII characters");
    if (key.key.empty() || key.key.size() > kMaxKeyBytes || !base64url_decode(key.key))
      return bad("a key's key must be base64url without padding, at most 1024 characters");
    out.push_back(std::move(key));
  }
  return out;
}

Result<std::optional<UnixTime>> time_from(const nlohmann::json& j, const char* field) {
  if (j.is_null()) return std::optional<UnixTime>();
  if (!j.is_string()) return bad(std::string(field) + " must be an RFC 3339 time such as 2027-11-28T05:00:00Z");
  auto t = parse_rfc3339(j.get<std::string>());
  if (!t) return bad(std::string(field) + " is not an RFC 3339 time such as 2027-11-28T05:00:00Z");
  return std::optional<UnixTime>(*t);
}

}  // namespace

Result<std::string> canonical_provider(std::string_view provider) {
  std::string p(provider);
  std::transform(p.begin(), p.end(), p.begin(), [](unsigned char c) { return std::tolower(c); });
  if (!is_domain_name(p)) return bad("provider is not a domain name (expected e.g. chat.example)");
  return p;
}

Result<ImportRecord> record_from_json(const nlohmann::json& j, std::string_view region, UnixTime now) {
  if (!j.is_object()) return bad("the record is not a JSON object");
  ImportRecord r;
  auto id = j.find("identifier");
  if (id == j.end() || !id->is_string()) return bad("identifier is missing or not a string");
  auto parsed = parse_identifier(id->get_ref<const std::string&>(), region);
  if (!parsed) return Status(Code::invalid_identifier, "identifier: " + parsed.status().message());
  r.mapping.identifier = std::move(parsed->canonical);
  if (auto o = j.find("optout"); o != j.end()) {
    if (!o->is_boolean()) return bad("optout must be true or false");
    if (o->get<bool>()) {
      if (j.size() != 2) return bad("an opt-out record holds only identifier and optout");
      r.optout = true;
      return r;
    }
  }
  for (const auto& [name, value] : j.items()) {
    static constexpr const char* kFields[] = {"identifier", "provider", "user", "tags", "keys",
                                              "expires_at", "updated_at", "optout"};
    // Captured by an init-capture: clang 14 cannot capture a structured binding (the fuzz build).
    auto is_name = [&name = name](const char* f) { return name == f; };
    if (std::find_if(std::begin(kFields), std::end(kFields), is_name) == std::end(kFields))
      return bad("unknown field \"" + name +
                 "\" (the fields are identifier, provider, user, tags, keys, expires_at, updated_at and optout)");
  }
  auto prov = j.find("provider");
  if (prov == j.end() || !prov->is_string()) return bad("provider is missing or not a string");
  auto provider = canonical_provider(prov->get_ref<const std::string&>());
  if (!provider) return provider.status();
  r.mapping.provider = std::move(*provider);
  auto user = j.find("user");
  if (user == j.end() || !user->is_string()) return bad("user is missing or not a string");
  r.mapping.user = user->get<std::string>();
  if (Status s = check_user(r.mapping.user); !s.ok()) return s;
  if (auto tags = j.find("tags"); tags != j.end() && !tags->is_null()) {
    if (!tags->is_array()) return bad("tags must be an array of strings");
    if (tags->size() > kMaxTags) return bad("tags holds more than 32 tags");
    for (const auto& t : *tags) {
      if (!t.is_string()) return bad("tags must be an array of strings");
      if (Status s = check_tag(t.get_ref<const std::string&>()); !s.ok()) return s;
      r.mapping.tags.push_back(t.get<std::string>());
    }
  }
  if (auto keys = j.find("keys"); keys != j.end() && !keys->is_null()) {
    auto k = keys_from(*keys);
    if (!k) return k.status();
    r.mapping.keys = std::move(*k);
  }
  if (auto e = j.find("expires_at"); e != j.end()) {
    auto t = time_from(*e, "expires_at");
    if (!t) return t.status();
    r.mapping.expires_at = *t;
  }
  r.mapping.updated_at = now;
  if (auto u = j.find("updated_at"); u != j.end()) {
    auto t = time_from(*u, "updated_at");
    if (!t) return t.status();
    if (*t) r.mapping.updated_at = **t;
  }
  return r;
}

Result<ImportRecord> parse_jsonl_record(std::string_view line, std::string_view region, UnixTime now) {
  auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return bad("the line is not valid JSON");
  return record_from_json(j, region, now);
}

Result<std::vector<std::string>> split_csv_line(std::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false, was_quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c != '"') fields.back().push_back(c);
      else if (i + 1 < line.size() && line[i + 1] == '"') fields.back().push_back('"'), ++i;
      else quoted = false;
    } else if (c == '"') {
      if (!fields.back().empty() || was_quoted) return bad("a quote appears inside an unquoted field");
      quoted = was_quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
      was_quoted = false;
    } else {
      if (was_quoted) return bad("text follows a closing quote");
      fields.back().push_back(c);
    }
  }
  if (quoted) return bad("a quoted field is not closed (fields may not span lines)");
  return fields;
}

Result<std::vector<CsvColumn>> parse_csv_header(std::string_view line) {
  auto names = split_csv_line(line);
  if (!names) return names.status();
  std::vector<CsvColumn> cols;
  bool seen[5] = {};
  for (auto& n : *names) {
    static constexpr const char* kNames[] = {"identifier", "provider", "user", "tags", "expires_at"};
    auto it = std::find_if(std::begin(kNames), std::end(kNames), [&](const char* k) { return n == k; });
    if (it == std::end(kNames))
      return bad("the header has an unknown column \"" + n + "\" (expected identifier,provider,user,tags,expires_at)");
    auto idx = static_cast<std::size_t>(it - std::begin(kNames));
    if (seen[idx]) return bad("the header names column \"" + n + "\" twice");
    seen[idx] = true;
    cols.push_back(static_cast<CsvColumn>(idx));
  }
  if (!seen[0] || !seen[1] || !seen[2]) return bad("the header must name identifier, provider and user");
  return cols;
}

Result<ImportRecord> parse_csv_record(std::string_view line, const std::vector<CsvColumn>& columns,
                                      std::string_view region, UnixTime now) {
  auto fields = split_csv_line(line);
  if (!fields) return fields.status();
  if (fields->size() != columns.size())
    return bad("the row has " + std::to_string(fields->size()) + " fields but the header has " +
               std::to_string(columns.size()));
  nlohmann::json j = nlohmann::json::object();
  for (std::size_t i = 0; i < columns.size(); ++i) {
    std::string& f = (*fields)[i];
    switch (columns[i]) {
      case CsvColumn::identifier: j["identifier"] = std::move(f); break;
      case CsvColumn::provider: j["provider"] = std::move(f); break;
      case CsvColumn::user: j["user"] = std::move(f); break;
      case CsvColumn::expires_at:
        if (!f.empty()) j["expires_at"] = std::move(f);
        break;
      case CsvColumn::tags: {
        nlohmann::json tags = nlohmann::json::array();
        std::size_t start = 0;
        while (!f.empty() && start <= f.size()) {
          auto end = f.find(';', start);
          if (end == std::string::npos) end = f.size();
          tags.push_back(f.substr(start, end - start));
          start = end + 1;
        }
        j["tags"] = std::move(tags);
        break;
      }
    }
  }
  return record_from_json(j, region, now);
}

std::string export_line(const ExportRecord& record) {
  const Mapping& m = record.mapping;
  if (record.optout) return nlohmann::json{{"identifier", m.identifier}, {"optout", true}}.dump();
  nlohmann::json j = {{"identifier", m.identifier}, {"provider", m.provider}, {"user", m.user}};
  if (!m.tags.empty()) j["tags"] = m.tags;
  if (!m.keys.empty()) {
    nlohmann::json keys = nlohmann::json::array();
    for (const auto& k : m.keys) keys.push_back({{"kind", k.kind}, {"id", k.id}, {"key", k.key}});
    j["keys"] = std::move(keys);
  }
  if (m.expires_at) j["expires_at"] = format_rfc3339(*m.expires_at);
  j["updated_at"] = format_rfc3339(m.updated_at);
  return j.dump();
}

}  // namespace resolver
