// SqliteAnswerCache: the local answers of recent lookups, served without reading the index for as
// long as the index has not changed (docs/PERFORMANCE.md "The answer cache").
//
// Whether an SQLite index in WAL mode changed is known without a transaction: its wal-index header
// (the first 96 bytes of the -shm file, two copies of a 48-byte header; sqlite.org/walformat.html
// §2.2) changes with every commit and every reset of the WAL, and is shared memory that every
// process on the host maps. A writer (discoveryctl, an admin route, another thread) rewrites it
// as the last step of a commit, so a lookup that reads it after a commit has completed sees the
// new header: what discoveryctl commits is served at once, as without the cache. Reading it costs
// two loads of shared memory, where a read transaction costs a process-wide lock of SQLite's shared
// memory, file locks (fcntl) and a B-tree search; on two cores that was half of a single lookup's
// CPU time.
//
// The header is read through SQLite's own mapping (the VFS's xShmMap on a connection this cache
// keeps open), never by opening the -shm file: closing any descriptor of a file drops every POSIX
// lock this process holds on it, SQLite's included. Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "resolver/mapping.hpp"
#include "resolver/sharded_lru.hpp"

namespace resolver {

class SqliteConnection;

class SqliteAnswerCache {
 public:
  // The wal-index header as one moment saw it: equal stamps, no commit in between.
  using Stamp = std::array<std::uint64_t, 6>;

  // A cache of up to `entries` answers for the index at `path`; nullptr when `entries` is 0, the
  // index is not in WAL mode (e.g. opened read-only before any writer made its -shm) or its
  // wal-index cannot be mapped: then every lookup reads the index.
  static std::unique_ptr<SqliteAnswerCache> open(const std::string& path, std::size_t entries);
  ~SqliteAnswerCache();
  SqliteAnswerCache(const SqliteAnswerCache&) = delete;
  SqliteAnswerCache& operator=(const SqliteAnswerCache&) = delete;

  // The index's state now; nullopt while a writer is rewriting the header (read the index).
  std::optional<Stamp> stamp() const;
  // The answer for `identifier` if it was read from the index in the state `stamp` and still holds
  // at `now` (no mapping of it has expired since); nullopt otherwise.
  std::optional<LocalAnswer> get(const std::string& identifier, const Stamp& stamp, UnixTime now);
  // Keeps `answer`, read at `now` by a transaction that began after `stamp` was taken.
  void put(const std::string& identifier, const Stamp& stamp, UnixTime now, const LocalAnswer& answer);

  // Answers served from the cache since it was opened.
  std::uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    Stamp stamp{};
    UnixTime read_at = 0;      // the `now` of the lookup that read it
    UnixTime valid_until = 0;  // the first expiry among its mappings
    LocalAnswer answer;
  };
  SqliteAnswerCache(std::unique_ptr<SqliteConnection> conn, const volatile void* header, std::size_t entries);

  std::unique_ptr<SqliteConnection> conn_;  // keeps the wal-index mapped; never used for reads
  const volatile std::uint64_t* header_;    // two copies of the 48-byte header
  ShardedLru<std::shared_ptr<const Entry>> entries_;  // a hit copies a pointer under the shard's lock
  std::atomic<std::uint64_t> hits_{0};
};

}  // namespace resolver
