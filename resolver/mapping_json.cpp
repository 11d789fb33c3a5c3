// JSON text of a mapping's tags and keys (resolver/mapping_json.hpp).
#include "resolver/mapping_json.hpp"

#include <nlohmann/json.hpp>

namespace resolver {

std::string tags_json(const std::vector<std::string>& tags) {
  if (tags.empty()) return "[]";
  return nlohmann::json(tags).dump();
}

std::string keys_json(const std::vector<UserKey>& keys) {
  if (keys.empty()) return "[]";
  nlohmann::json out = nlohmann::json::array();
  for (const auto& k : keys) out.push_back({{"kind", k.kind}, {"id", k.id}, {"key", k.key}});
  return out.dump();
}

std::vector<std::string> tags_from_json(std::string_view text) {
  if (text == "[]") return {};
  auto j = nlohmann::json::parse(text, nullptr, false);
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const auto& t : j)
    if (t.is_string()) out.push_back(t.get<std::string>());
  return out;
}

std::vector<UserKey> keys_from_json(std::string_view text) {
  if (text == "[]") return {};
  auto j = nlohmann::json::parse(text, nullptr, false);
  std::vector<UserKey> out;
  if (!j.is_array()) return out;
  for (const auto& k : j) {
    if (!k.is_object()) continue;
    out.push_back({k.value("kind", ""), k.value("id", ""), k.value("key", "")});
  }
  return out;
}

}  // namespace resolver
