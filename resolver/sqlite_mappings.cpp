// SqliteStore: lookups, imports, admin writes and export of mappings and opt-outs.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <tuple>

#include "resolver/sqlite_answer_cache.hpp"
#include "resolver/sqlite_store.hpp"
#include "resolver/sqlite_store_internal.hpp"

namespace resolver {
namespace {

constexpr const char* kNextRevision =
    "INSERT INTO meta (key, value) VALUES ('revision', '1') ON CONFLICT (key) DO UPDATE"
    " SET value = CAST(value AS INTEGER) + 1 RETURNING CAST(value AS INTEGER)";
constexpr const char* kUpdateMapping =
    "UPDATE mappings SET tags = ?4, keys = ?5, updated_at = ?6, expires_at = ?7, revision = ?8"
    " WHERE identifier = ?1 AND provider = ?2 AND user = ?3";
constexpr const char* kInsertMapping =
    "INSERT INTO mappings (identifier, provider, user, tags, keys, updated_at, expires_at, revision)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
constexpr const char* kInsertOptout =
    "INSERT INTO optouts (identifier, created_at) VALUES (?1, ?2) ON CONFLICT (identifier) DO NOTHING";
constexpr const char* kDeleteMappings = "DELETE FROM mappings WHERE identifier = ?1";
constexpr const char* kDeleteProviderMappings =
    "DELETE FROM mappings WHERE identifier = ?1 AND provider = ?2";
// One statement answers a whole batch (DESIGN §6.1); q.key places each row in its answer. No
// ORDER BY: SQLite would sort every batch in a temporary B-tree, and the rows of one identifier
// already come in key order from the mappings table; lookup() keeps that order by contract.
constexpr const char* kLookup =
    "SELECT q.key, o.identifier IS NOT NULL, m.provider, m.user, m.tags, m.keys, m.updated_at,"
    " m.expires_at, m.revision"
    " FROM json_each(?1) AS q"
    " LEFT JOIN optouts AS o ON o.identifier = q.value"
    " LEFT JOIN mappings AS m ON o.identifier IS NULL AND m.identifier = q.value"
    "   AND (m.expires_at IS NULL OR m.expires_at > ?2)";

// Reads provider, user, tags, keys, updated_at, expires_at, revision from columns first.. of a row.
void read_mapping_columns(const Statement& st, int first, Mapping& m) {
  m.provider = st.text(first);
  m.user = st.text(first + 1);
  m.tags = tags_from_json(st.text(first + 2));
  m.keys = keys_from_json(st.text(first + 3));
  m.updated_at = st.integer(first + 4);
  m.expires_at = st.optional_integer(first + 5);
  m.revision = st.integer(first + 6);
}

// Both mapping statements take the same eight parameters (?1..?8), so one writer serves both.
Result<int> write_mapping(SqliteConnection& c, const char* sql, const Mapping& m, const std::string& tags,
                          const std::string& keys, std::int64_t revision, std::string_view what) {
  auto st = c.prepare(sql);
  if (!st) return st.status();
  st->bind(1, m.identifier).bind(2, m.provider).bind(3, m.user).bind(4, tags).bind(5, keys);
  st->bind(6, m.updated_at).bind(7, m.expires_at).bind(8, revision);
  return st->run(what);
}

// A mapping write's transaction: its revision, and the peppers whose hashes it keeps (§11).
struct WriteTx {
  std::int64_t revision = 0;
  std::vector<HashedPepper> peppers;
};

// A new identifier gets its address hashes; an updated mapping's identifier has them already.
// With `unhashed`, a new identifier that has addresses goes there instead, for the caller to hash
// later in one ordered pass (add_matrix_hashes_in_order).
Result<Upsert> put(SqliteConnection& c, const Mapping& m, const WriteTx& tx,
                   std::vector<std::string>* unhashed = nullptr) {
  const std::int64_t revision = tx.revision;
  const std::string tags = tags_json(m.tags);
  const std::string keys = keys_json(m.keys);
  auto changed = write_mapping(c, kUpdateMapping, m, tags, keys, revision, "updating a mapping");
  if (!changed) return changed.status();
  if (*changed > 0) return Upsert::updated;
  auto inserted = write_mapping(c, kInsertMapping, m, tags, keys, revision, "inserting a mapping");
  if (!inserted) return inserted.status();
  if (unhashed && !tx.peppers.empty() && has_matrix_addresses(m.identifier)) unhashed->push_back(m.identifier);
  else if (Status s = add_matrix_hashes(c, tx.peppers, m.identifier); !s.ok()) return s;
  return Upsert::inserted;
}

Result<int> delete_mappings(SqliteConnection& c, const std::string& identifier,
                            const std::optional<std::string>& provider, const WriteTx& tx) {
  auto st = c.prepare(provider ? kDeleteProviderMappings : kDeleteMappings);
  if (!st) return st.status();
  st->bind(1, identifier);
  if (provider) st->bind(2, *provider);
  auto removed = st->run("removing mappings");
  if (!removed) return removed;
  if (*removed > 0) {
    if (Status s = drop_matrix_hashes_if_unmapped(c, tx.peppers, identifier); !s.ok()) return s;
  }
  return removed;
}

Result<int> optout(SqliteConnection& c, const std::string& identifier, UnixTime now, const WriteTx& tx) {
  auto st = c.prepare(kInsertOptout);
  if (!st) return st.status();
  auto r = st->bind(1, identifier).bind(2, now).run("recording an opt-out");
  if (!r) return r.status();
  return delete_mappings(c, identifier, std::nullopt, tx);
}

class SqliteImportSession final : public ImportSession {
 public:
  SqliteImportSession(SqliteStore::Lease lease, WriteTx tx)
      : lease_(std::move(lease)), cache_(*lease_), tx_(std::move(tx)) {}
  ~SqliteImportSession() override {
    if (!done_) rollback_write(*lease_);
  }
  // After commit the connection is out of the transaction: a put would write on its own.
  Result<Upsert> put_mapping(const Mapping& m) override {
    if (done_) return committed();
    auto r = put(*lease_, m, tx_, &unhashed_);
    if (r && unhashed_.size() >= kUnhashedMax) {
      if (Status s = write_hashes(); !s.ok()) return s;
    }
    return r;
  }
  // An opt-out removes the identifier's hashes, so the ones this import holds back go first.
  Result<int> put_optout(const std::string& identifier, UnixTime now) override {
    if (done_) return committed();
    if (Status s = write_hashes(); !s.ok()) return s;
    return optout(*lease_, identifier, now, tx_);
  }
  Status commit() override {
    if (done_) return committed();
    if (Status s = write_hashes(); !s.ok()) return s;  // the destructor rolls back
    done_ = true;
    return commit_write(*lease_);
  }

