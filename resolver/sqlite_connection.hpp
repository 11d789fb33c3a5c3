// SqliteConnection: one sqlite3 handle with its prepared-statement cache, and the one function that
// turns SQLite result codes into our Status (STYLE.md habit 9). Used by one thread at a time.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "resolver/status.hpp"

namespace resolver {

// Maps a SQLite result code to a Status; `what` names the operation ("reading the index").
Status sqlite_status(sqlite3* db, int rc, std::string_view what);

// A prepared statement borrowed from a connection's cache; reset and unbound on destruction.
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(Statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& bind(int i, std::string_view text);
  Statement& bind_blob(int i, std::string_view bytes);
  Statement& bind(int i, std::int64_t v);
  Statement& bind(int i, std::optional<std::int64_t> v);
  // SQLITE_ROW -> true, SQLITE_DONE -> false, else the mapped error.
  Result<bool> step(std::string_view what);
  // Steps to completion and resets, so the statement may be bound and run again; returns the
  // number of rows changed.
  Result<int> run(std::string_view what);

  std::string_view text(int col) const;
  std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::optional<std::int64_t> optional_integer(int col) const;
  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// What a connection is for, which sets its page cache. lookups: the pooled connections, whose
// cache holds a working set of the index (up to kLookupCacheBytes each, and all of SQLite's memory
// in the process is held near kMemoryBudgetBytes, see limit_memory). scan: a read of the whole
// index (stats, export) through SQLite's default 2 MB cache, so that it neither grows memory nor
// evicts a working set.
enum class ConnectionUse { lookups, scan };

class SqliteConnection {
 public:
  static constexpr std::int64_t kLookupCacheBytes = std::int64_t{96} << 20;
  static constexpr std::int64_t kMemoryBudgetBytes = std::int64_t{160} << 20;
  static constexpr std::int64_t kImportCacheBytes = std::int64_t{256} << 20;

  // Opens `path` with WAL, a busy timeout and foreign keys; `create` allows creating the file.
  static Result<std::unique_ptr<SqliteConnection>> open(const std::string& path, bool create,
                                                        ConnectionUse use = ConnectionUse::lookups);
  // Holds SQLite's memory in this process near kMemoryBudgetBytes (sqlite3_soft_heap_limit64):
  // once near it, every page cache reuses its least recently used pages instead of growing. Set
  // once per process, on the first open of an index.
  static void limit_memory();
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  // Sets the page cache to `bytes` (PRAGMA cache_size); a hint, ignored if refused.
  void set_cache_bytes(std::int64_t bytes);
  // A cached prepared statement for `sql`. internal when the SQL does not prepare (a bug).
  Result<Statement> prepare(const char* sql);
  // Runs one or more statements without results (BEGIN, COMMIT, PRAGMA ...).
  Status exec(const std::string& sql, std::string_view what);
  sqlite3* db() const { return db_; }

 private:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::map<const char*, sqlite3_stmt*> cache_;  // keyed by the SQL literal's address
};

// While it lives, a bulk import's connection caches up to kImportCacheBytes and the process's
// SQLite memory budget grows by as much (a random insert into a large B-tree reads a page for
// nearly every row once the tree outgrows the cache); both are put back when it ends. The budget
// is process-wide: lookups running in the same process meanwhile may use some of it.
class ImportCache {
 public:
  explicit ImportCache(SqliteConnection& c);
  ~ImportCache();
  ImportCache(const ImportCache&) = delete;
  ImportCache& operator=(const ImportCache&) = delete;

 private:
  SqliteConnection& c_;
  const std::int64_t previous_budget_;
};

}  // namespace resolver
