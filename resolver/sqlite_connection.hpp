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
  // Steps to completion; returns the number of rows changed.
  Result<int> run(std::string_view what);

  std::string_view text(int col) const;
  std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::optional<std::int64_t> optional_integer(int col) const;
  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class SqliteConnection {
 public:
  // Opens `path` with WAL, a busy timeout and foreign keys; `create` allows creating the file.
  static Result<std::unique_ptr<SqliteConnection>> open(const std::string& path, bool create);
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

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

}  // namespace resolver
