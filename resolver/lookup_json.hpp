// The JSON text of lookup answers (DESIGN §4.1, §4.2), written straight into a string: no
// intermediate JSON tree, and no copy of a field but the one into the output. The text is exactly
// what nlohmann::json's dump() gives for the same object (keys in sorted order, no spaces), so
// answers read the same as before; tests/resolver/lookup_json_test.cpp holds the two together.
// Free functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "resolver/resolver.hpp"

namespace resolver {

// Appends `text` as a JSON string: quotes, escapes for '"', '\\' and control characters (as
// nlohmann::json writes them). Text that is not well-formed UTF-8 has each of its non-ASCII
// bytes replaced by U+FFFD, so the output is always valid JSON.
void append_json_string(std::string& out, std::string_view text);

// Appends the JSON object of one lookup answer (§4.1).
void append_json(std::string& out, const LookupResult& r);

// Appends {"error": {"code", "message"}, "query": input}, the failed entry of a batch (§4.2).
void append_batch_error_json(std::string& out, std::string_view input, const Status& s);

}  // namespace resolver
