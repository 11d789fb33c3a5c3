// Bulk import (DESIGN.md §6.2): JSON Lines or CSV from a stream into the index as one transaction.
// Records are parsed and canonicalised on worker threads while the calling thread writes, in file
// order, to one ImportSession. One import at a time per call; the function is reentrant.
#pragma once

#include <cstddef>
#include <functional>
#include <istream>
#include <string>
#include <vector>

#include "resolver/mapping.hpp"
#include "resolver/status.hpp"
#include "resolver/store.hpp"

namespace resolver {

enum class ImportFormat { jsonl, csv };

struct ImportProgress {
  std::size_t lines = 0;  // lines read so far
  std::size_t bytes = 0;  // bytes read so far
};

// At most this many bad rows are listed in ImportReport::errors; the rest are only counted.
inline constexpr std::size_t kMaxListedRowErrors = 100;

struct ImportOptions {
  ImportFormat format = ImportFormat::jsonl;
  std::string region;         // default region for national phone numbers
  bool skip_invalid = false;  // skip and list bad rows instead of aborting
  unsigned threads = 0;       // parser threads; 0 = the number of cores
  UnixTime now = 0;           // updated_at of records that carry none
  std::function<void(const ImportProgress&)> on_progress;  // called after each chunk of 4096 lines
};

struct RowError {
  std::size_t line = 0;  // 1-based line in the input
  Status status;         // what is wrong, without the identifier
};

struct ImportReport {
  std::size_t lines = 0;     // lines read, blank ones included
  std::size_t mappings = 0;  // valid mapping rows (imported, or that would be under check_stream)
  std::size_t inserted = 0;  // new mappings
  std::size_t updated = 0;   // mappings that existed (same identifier, provider, user)
  std::size_t optouts = 0;   // valid opt-out records
  std::size_t bad_rows = 0;  // every bad row found (skipped under skip_invalid)
  std::size_t skipped = 0;   // bad rows skipped under skip_invalid
  // The first kMaxListedRowErrors bad rows in file order; bad_rows counts them all.
  std::vector<RowError> errors;
  double seconds = 0;
};

// Imports everything from `in`. On success the whole input is committed. The whole input is read
// in one pass whatever happens to the rows, so that every bad row is found at once. With a bad
// row and without skip_invalid, or on a store failure, nothing is committed: the result is the
// failure (for bad rows, invalid_request or invalid_identifier whose message begins "line N: ..."
// with the first bad row) and report->errors lists the bad rows.
Status import_stream(Store& store, std::istream& in, const ImportOptions& options, ImportReport* report);

// Reads and validates `in` as import_stream does, without any store: the report counts valid
// mappings and opt-outs (inserted and updated stay 0) and lists the bad rows. Same result as
// import_stream for bad rows; Ok when every row is valid (or skip_invalid).
Status check_stream(std::istream& in, const ImportOptions& options, ImportReport* report);

}  // namespace resolver