 private:
  static Status committed() {
    return Status(Code::failed_precondition, "the import is already committed");
  }

  // The address hashes of the identifiers the import inserted are written in hash order, a batch
  // at a time: written at random places as each row came, they outgrew the import's page cache
  // and nearly every hash read and rewrote a page (10,000,000 rows into an empty index: 378.6 s
  // that way, 246.3 s this way). A batch holds at most kUnhashedMax identifiers (about 100 MB
  // with their hashes).
  static constexpr std::size_t kUnhashedMax = std::size_t{1} << 20;
  Status write_hashes() {
    for (const HashedPepper& p : tx_.peppers)
      if (Status s = add_matrix_hashes_in_order(*lease_, p, unhashed_); !s.ok()) return s;
    unhashed_.clear();
    return Status::Ok();
  }

  SqliteStore::Lease lease_;
  ImportCache cache_;  // ends before lease_ gives the connection back to the pool
  const WriteTx tx_;  // the import's revision, and the peppers read when it began
  std::vector<std::string> unhashed_;  // inserted identifiers whose hashes are not written yet
  bool done_ = false;
};

}  // namespace

Result<std::int64_t> begin_write(SqliteConnection& c) {
  if (Status s = c.exec("BEGIN IMMEDIATE", "starting a write"); !s.ok()) return s;
  auto st = c.prepare(kNextRevision);
  if (!st) {
    rollback_write(c);
    return st.status();
  }
  auto row = st->step("advancing the revision");
  if (!row || !*row) {
    rollback_write(c);
    return row ? Status(Code::internal, "advancing the revision returned nothing") : row.status();
  }
  return st->integer(0);
}

Status commit_write(SqliteConnection& c) {
  Status s = c.exec("COMMIT", "committing");
  if (!s.ok()) rollback_write(c);
  return s;
}

void rollback_write(SqliteConnection& c) {
  // Ignored: either nothing is open, or the failure that led here is what the caller reports.
  (void)c.exec("ROLLBACK", "rolling back");
}

Result<std::vector<LocalAnswer>> SqliteStore::lookup(std::span<const std::string> identifiers,
                                                     UnixTime now) {
  std::vector<LocalAnswer> answers(identifiers.size());
  if (identifiers.empty()) return answers;
  // The stamp is taken before the index is read, so an answer is never kept under a state older
  // than the one it was read in (SqliteAnswerCache).
  const auto stamp = answers_ ? answers_->stamp() : std::nullopt;
  std::vector<std::size_t> misses;
  misses.reserve(identifiers.size());
  for (std::size_t i = 0; i < identifiers.size(); ++i) {
    auto hit = stamp ? answers_->get(identifiers[i], *stamp, now) : std::nullopt;
    if (hit) answers[i] = std::move(*hit);
    else misses.push_back(i);
  }
  if (misses.empty()) return answers;
  if (Status s = read_answers(identifiers, misses, now, answers); !s.ok()) return s;
  if (stamp) {
    for (std::size_t i : misses) answers_->put(identifiers[i], *stamp, now, answers[i]);
  }
  return answers;
}

Status SqliteStore::read_answers(std::span<const std::string> identifiers, std::span<const std::size_t> at,
                                 UnixTime now, std::vector<LocalAnswer>& answers) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto st = (*lease)->prepare(kLookup);
  if (!st) return st.status();
  nlohmann::json batch = nlohmann::json::array();
  for (std::size_t i : at) batch.push_back(identifiers[i]);
  st->bind(1, batch.dump());
  st->bind(2, now);
  for (;;) {
    auto row = st->step("reading the index");
    if (!row) return row.status();
    if (!*row) break;
    const std::size_t i = at[static_cast<std::size_t>(st->integer(0))];
    auto& a = answers[i];
    if (st->integer(1)) {
      a.opted_out = true;
      continue;
    }
    if (st->is_null(2)) continue;  // no mapping
    Mapping m;
    m.identifier = identifiers[i];
    read_mapping_columns(*st, 2, m);
    a.mappings.push_back(std::move(m));
  }
  for (std::size_t i : at)  // ordered by provider, user (Store::lookup); a no-op in practice
    if (answers[i].mappings.size() > 1)
      std::stable_sort(answers[i].mappings.begin(), answers[i].mappings.end(), [](const Mapping& x, const Mapping& y) {
        return std::tie(x.provider, x.user) < std::tie(y.provider, y.user);
      });
  return Status::Ok();
}

