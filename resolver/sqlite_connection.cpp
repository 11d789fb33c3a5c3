// SQLite handles and statements, and the single place SQLite codes become our codes.
#include "resolver/sqlite_connection.hpp"

#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <mutex>
#include <string>

namespace resolver {

Status sqlite_status(sqlite3* db, int rc, std::string_view what) {
  const std::string detail = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const std::string prefix = std::string(what) + " failed: ";
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status(Code::unavailable, prefix + "the index is locked by another writer; try again");
    case SQLITE_CANTOPEN:
      return Status(Code::unavailable, prefix + "the index file cannot be opened (" + detail + ")");
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return Status(Code::unavailable, prefix + "the file is not a valid index (" + detail + ")");
    case SQLITE_FULL:
      return Status(Code::unavailable, prefix + "the disk is full; free space on the index's file system and try again");
    case SQLITE_IOERR:
      return Status(Code::unavailable, prefix + "an I/O error occurred (" + detail + ")");
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return Status(Code::unavailable,
                    prefix + "the index is read-only (its file or file system does not allow writes: " +
                        detail + "); it can be read but not changed");
    case SQLITE_CONSTRAINT:
      return Status(Code::already_exists, prefix + "a record with the same key already exists");
    default:
      // SQL text never reaches a message (STYLE.md); the library's sentence names the cause.
      return Status(Code::internal, prefix + detail);
  }
}

Statement::~Statement() {
  if (stmt_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Statement& Statement::bind(int i, std::string_view text) {
  sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind_blob(int i, std::string_view bytes) {
  sqlite3_bind_blob(stmt_, i, bytes.data(), static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind(int i, std::int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}

Statement& Statement::bind(int i, std::optional<std::int64_t> v) {
  if (v) sqlite3_bind_int64(stmt_, i, *v);
  else sqlite3_bind_null(stmt_, i);
  return *this;
}

Result<bool> Statement::step(std::string_view what) {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqlite_status(db_, rc, what);
}

Result<int> Statement::run(std::string_view what) {
  for (;;) {
    auto r = step(what);
    if (!r) {
      sqlite3_reset(stmt_);
      return r.status();
    }
    if (!*r) {
      const int changed = sqlite3_changes(db_);
      // Reset, so the statement can be bound and run again (sqlite3_bind_* refuses a statement
      // stepped since its last reset, and the step would repeat the old values).
      sqlite3_reset(stmt_);
      return changed;
    }
  }
}

std::string_view Statement::text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  if (!p) return {};
  return {reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))};
}

std::optional<std::int64_t> Statement::optional_integer(int col) const {
  if (is_null(col)) return std::nullopt;
  return sqlite3_column_int64(stmt_, col);
}

namespace {

// How an existing index file can be opened. An index on a read-only file system (a read-only
// volume or mount) is opened immutable: SQLite then needs no -shm file, which it could not create
// there, and no process can change the file through this mount. A file this process may not write
// on a writable file system is opened read-only and still sees other processes' commits.
enum class Access { read_write, read_only, immutable };

Access access_of(const std::string& path) {
  if (::access(path.c_str(), W_OK) == 0) return Access::read_write;
  const int why = errno;
  if (why != EACCES && why != EROFS && why != EPERM) return Access::read_write;  // the open names it
  struct statvfs fs {};
  std::error_code ec;
  // A WAL left with commits in it must be read, so immutable (which ignores it) is not for it.
  if (::statvfs(path.c_str(), &fs) == 0 && (fs.f_flag & ST_RDONLY)) {
    const auto wal_bytes = std::filesystem::file_size(path + "-wal", ec);
    if (ec || wal_bytes == 0) return Access::immutable;
  }
  return Access::read_only;
}

// A file: URI for `path` (RFC 3986 percent-encoding of what a URI path cannot hold as is).
std::string file_uri(const std::string& path, Access access) {
  std::string uri = "file:";
  for (unsigned char ch : path) {
    if (ch == '%' || ch == '?' || ch == '#' || ch < 0x21 || ch >= 0x7f) {
      static constexpr char kHex[] = "0123456789ABCDEF";
      uri += '%';
      uri += kHex[ch >> 4];
      uri += kHex[ch & 15];
    } else {
      uri += static_cast<char>(ch);
    }
  }
  if (access == Access::read_only) uri += "?mode=ro";
  if (access == Access::immutable) uri += "?mode=ro&immutable=1";
  return uri;
}

}  // namespace

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::open(const std::string& path, bool create,
                                                                  ConnectionUse use) {
  sqlite3* db = nullptr;
  const Access access = create ? Access::read_write : access_of(path);
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI;
  flags |= access == Access::read_write ? SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0)
                                        : SQLITE_OPEN_READONLY;
  int rc = sqlite3_open_v2(file_uri(path, access).c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status s = sqlite_status(db, rc, "opening the index");
    sqlite3_close(db);
    return s;
  }
  std::unique_ptr<SqliteConnection> c(new SqliteConnection(db));
  sqlite3_busy_timeout(db, 5000);
  sqlite3_extended_result_codes(db, 1);
  if (access != Access::read_write) {
    // The journal mode is the file's (WAL since init) and cannot be changed read-only.
    if (use == ConnectionUse::lookups) c->set_cache_bytes(kLookupCacheBytes);
    return c;
  }
  // WAL: readers never block the writer and the writer never blocks readers (DESIGN §6.1).
  // synchronous=NORMAL is durable across application crashes in WAL mode. The rest is
  // docs/OPERATIONS.md "SQLite tuning": a checkpointed WAL is cut back to 64 MiB (a large import
  // would otherwise leave a WAL file of its own size), and a lookup connection caches a working
  // set instead of reading most pages again with a system call.
  std::string pragmas =
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
      " PRAGMA journal_size_limit=67108864;";
  Status s = c->exec(pragmas, "opening the index");
  if (!s.ok()) return s;
  if (use == ConnectionUse::lookups) c->set_cache_bytes(kLookupCacheBytes);
  return c;
}

void SqliteConnection::limit_memory() {
  static std::once_flag once;
  std::call_once(once, [] { sqlite3_soft_heap_limit64(kMemoryBudgetBytes); });
}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

void SqliteConnection::set_cache_bytes(std::int64_t bytes) {
  (void)exec("PRAGMA cache_size=-" + std::to_string(bytes >> 10), "sizing the cache");
}

ImportCache::ImportCache(SqliteConnection& c)
    : c_(c), previous_budget_(sqlite3_soft_heap_limit64(-1)) {
  sqlite3_soft_heap_limit64(previous_budget_ + SqliteConnection::kImportCacheBytes);
  c_.set_cache_bytes(SqliteConnection::kImportCacheBytes);
}

ImportCache::~ImportCache() {
  c_.set_cache_bytes(SqliteConnection::kLookupCacheBytes);  // back to a pooled lookup connection
  sqlite3_soft_heap_limit64(previous_budget_);
}

Result<Statement> SqliteConnection::prepare(const char* sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return sqlite_status(db_, rc, "preparing a statement");
    it = cache_.emplace(sql, stmt).first;
  }
  return Statement(db_, it->second);
}

Status SqliteConnection::exec(const std::string& sql, std::string_view what) {
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return sqlite_status(db_, rc, what);
  return Status::Ok();
}

}  // namespace resolver
