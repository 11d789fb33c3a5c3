// PgStore: opening, migrations, the connection pool, meta facts, stats and health.
#include "resolver/pg_store.hpp"

#include <algorithm>
#include <chrono>

#include "resolver/index_secret.hpp"
#include "resolver/pg_connection.hpp"
#include "resolver/pg_store_internal.hpp"
#include "schema/embedded.hpp"

namespace resolver {
namespace {

// How long a call waits for a pooled connection when all pool_size are busy. Longer than any
// lookup takes; shorter than a client's patience, which then gets 503 and Retry-After.
constexpr auto kAcquireWait = std::chrono::seconds(5);
// Held while migrations run, so that nodes starting at once apply each migration once.
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(7235120458311)";
constexpr const char* kInitCommand =
    "create it with 'discoveryctl --db postgresql://... init --issuer DOMAIN'";

// Applies every embedded PostgreSQL migration the database lacks, in one transaction; returns the
// schema version. not_found when the database holds no index and `create` is false.
Result<int> migrate(PgConnection& c, bool create) {
  return in_transaction<int>(c, "applying schema migrations", [&](PgConnection& c) -> Result<int> {
    if (Status s = c.exec(kMigrationLock, "locking the schema"); !s.ok()) return s;
    auto exists = c.run_once("SELECT to_regclass('schema_migrations') IS NOT NULL", {},
                             "reading the schema version");
    if (!exists) return exists.status();
    if (!exists->boolean(0, 0)) {
      if (!create)
        return Status(Code::not_found, std::string("the PostgreSQL database holds no index; ") +
                                           kInitCommand);
      Status s = c.exec("CREATE TABLE schema_migrations (version integer PRIMARY KEY,"
                        " name text NOT NULL)",
                        "creating the schema");
      if (!s.ok()) return s;
    }
    auto current = c.run_once("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {},
                              "reading the schema version");
    if (!current) return current.status();
    int version = static_cast<int>(current->integer(0, 0));
    const auto& all = schema::pg_migrations();
    const int newest = all.empty() ? 0 : all.back().version;
    if (version > newest)
      return Status(Code::failed_precondition,
                    "the index was written by a newer mimi-discovery (schema " +
                        std::to_string(version) + ", this build knows " + std::to_string(newest) +
                        "); upgrade the binaries");
    for (const auto& m : all) {
      if (m.version <= version) continue;
      const std::string what = "applying schema migration " + std::string(m.name);
      if (Status s = c.exec(std::string(m.sql), what); !s.ok()) return s;
      auto done = c.run_once("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                             {std::int64_t{m.version}, m.name}, what);
      if (!done) return done.status();
      version = m.version;
    }
    return version;
  });
}

}  // namespace

PgStore::PgStore(std::string uri, const StoreOptions& options)
    : uri_(std::move(uri)),
      pool_size_(std::max<std::size_t>(1, options.pool_size)),
      answer_timeout_(std::max<std::int64_t>(1, options.answer_timeout_ms)) {}
PgStore::~PgStore() = default;

Result<std::unique_ptr<PgStore>> PgStore::open(const std::string& uri, OpenMode mode,
                                               const StoreOptions& options) {
  std::unique_ptr<PgStore> store(new PgStore(uri, options));
  auto lease = store->acquire();
  if (!lease) return lease.status();
  auto version = migrate(**lease, mode == OpenMode::create_if_missing);
  if (!version) return version.status();
  store->schema_version_ = *version;
  return store;
}

Result<std::int64_t> next_revision(PgConnection& c) {
  auto r = c.run("SELECT nextval('revisions')", {}, "advancing the revision");
  if (!r) return r.status();
  return r->integer(0, 0);
}

Result<PgStore::Lease> PgStore::acquire() {
  std::unique_lock lock(pool_mu_);
  for (;;) {
    while (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      if (c->alive()) return Lease(this, std::move(c));
      --open_;  // the server went away (a restart): drop it; a fresh one is made below
    }
    if (open_ < pool_size_) break;
    if (!pool_cv_.wait_for(lock, kAcquireWait, [&] { return !idle_.empty() || open_ < pool_size_; }))
      return Status(Code::unavailable, "all " + std::to_string(pool_size_) +
                                           " connections to PostgreSQL are busy; try again, or "
                                           "raise store.pool_size");
  }
  ++open_;
  lock.unlock();
  auto c = PgConnection::connect(uri_, answer_timeout_);
  if (!c) {
    lock.lock();
    --open_;
    pool_cv_.notify_one();
    return c.status();
  }
  return Lease(this, std::move(*c));
}

void PgStore::release(std::unique_ptr<PgConnection> c) {
  // A transaction left open by a failed call is rolled back before anyone else gets it; a
  // connection the server dropped, or whose answer never came, is closed instead.
  bool keep = c->alive();
  if (keep && !c->idle()) keep = c->exec("ROLLBACK", "rolling back").ok() && c->idle();
  if (!keep) c.reset();  // closed outside the lock
  std::lock_guard lock(pool_mu_);
  if (keep) idle_.push_back(std::move(c));
  else --open_;
  pool_cv_.notify_one();
}

Result<std::string> PgStore::issuer() {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto r = (*lease)->run("SELECT value FROM meta WHERE key = 'issuer'", {}, "reading the issuer");
  if (!r) return r.status();
  if (r->rows() == 0)
    return Status(Code::failed_precondition,
                  "the index has no issuer yet; run 'discoveryctl init --issuer DOMAIN'");
  return std::string(r->text(0, 0));
}

Status PgStore::set_issuer(const std::string& domain) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto r = (*lease)->run("INSERT INTO meta (key, value) VALUES ('issuer', $1)", {domain},
                         "recording the issuer");
  if (!r && r.status().code() == Code::already_exists)
    return Status(Code::already_exists, "the index is already initialised");
  return r.status();
}

Result<std::string> PgStore::secret(const std::string& name) {
  auto lease = acquire();
  if (!lease) return lease.status();
  const std::string key = "secret:" + name;
  auto read = [&] { return (*lease)->run("SELECT value FROM meta WHERE key = $1", {key}, "reading a secret"); };
  // Read first, as SqliteStore does; only a missing secret is written.
  auto got = read();
  if (!got) return got.status();
  if (got->rows() == 0) {
    auto hex = new_secret_hex();
    if (!hex) return hex.status();
    // First writer wins, across processes too: a racing insert does nothing and both read the same.
    auto put = (*lease)->run("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                             {key, *hex}, "recording a secret");
    if (!put) return put.status();
    got = read();
    if (!got) return got.status();
  }
  return secret_from_hex(got->rows() ? got->text(0, 0) : std::string_view(), name);
}

Result<Stats> PgStore::stats() {
  auto lease = acquire();
  if (!lease) return lease.status();
  // Counting reads the whole table: like an export, it takes as long as it takes (no answer
  // timeout), and it is rare (discoveryctl stats, /metrics at most every few seconds).
  auto r = (*lease)->run_once(
      "SELECT (SELECT COUNT(DISTINCT identifier) FROM mappings), (SELECT COUNT(*) FROM mappings),"
      " (SELECT COUNT(*) FROM optouts), (SELECT COUNT(*) FROM peers),"
      " (SELECT COUNT(*) FROM tokens WHERE revoked_at IS NULL)",
      {}, "counting the index");
  if (!r) return r.status();
  Stats s;
  s.identifiers = r->integer(0, 0);
  s.mappings = r->integer(0, 1);
  s.optouts = r->integer(0, 2);
  s.peers = r->integer(0, 3);
  s.tokens = r->integer(0, 4);
  return s;
}

Status PgStore::check() {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto r = (*lease)->run("SELECT COUNT(*) FROM meta", {}, "reading the index");
  return r.status();
}

}  // namespace resolver
