// Request target parsing: the only place query strings are decoded.
#include "discovery/query.hpp"

#include <unordered_set>

#include "resolver/utf8.hpp"

namespace discovery {
namespace {

using resolver::Code;
using resolver::Status;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// How a '+' decodes: in paths it is a plus sign; in query strings (the WHATWG
// application/x-www-form-urlencoded rules that client libraries encode with) it is a space, except
// a leading '+' in a value, kept so that a hand-typed "id=+14155552671" still means the E.164
// number (no identifier starts with a space).
enum class Plus { literal, space, space_unless_leading };

std::optional<std::string> percent_decode(std::string_view in, Plus plus) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+' && plus != Plus::literal) {
      out.push_back(i == 0 && plus == Plus::space_unless_leading ? '+' : ' ');
      continue;
    }
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return std::nullopt;
    int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

}  // namespace

std::optional<std::string> Target::param(std::string_view name) const {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::vector<std::string> Target::values(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : params) {
    if (k == name) out.push_back(v);
  }
  return out;
}

std::optional<std::string> Target::repeated() const {
  // A request carries a handful of parameters: comparing pairs allocates nothing. A hash set
  // bounds the work for a target stuffed with thousands.
  if (params.size() <= 8) {
    for (std::size_t i = 1; i < params.size(); ++i) {
      for (std::size_t j = 0; j < i; ++j) {
        if (params[j].first == params[i].first) return params[i].first;
      }
    }
    return std::nullopt;
  }
  std::unordered_set<std::string_view> seen;
  for (const auto& [k, v] : params) {
    if (!seen.insert(k).second) return k;
  }
  return std::nullopt;
}

std::optional<std::string> decode_path_segment(std::string_view segment) {
  auto out = percent_decode(segment, Plus::literal);
  if (!out || out->find('/') != std::string::npos) return std::nullopt;
  if (resolver::check_utf8(*out) == resolver::Utf8Check::invalid ||
      resolver::check_utf8(*out) == resolver::Utf8Check::control) {
    return std::nullopt;
  }
  return out;
}

resolver::Result<Target> parse_target(std::string_view target, QueryPlus plus) {
  if (target.empty() || target.front() != '/') {
    return Status(Code::invalid_request, "The request target must be a path starting with '/'.");
  }
  Target t;
  auto q = target.find('?');
  t.path = std::string(target.substr(0, q));
  if (q == std::string_view::npos) return t;
  std::string_view query = target.substr(q + 1);
  auto hash = query.find('#');
  if (hash != std::string_view::npos) query = query.substr(0, hash);
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    const bool form = plus == QueryPlus::form;
    auto name = percent_decode(pair.substr(0, eq), form ? Plus::space : Plus::literal);
    auto value = percent_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1),
                                form ? Plus::space_unless_leading : Plus::literal);
    if (!name || !value) {
      return Status(Code::invalid_request, "The query string holds a malformed percent escape.");
    }
    for (const std::string* s : {&*name, &*value}) {
      switch (resolver::check_utf8(*s)) {
        case resolver::Utf8Check::ok:
        case resolver::Utf8Check::invisible:  // the identifier parser judges these
          break;
        case resolver::Utf8Check::invalid:
          return Status(Code::invalid_request, "A query parameter is not valid UTF-8.");
        case resolver::Utf8Check::control:
          return Status(Code::invalid_request, "A query parameter holds NUL or another control character.");
      }
    }
    t.params.emplace_back(std::move(*name), std::move(*value));
  }
  return t;
}

}  // namespace discovery
