// The import pipeline: read chunks of lines, parse them on worker threads (libphonenumber dominates
// the cost), and write them in file order on the calling thread inside one transaction.
#include "resolver/importer.hpp"

#include <chrono>
#include <deque>
#include <future>
#include <thread>
#include <variant>

#include "resolver/import_record.hpp"

namespace resolver {
namespace {

constexpr std::size_t kChunkLines = 4096;

struct Chunk {
  std::size_t first_line = 0;  // 1-based number of lines[0]
  std::vector<std::string> lines;
};

struct ParsedRow {
  std::size_t line = 0;
  Result<ImportRecord> record = Status(Code::internal, "not parsed");
};

std::vector<ParsedRow> parse_chunk(const Chunk& chunk, const ImportOptions& options,
                                   const std::vector<CsvColumn>* columns) {
  std::vector<ParsedRow> rows;
  rows.reserve(chunk.lines.size());
  for (std::size_t i = 0; i < chunk.lines.size(); ++i) {
    std::string_view line = chunk.lines[i];
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;  // blank lines are allowed
    ParsedRow row;
    row.line = chunk.first_line + i;
    try {
      row.record = columns ? parse_csv_record(line, *columns, options.region, options.now)
                           : parse_jsonl_record(line, options.region, options.now);
    } catch (const std::exception&) {
      // nlohmann_json throws on pathological input (e.g. depth); a bad row, not a crash.
      row.record = Status(Code::invalid_request, "the row cannot be read");
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

Status import_stream(Store& store, std::istream& in, const ImportOptions& options, ImportReport* report) {
  ImportReport local;
  ImportReport& rep = report ? *report : local;
  rep = ImportReport{};
  const auto started = std::chrono::steady_clock::now();
  auto finish = [&](Status s) {
    rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return s;
  };

  std::vector<CsvColumn> columns;
  std::size_t bytes = 0;
  std::string line;
  if (options.format == ImportFormat::csv) {
    if (!std::getline(in, line)) return finish(Status(Code::invalid_request, "line 1: the CSV file is empty; it needs a header"));
    bytes += line.size() + 1;
    rep.lines = 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto header = parse_csv_header(line);
    if (!header) {
      rep.errors.push_back({1, header.status()});
      return finish(Status(header.status().code(), "line 1: " + header.status().message()));
    }
    columns = std::move(*header);
  }

  auto session = store.begin_import();
  if (!session) return finish(session.status());
  const unsigned threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  const std::vector<CsvColumn>* cols = options.format == ImportFormat::csv ? &columns : nullptr;
  std::deque<std::future<std::vector<ParsedRow>>> in_flight;

  // Writes one parsed chunk; returns non-ok to abort.
  std::vector<std::string> expected;
  auto write = [&](std::vector<ParsedRow> rows) -> Status {
    expected.clear();
    for (const auto& row : rows)
      if (row.record) expected.push_back(row.record->mapping.identifier);
    if (Status s = (*session)->expect(expected); !s.ok()) return s;
    for (auto& row : rows) {
      if (!row.record) {
        rep.errors.push_back({row.line, row.record.status()});
        if (!options.skip_invalid)
          return Status(row.record.status().code(), "line " + std::to_string(row.line) + ": " +
                                                        row.record.status().message());
        ++rep.skipped;
        continue;
      }
      const ImportRecord& r = *row.record;
      if (r.optout) {
        auto n = (*session)->put_optout(r.mapping.identifier, options.now);
        if (!n) return n.status();
        ++rep.optouts;
        continue;
      }
      auto u = (*session)->put_mapping(r.mapping);
      if (!u) return u.status();
      ++(*u == Upsert::inserted ? rep.inserted : rep.updated);
    }
    return Status::Ok();
  };

  Status failed;
  bool eof = false;
  while (failed.ok() && (!eof || !in_flight.empty())) {
    // Keep every parser busy and one chunk ready for the writer.
    while (!eof && in_flight.size() <= threads) {
      auto chunk = std::make_shared<Chunk>();
      chunk->first_line = rep.lines + 1;
      chunk->lines.reserve(kChunkLines);
      while (chunk->lines.size() < kChunkLines && std::getline(in, line)) {
        bytes += line.size() + 1;
        chunk->lines.push_back(std::move(line));
      }
      rep.lines += chunk->lines.size();
      if (chunk->lines.size() < kChunkLines) eof = true;
      if (in.bad()) {
        failed = Status(Code::unavailable, "reading the input failed after line " + std::to_string(rep.lines));
        break;
      }
      if (chunk->lines.empty()) break;
      in_flight.push_back(std::async(std::launch::async, [chunk, &options, cols] {
        return parse_chunk(*chunk, options, cols);
      }));
    }
    if (!failed.ok() || in_flight.empty()) break;
    auto rows = in_flight.front().get();
    in_flight.pop_front();
    failed = write(std::move(rows));
    if (options.on_progress && failed.ok()) options.on_progress({rep.lines, bytes});
  }
  for (auto& f : in_flight) f.wait();  // parsers reference `options`; let them finish
  if (!failed.ok()) return finish(failed);  // the session rolls back when destroyed
  return finish((*session)->commit());
}

}  // namespace resolver
