// The import pipeline: read chunks of lines, parse them on worker threads (libphonenumber dominates
// the cost), and write them in file order on the calling thread inside one transaction.
#include "resolver/importer.hpp"

#include <chrono>
#include <deque>
#include <future>
#include <thread>
#include <string_view>
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

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// A byte-order mark at the start of the input is not part of its first line (editors on Windows
// write one).
void strip_bom(std::string& line) {
  if (std::string_view(line).substr(0, kUtf8Bom.size()) == kUtf8Bom) line.erase(0, kUtf8Bom.size());
}

Status row_failure(const RowError& e) {
  return Status(e.status.code(), "line " + std::to_string(e.line) + ": " + e.status.message());
}

// The import and the check: `store` null validates without writing.
Status run_import(Store* store, std::istream& in, const ImportOptions& options, ImportReport* report) {
  ImportReport local;
  ImportReport& rep = report ? *report : local;
  rep = ImportReport{};
  const auto started = std::chrono::steady_clock::now();
  auto finish = [&](Status s) {
    if (!s.ok()) rep.inserted = rep.updated = 0;  // nothing was committed
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
    strip_bom(line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto header = parse_csv_header(line);
    if (!header) {
      rep.errors.push_back({1, header.status()});
      rep.bad_rows = 1;
      return finish(row_failure(rep.errors.back()));
    }
    columns = std::move(*header);
  }

  // Writes go to the session until the first bad row without skip_invalid; from then on the
  // session is rolled back and the rest of the input is only checked, to list every bad row.
  std::unique_ptr<ImportSession> session;
  if (store) {
    auto begun = store->begin_import();
    if (!begun) return finish(begun.status());
    session = std::move(*begun);
  }
  const unsigned threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  const std::vector<CsvColumn>* cols = options.format == ImportFormat::csv ? &columns : nullptr;
  std::deque<std::future<std::vector<ParsedRow>>> in_flight;

  // Writes (or counts) one parsed chunk; returns non-ok for a store failure, which ends the import.
  std::vector<std::string> expected;
  auto write = [&](std::vector<ParsedRow> rows) -> Status {
    if (session) {
      expected.clear();
      for (const auto& row : rows)
        if (row.record) expected.push_back(row.record->mapping.identifier);
      if (Status s = session->expect(expected); !s.ok()) return s;
    }
    for (auto& row : rows) {
      if (!row.record) {
        ++rep.bad_rows;
        if (rep.errors.size() < kMaxListedRowErrors) rep.errors.push_back({row.line, row.record.status()});
        if (options.skip_invalid) ++rep.skipped;
        else session.reset();  // nothing will be committed: roll back now, keep checking
        continue;
      }
      const ImportRecord& r = *row.record;
      ++(r.optout ? rep.optouts : rep.mappings);
      if (!session) continue;
      if (r.optout) {
        auto n = session->put_optout(r.mapping.identifier, options.now);
        if (!n) return n.status();
        continue;
      }
      auto u = session->put_mapping(r.mapping);
      if (!u) return u.status();
      ++(*u == Upsert::inserted ? rep.inserted : rep.updated);
    }
    return Status::Ok();
  };

  Status failed;
  bool eof = false;
  bool first_line = options.format == ImportFormat::jsonl;
  while (failed.ok() && (!eof || !in_flight.empty())) {
    // Keep every parser busy and one chunk ready for the writer.
    while (!eof && in_flight.size() <= threads) {
      auto chunk = std::make_shared<Chunk>();
      chunk->first_line = rep.lines + 1;
      chunk->lines.reserve(kChunkLines);
      while (chunk->lines.size() < kChunkLines && std::getline(in, line)) {
        bytes += line.size() + 1;
        if (first_line) strip_bom(line);
        first_line = false;
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
  if (rep.bad_rows > 0 && !options.skip_invalid) return finish(row_failure(rep.errors.front()));
  return finish(session ? session->commit() : Status::Ok());
}

}  // namespace

Status import_stream(Store& store, std::istream& in, const ImportOptions& options, ImportReport* report) {
  return run_import(&store, in, options, report);
}

Status check_stream(std::istream& in, const ImportOptions& options, ImportReport* report) {
  return run_import(nullptr, in, options, report);
}

}  // namespace resolver
