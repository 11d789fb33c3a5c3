// SqliteStore: opening, migrations, the connection pool, meta facts, stats and health.
#include "resolver/sqlite_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

#include "resolver/index_secret.hpp"
#include "resolver/sqlite_answer_cache.hpp"
#include "resolver/sqlite_connection.hpp"
#include "resolver/sqlite_store_internal.hpp"
#include "schema/embedded.hpp"

namespace resolver {

SqliteStore::SqliteStore(std::string path) : path_(std::move(path)) {}
SqliteStore::~SqliteStore() = default;

std::uint64_t SqliteStore::cached_answers() const { return answers_ ? answers_->hits() : 0; }

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path, OpenMode mode,
                                                       std::size_t answer_cache_entries) {
  if (path.empty()) return Status(Code::invalid_request, "no index path was given; pass --db PATH");
  std::error_code ec;
  const bool exists = std::filesystem::exists(path, ec);
  if (mode == OpenMode::must_exist && !exists)
    return Status(Code::not_found, "the index " + path +
                                       " does not exist; create it with 'discoveryctl --db " + path +
                                       " init --issuer DOMAIN'");
  if (mode == OpenMode::create_if_missing && !exists) {
    // The index holds the private signing keys and the peers' tokens: owner-only from the first
    // byte. SQLite gives the -wal and -shm files the database file's mode. A failure here is left
    // to SQLite's open below, which names it.
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) ::close(fd);
  }
  SqliteConnection::limit_memory();
  auto conn = SqliteConnection::open(path, mode == OpenMode::create_if_missing);
  if (!conn) return conn.status();
  std::unique_ptr<SqliteStore> store(new SqliteStore(path));
  auto version = migrate(**conn);
  if (!version) return version.status();
  store->schema_version_ = *version;
  store->release(std::move(*conn));
  store->answers_ = SqliteAnswerCache::open(path, answer_cache_entries);
  return store;
}

Result<int> migrate(SqliteConnection& c) {
  auto current = [&]() -> Result<int> {
    auto st = c.prepare("PRAGMA user_version");
    if (!st) return st.status();
    auto row = st->step("reading the schema version");
    if (!row) return row.status();
    return static_cast<int>(st->integer(0));
  };
  auto v = current();
  if (!v) return v.status();
  int version = *v;
  const auto& all = schema::migrations();
  const int newest = all.empty() ? 0 : all.back().version;
  if (version > newest)
    return Status(Code::failed_precondition,
                  "the index was written by a newer mimi-discovery (schema " + std::to_string(version) +
                      ", this build knows " + std::to_string(newest) + "); upgrade the binaries");
  for (const auto& m : all) {
    if (m.version <= version) continue;
    // Each migration and its version bump commit together, so a crash leaves a consistent schema.
    std::string sql = "BEGIN IMMEDIATE;\n" + std::string(m.sql) + "\nPRAGMA user_version = " +
                      std::to_string(m.version) + ";\nCOMMIT;";
    Status s = c.exec(sql, "applying schema migration " + std::string(m.name));
    if (!s.ok()) {
      (void)c.exec("ROLLBACK", "rolling back a migration");  // ignored: the error above is the news
      return s;
    }
    version = m.version;
  }
  return version;
}

Result<SqliteStore::Lease> SqliteStore::acquire() {
  {
    std::lock_guard lock(pool_mu_);
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(c));
    }
  }
  auto c = SqliteConnection::open(path_, false);
  if (!c) return c.status();
  return Lease(this, std::move(*c));
}

Result<SqliteStore::Lease> SqliteStore::acquire_for_scan() {
  auto c = SqliteConnection::open(path_, false, ConnectionUse::scan);
  if (!c) return c.status();
  return Lease(nullptr, std::move(*c));
}

void SqliteStore::release(std::unique_ptr<SqliteConnection> c) {
  std::lock_guard lock(pool_mu_);
  // Keep a few idle connections; more would only hold file descriptors and page caches.
  if (idle_.size() < 16) idle_.push_back(std::move(c));
}

Result<std::string> SqliteStore::issuer() {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto st = (*lease)->prepare("SELECT value FROM meta WHERE key = 'issuer'");
  if (!st) return st.status();
  auto row = st->step("reading the issuer");
  if (!row) return row.status();
  if (!*row)
    return Status(Code::failed_precondition,
                  "the index has no issuer yet; run 'discoveryctl init --issuer DOMAIN'");
  return std::string(st->text(0));
}

Status SqliteStore::set_issuer(const std::string& domain) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto st = (*lease)->prepare("INSERT INTO meta (key, value) VALUES ('issuer', ?1)");
  if (!st) return st.status();
  auto r = st->bind(1, domain).run("recording the issuer");
  if (!r) {
    if (r.status().code() == Code::already_exists)
      return Status(Code::already_exists, "the index is already initialised");
    return r.status();
  }
  return Status::Ok();
}

Result<std::string> SqliteStore::secret(const std::string& name) {
  auto lease = acquire();
  if (!lease) return lease.status();
  const std::string key = "secret:" + name;
  auto read = [&]() -> Result<std::optional<std::string>> {
    auto get = (*lease)->prepare("SELECT value FROM meta WHERE key = ?1");
    if (!get) return get.status();
    auto row = get->bind(1, key).step("reading a secret");
    if (!row) return row.status();
    if (!*row) return std::optional<std::string>();
    return std::optional<std::string>(get->text(0));
  };
  // Read first: an index served read-only still yields the secrets it holds.
  auto stored = read();
  if (!stored) return stored.status();
  if (!*stored) {
    auto hex = new_secret_hex();
    if (!hex) return hex.status();
    // First writer wins; every later call (and every other process) reads the same value.
    auto put = (*lease)->prepare("INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING");
    if (!put) return put.status();
    if (auto r = put->bind(1, key).bind(2, *hex).run("recording a secret"); !r) return r.status();
    stored = read();
    if (!stored) return stored.status();
  }
  return secret_from_hex(stored->value_or(""), name);
}

Result<Stats> SqliteStore::stats() {
  auto lease = acquire_for_scan();  // counting reads every page of the mappings table
  if (!lease) return lease.status();
  auto st = (*lease)->prepare(
      "SELECT (SELECT COUNT(DISTINCT identifier) FROM mappings), (SELECT COUNT(*) FROM mappings),"
      " (SELECT COUNT(*) FROM optouts), (SELECT COUNT(*) FROM peers),"
      " (SELECT COUNT(*) FROM tokens WHERE revoked_at IS NULL)");
  if (!st) return st.status();
  auto row = st->step("counting the index");
  if (!row) return row.status();
  Stats s;
  s.identifiers = st->integer(0);
  s.mappings = st->integer(1);
  s.optouts = st->integer(2);
  s.peers = st->integer(3);
  s.tokens = st->integer(4);
  return s;
}

Status SqliteStore::check() {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto st = (*lease)->prepare("SELECT COUNT(*) FROM meta");
  if (!st) return st.status();
  auto row = st->step("reading the index");
  return row ? Status::Ok() : row.status();
}

}  // namespace resolver