Result<std::unique_ptr<ImportSession>> SqliteStore::begin_import() {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto revision = begin_write(**lease);
  if (!revision) return revision.status();
  // The write lock is held until the session ends, so no rotation changes the peppers meanwhile.
  auto peppers = hashed_peppers(**lease);
  if (!peppers) {
    rollback_write(**lease);
    return peppers.status();
  }
  return std::unique_ptr<ImportSession>(
      new SqliteImportSession(std::move(*lease), WriteTx{*revision, std::move(*peppers)}));
}

namespace {

// Runs `write(connection, tx)` as one write transaction: committed when it succeeds, rolled back
// when it fails.
Result<int> in_write_transaction(SqliteStore::Lease& lease,
                                 const std::function<Result<int>(SqliteConnection&, const WriteTx&)>& write) {
  auto revision = begin_write(*lease);
  if (!revision) return revision.status();
  auto peppers = hashed_peppers(*lease);
  if (!peppers) {
    rollback_write(*lease);
    return peppers.status();
  }
  auto n = write(*lease, WriteTx{*revision, std::move(*peppers)});
  if (!n) {
    rollback_write(*lease);
    return n.status();
  }
  if (Status s = commit_write(*lease); !s.ok()) return s;
  return n;
}

}  // namespace

Result<int> SqliteStore::upsert_mappings(const std::vector<Mapping>& mappings) {
  auto lease = acquire();
  if (!lease) return lease.status();
  return in_write_transaction(*lease, [&](SqliteConnection& c, const WriteTx& tx) -> Result<int> {
    for (const auto& m : mappings)
      if (auto r = put(c, m, tx); !r) return r.status();
    return static_cast<int>(mappings.size());
  });
}

Result<int> SqliteStore::remove_mappings(const std::string& identifier,
                                         const std::optional<std::string>& provider) {
  auto lease = acquire();
  if (!lease) return lease.status();
  return in_write_transaction(*lease, [&](SqliteConnection& c, const WriteTx& tx) {
    return delete_mappings(c, identifier, provider, tx);
  });
}

Result<int> SqliteStore::add_optout(const std::string& identifier, UnixTime now) {
  auto lease = acquire();
  if (!lease) return lease.status();
  return in_write_transaction(*lease, [&](SqliteConnection& c, const WriteTx& tx) {
    return optout(c, identifier, now, tx);
  });
}

Result<bool> SqliteStore::remove_optout(const std::string& identifier) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto st = (*lease)->prepare("DELETE FROM optouts WHERE identifier = ?1");
  if (!st) return st.status();
  auto n = st->bind(1, identifier).run("lifting an opt-out");
  if (!n) return n.status();
  return *n > 0;
}

Status SqliteStore::export_all(const std::function<Status(const ExportRecord&)>& sink) {
  auto lease = acquire_for_scan();
  if (!lease) return lease.status();
  // One read transaction: the export is a consistent snapshot while imports go on.
  if (Status s = (*lease)->exec("BEGIN", "starting the export"); !s.ok()) return s;
  struct EndRead {
    SqliteConnection& c;
    ~EndRead() { rollback_write(c); }
  } end_read{**lease};
  auto st = (*lease)->prepare(
      "SELECT identifier, provider, user, tags, keys, updated_at, expires_at, revision FROM mappings"
      " ORDER BY identifier, provider, user");
  if (!st) return st.status();
  ExportRecord rec;
  for (;;) {
    auto row = st->step("exporting mappings");
    if (!row) return row.status();
    if (!*row) break;
    Mapping& m = rec.mapping;
    m.identifier = st->text(0);
    read_mapping_columns(*st, 1, m);
    if (Status s = sink(rec); !s.ok()) return s;
  }
  auto opt = (*lease)->prepare("SELECT identifier FROM optouts ORDER BY identifier");
  if (!opt) return opt.status();
  rec = ExportRecord{};
  rec.optout = true;
  for (;;) {
    auto row = opt->step("exporting opt-outs");
    if (!row) return row.status();
    if (!*row) break;
    rec.mapping.identifier = opt->text(0);
    if (Status s = sink(rec); !s.ok()) return s;
  }
  return Status::Ok();
}

}  // namespace resolver
