// Lookup answers as JSON text (see lookup_json.hpp). Keys are written in sorted order, as
// nlohmann::json (a std::map per object) writes them.
#include "resolver/lookup_json.hpp"

#include "resolver/utf8.hpp"

namespace resolver {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// "key": with the comma that separates it from the member before, unless it is the first.
void key(std::string& out, std::string_view name, bool first = false) {
  if (!first) out.push_back(',');
  out.push_back('"');
  out.append(name);
  out.append("\":");
}

// [item, item, ...] with `write(out, item)` for each.
template <class T, class Write>
void append_array(std::string& out, const std::vector<T>& items, Write write) {
  out.push_back('[');
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out.push_back(',');
    write(out, items[i]);
  }
  out.push_back(']');
}

void append_key(std::string& out, const UserKey& k) {
  out.push_back('{');
  key(out, "id", true);
  append_json_string(out, k.id);
  key(out, "key");
  append_json_string(out, k.key);
  key(out, "kind");
  append_json_string(out, k.kind);
  out.push_back('}');
}

void append_mapping(std::string& out, const ServedMapping& s) {
  const Mapping& m = s.mapping;
  out.push_back('{');
  key(out, "assertion", true);
  append_json_string(out, s.assertion);
  key(out, "expires_at");
  if (m.expires_at) append_json_string(out, format_rfc3339(*m.expires_at));
  else out.append("null");
  key(out, "keys");
  append_array(out, m.keys, append_key);
  key(out, "provider");
  append_json_string(out, m.provider);
  key(out, "source");
  append_json_string(out, s.source);
  key(out, "tags");
  append_array(out, m.tags, [](std::string& o, const std::string& t) { append_json_string(o, t); });
  key(out, "updated_at");
  append_json_string(out, format_rfc3339(m.updated_at));
  key(out, "user");
  append_json_string(out, m.user);
  out.push_back('}');
}

void append_peer(std::string& out, const PeerReport& p) {
  out.push_back('{');
  const bool ok = p.status == "ok";  // an ok peer has nothing to explain
  if (!ok) {
    key(out, "detail", true);
    append_json_string(out, p.detail);
  }
  key(out, "domain", ok);
  append_json_string(out, p.domain);
  key(out, "ms");
  out.append(std::to_string(p.ms));
  key(out, "status");
  append_json_string(out, p.status);
  out.push_back('}');
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  // Most fields (assertions, URIs, domains) are printable ASCII: one copy, no UTF-8 decoding.
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80) break;
    ++i;
  }
  out.push_back('"');
  out.append(text, 0, i);
  if (i == text.size()) {
    out.push_back('"');
    return;
  }
  const bool utf8 = is_valid_utf8(text.substr(i));
  std::size_t run = i;  // start of the bytes not yet copied
  for (; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool plain = c >= 0x20 && c != '"' && c != '\\' && (c < 0x80 || utf8);
    if (plain) continue;
    out.append(text, run, i - run);
    run = i + 1;
    switch (c) {
      case '"': out.append("\\\""); break;
      case '\\': out.append("\\\\"); break;
      case '\b': out.append("\\b"); break;
      case '\f': out.append("\\f"); break;
      case '\n': out.append("\\n"); break;
      case '\r': out.append("\\r"); break;
      case '\t': out.append("\\t"); break;
      default:
        if (c >= 0x80) {
          out.append("\xEF\xBF\xBD");  // U+FFFD
        } else {
          out.append("\\u00");
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 0xF]);
        }
    }
  }
  out.append(text, run, text.size() - run);
  out.push_back('"');
}

void append_json(std::string& out, const LookupResult& r) {
  out.push_back('{');
  key(out, "complete", true);
  out.append(r.complete ? "true" : "false");
  key(out, "identifier");
  append_json_string(out, r.identifier.canonical);
  key(out, "mappings");
  append_array(out, r.mappings, append_mapping);
  key(out, "peers");
  append_array(out, r.peers, append_peer);
  key(out, "status");
  append_json_string(out, lookup_status_name(r.status));
  key(out, "type");
  append_json_string(out, type_name(r.identifier.type));
  out.push_back('}');
}

void append_batch_error_json(std::string& out, std::string_view input, const Status& s) {
  out.append("{\"error\":{\"code\":");
  append_json_string(out, code_name(s.code()));
  key(out, "message");
  append_json_string(out, s.message());
  out.append("},\"query\":");
  append_json_string(out, input);
  out.push_back('}');
}

}  // namespace resolver
