// The JSON text of a mapping's tags and keys as both stores keep them in their mappings tables
// (SQLite TEXT, PostgreSQL text). Stateless functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "resolver/mapping.hpp"

namespace resolver {

// "[]" for none, else a JSON array of strings.
std::string tags_json(const std::vector<std::string>& tags);
// "[]" for none, else a JSON array of {kind, id, key}.
std::string keys_json(const std::vector<UserKey>& keys);
// What tags_json and keys_json wrote; malformed text reads as no tags or keys.
std::vector<std::string> tags_from_json(std::string_view text);
std::vector<UserKey> keys_from_json(std::string_view text);

}  // namespace resolver
