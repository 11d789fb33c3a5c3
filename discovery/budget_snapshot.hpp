// The budget snapshot: every caller's distinct-identifier budget as keyed hashes, in a file next
// to the index, so that budgets survive a restart of discoveryd (DESIGN.md §7; docs/API.md
// "Rate limits"). No identifier or caller key is kept in clear. Functions only; thread-compatible.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "discovery/distinct_budget.hpp"
#include "resolver/status.hpp"
#include "resolver/store.hpp"

namespace discovery {

// One caller's budget: the caller is KeyedHash::hash128 of its caller key.
struct CallerBudget {
  std::array<std::uint8_t, 16> caller{};
  resolver::Role role = resolver::Role::anonymous;
  std::vector<DistinctBudget::Entry> entries;
};

// The file's bytes: magic "MIMIRL01", a little-endian count and records, and a SHA-256 trailer
// over everything before it (so a torn or edited file is detected, not half-loaded).
std::string encode_snapshot(const std::vector<CallerBudget>& budgets);
// The budgets in `bytes`; invalid_request with the reason when it is not a whole snapshot.
resolver::Result<std::vector<CallerBudget>> decode_snapshot(std::string_view bytes);

// Writes `bytes` to `path` atomically: a temporary file beside it, fsync, then rename, so a crash
// leaves the old snapshot or the new one. unavailable with the reason on an I/O error.
resolver::Status write_snapshot_file(const std::string& path, std::string_view bytes);
// The file's bytes; not_found when it does not exist, unavailable when it cannot be read.
resolver::Result<std::string> read_snapshot_file(const std::string& path);

}  // namespace discovery
