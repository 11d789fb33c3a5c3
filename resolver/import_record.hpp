// Import records (DESIGN.md §6.2): one JSON Lines or CSV row to a validated, canonical mapping or
// opt-out, and the JSON Lines form that export writes. Free functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "resolver/mapping.hpp"
#include "resolver/status.hpp"
#include "resolver/store.hpp"

namespace resolver {

struct ImportRecord {
  bool optout = false;  // then only mapping.identifier is set
  Mapping mapping;      // canonical identifier and provider; updated_at from the record or `now`
};

// Limits on what one record may carry; generous for real feeds, small enough to bound memory.
inline constexpr std::size_t kMaxUserBytes = 2048;
inline constexpr std::size_t kMaxTags = 32;
inline constexpr std::size_t kMaxTagBytes = 64;
inline constexpr std::size_t kMaxKeys = 16;
inline constexpr std::size_t kMaxKeyBytes = 1024;

// Validates a parsed JSON record. `region` is the default region for national phone numbers.
// Failure: invalid_identifier or invalid_request naming the field and the reason
// ("provider is not a domain name"), without the identifier itself.
Result<ImportRecord> record_from_json(const nlohmann::json& j, std::string_view region, UnixTime now);
// Parses one JSON Lines line, then record_from_json.
Result<ImportRecord> parse_jsonl_record(std::string_view line, std::string_view region, UnixTime now);

// The columns of a CSV header, in file order. invalid_request when a column is unknown, repeated,
// or identifier/provider/user is missing.
enum class CsvColumn { identifier, provider, user, tags, expires_at };
Result<std::vector<CsvColumn>> parse_csv_header(std::string_view line);
// Splits one CSV line (RFC 4180 quoting within the line). invalid_request on a bad quote.
Result<std::vector<std::string>> split_csv_line(std::string_view line);
// One CSV data row under `columns`.
Result<ImportRecord> parse_csv_record(std::string_view line, const std::vector<CsvColumn>& columns,
                                      std::string_view region, UnixTime now);

// A validated provider domain ("Chat.Example" -> "chat.example"); invalid_request otherwise.
Result<std::string> canonical_provider(std::string_view provider);

// The JSON Lines form of an exported record, without the newline; parse_jsonl_record reads it back
// to the same mapping (updated_at included).
std::string export_line(const ExportRecord& record);

}  // namespace resolver
