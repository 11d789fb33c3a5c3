// The text form of an answer: one heading line per identifier, one block per mapping, then peers.
#include "cli/answer_text.hpp"

#include <ostream>

namespace cli {
namespace {

std::string text(const nlohmann::json& o, const char* name, const char* absent = "") {
  const auto it = o.is_object() ? o.find(name) : o.end();
  if (it == o.end() || it->is_null()) return absent;
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string joined(const nlohmann::json& list, const char* none) {
  if (!list.is_array() || list.empty()) return none;
  std::string out;
  for (const auto& item : list) {
    if (!out.empty()) out += ", ";
    out += item.is_string() ? item.get<std::string>() : item.dump();
  }
  return out;
}

void print_mapping(std::ostream& out, std::size_t n, const nlohmann::json& m, const MappingCheck& check) {
  out << "  " << n << ". " << text(m, "provider") << "  " << text(m, "user") << "\n";
  out << "     tags:      " << joined(m.value("tags", nlohmann::json::array()), "none") << "\n";
  const auto keys = m.value("keys", nlohmann::json::array());
  if (!keys.is_array() || keys.empty()) out << "     keys:      none\n";
  for (const auto& k : keys) {
    out << "     key:       " << text(k, "kind") << " " << text(k, "id") << " " << text(k, "key") << "\n";
  }
  out << "     expires:   " << text(m, "expires_at", "never") << "\n";
  out << "     updated:   " << text(m, "updated_at", "unknown") << "\n";
  const std::string source = text(m, "source", "local");
  out << "     source:    " << (source == "local" ? "local (this server's index)" : source + " (federated)") << "\n";
  if (check.ok) {
    out << "     assertion: verified, signed by " << check.issuer << " with key " << check.kid << " ("
        << check.origin << "), valid until " << resolver::format_rfc3339(check.exp) << "\n";
  } else {
    out << "     assertion: NOT VERIFIED: " << check.reason << "\n";
  }
}

}  // namespace

void print_answer(std::ostream& out, const nlohmann::json& answer, const std::vector<MappingCheck>& checks) {
  const std::string status = text(answer, "status");
  const auto mappings = answer.value("mappings", nlohmann::json::array());
  out << text(answer, "identifier") << " (" << text(answer, "type") << "): ";
  if (status == "found") {
    out << "found, " << mappings.size() << (mappings.size() == 1 ? " mapping\n" : " mappings\n");
  } else if (status == "opted_out") {
    out << "opted out (this person asked not to be discoverable)\n";
  } else if (status == "not_found") {
    out << "not found\n";
  } else {
    out << status << "\n";
  }
  for (std::size_t i = 0; i < mappings.size() && i < checks.size(); ++i) print_mapping(out, i + 1, mappings[i], checks[i]);
  const auto peers = answer.value("peers", nlohmann::json::array());
  for (const auto& p : peers) {
    out << "  peer " << text(p, "domain") << ": " << text(p, "status");
    if (p.contains("ms")) out << " (" << text(p, "ms") << " ms)";
    if (const auto detail = text(p, "detail"); !detail.empty()) out << ": " << detail;
    out << "\n";
  }
  if (!answer.value("complete", true)) out << "  incomplete: a peer that should have answered did not (see above)\n";
}

}  // namespace cli
