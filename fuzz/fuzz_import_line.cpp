// One import line (resolver/import_record.hpp). Input: one byte, then the text. The byte's value
// mod 3 chooses the form: 0 a JSON Lines record, 1 a CSV row under the header
// "identifier,provider,user,tags,expires_at", 2 a CSV header line, a newline, then a row under it;
// (byte / 3) mod 2 chooses the default region: none or US. Seeds use '0'-'5'.
// Beyond "no crash": a record that is accepted exports to a line that imports to the same record
// (export_line's contract; discoveryctl export | discoveryctl import must round-trip).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "resolver/import_record.hpp"

namespace {

constexpr resolver::UnixTime kNow = 1'800'000'000;

bool same(const resolver::Mapping& a, const resolver::Mapping& b) {
  return a.identifier == b.identifier && a.provider == b.provider && a.user == b.user && a.tags == b.tags &&
         a.keys == b.keys && a.expires_at == b.expires_at && a.updated_at == b.updated_at;
}

void check_round_trip(const resolver::ImportRecord& record) {
  const std::string line = resolver::export_line(resolver::ExportRecord{record.optout, record.mapping});
  auto back = resolver::parse_jsonl_record(line, "", kNow + 1);
  if (!back || back->optout != record.optout || (!record.optout && !same(back->mapping, record.mapping)) ||
      back->mapping.identifier != record.mapping.identifier) {
    std::fprintf(stderr, "fuzz_import_line: the export line does not import to the same record (%s): %s\n",
                 back ? "differs" : back.status().message().c_str(), line.c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view region = (data[0] / 3) % 2 ? "US" : "";
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  resolver::Result<resolver::ImportRecord> record = resolver::Status(resolver::Code::invalid_request, "none");
  switch (data[0] % 3) {
    case 0:
      record = resolver::parse_jsonl_record(text, region, kNow);
      break;
    case 1: {
      static const auto columns = *resolver::parse_csv_header("identifier,provider,user,tags,expires_at");
      record = resolver::parse_csv_record(text, columns, region, kNow);
      break;
    }
    case 2: {
      const auto newline = text.find('\n');
      auto columns = resolver::parse_csv_header(text.substr(0, newline));
      if (!columns || newline == std::string_view::npos) return 0;
      record = resolver::parse_csv_record(text.substr(newline + 1), *columns, region, kNow);
      break;
    }
  }
  if (record) check_round_trip(*record);
  return 0;
}
