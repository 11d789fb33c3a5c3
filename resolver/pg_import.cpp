// PgStore: import sessions (DESIGN.md §6.2, §10). Puts are streamed with COPY into a temporary
// staging table; commit() de-duplicates there (the last put for the same identifier, provider and
// user wins; an opt-out drops the puts before it) and merges into mappings and optouts, all in
// the transaction that begin_import() opened.
#include <functional>
#include <unordered_map>

#include "resolver/mapping_json.hpp"
#include "resolver/pg_store.hpp"
#include "resolver/pg_store_internal.hpp"

namespace resolver {
namespace {

// An import of at least this many rows refreshes the planner's statistics before it commits
// (ANALYZE samples 30,000 rows: about a tenth of a second).
constexpr std::int64_t kAnalyzeAfterRows = 10000;

constexpr const char* kCreateStaging =
    "CREATE TEMPORARY TABLE import_rows (seq bigint NOT NULL, optout boolean NOT NULL,"
    " identifier text COLLATE \"C\" NOT NULL, provider text COLLATE \"C\","
    " \"user\" text COLLATE \"C\", tags text, keys text, updated_at bigint, expires_at bigint)"
    " ON COMMIT DROP";
constexpr const char* kCopyStaging =
    "COPY import_rows (seq, optout, identifier, provider, \"user\", tags, keys, updated_at,"
    " expires_at) FROM STDIN";
constexpr const char* kExistingKeys =
    "SELECT identifier, provider, \"user\" FROM mappings WHERE identifier = ANY($1::text[])";
// Opt-outs first: record them (the first time of each), remove the mappings of their
// identifiers, and drop the staged puts that came before an identifier's last opt-out.
constexpr const char* kMergeOptouts =
    "INSERT INTO optouts (identifier, created_at) SELECT DISTINCT ON (identifier) identifier,"
    " updated_at FROM import_rows WHERE optout ORDER BY identifier, seq"
    " ON CONFLICT (identifier) DO NOTHING;"
    " DELETE FROM mappings AS m USING import_rows AS r WHERE r.optout AND m.identifier = r.identifier;"
    " DELETE FROM import_rows AS r USING (SELECT identifier, MAX(seq) AS last FROM import_rows"
    "   WHERE optout GROUP BY identifier) AS o WHERE r.identifier = o.identifier AND r.seq < o.last";
// Then the mappings; %s is DISTINCT ON the key when a key was put more than once (the highest seq
// wins), so that one INSERT never meets the same key twice.
constexpr const char* kMergeMappings =
    "INSERT INTO mappings (identifier, provider, \"user\", tags, keys, updated_at, expires_at,"
    " revision) SELECT %s identifier, provider, \"user\", tags, keys, updated_at, expires_at,"
    " $1::bigint FROM import_rows WHERE NOT optout %s"
    " ON CONFLICT (identifier, provider, \"user\") DO UPDATE SET tags = EXCLUDED.tags,"
    " keys = EXCLUDED.keys, updated_at = EXCLUDED.updated_at, expires_at = EXCLUDED.expires_at,"
    " revision = EXCLUDED.revision";

std::uint64_t hash_of(std::string_view s) { return std::hash<std::string_view>{}(s); }

// The mapping key (identifier, provider, user) as 64 bits. A collision among a session's keys
// (about 1 in 10^7 for 10^6 keys) only miscounts inserted/updated; the data comes from the merge.
std::uint64_t key_hash(std::string_view identifier, std::string_view provider, std::string_view user) {
  std::uint64_t h = hash_of(identifier);
  for (std::string_view part : {provider, user}) h ^= hash_of(part) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

class PgImportSession final : public ImportSession {
 public:
  PgImportSession(PgStore::Lease lease, std::int64_t revision)
      : lease_(std::move(lease)), revision_(revision) {}
  // Destroyed without commit(): the lease rolls the transaction back (the staging table with it).

  Status expect(std::span<const std::string> identifiers) override {
    if (done_) return committed();
    return load(identifiers);
  }

  Result<Upsert> put_mapping(const Mapping& m) override {
    if (done_) return committed();
    if (!pending_.ok()) return pending_;  // the stream already failed: nothing more is kept
    auto id = state(m.identifier);
    if (!id) return id.status();
    touch(m.identifier, **id);
    // keys_ holds each key's identifier generation (an opt-out starts a new one) and whether this
    // session put it: a key exists when its generation is its identifier's current one.
    const std::uint64_t live = std::uint64_t{(*id)->generation} << 1;
    auto [key, fresh] = keys_.try_emplace(key_hash(m.identifier, m.provider, m.user), live | 1);
    const bool existed = !fresh && (key->second >> 1) == (*id)->generation;
    if (existed && (key->second & 1)) repeats_ = true;
    if (!existed) ++(*id)->live;
    key->second = live | 1;
    append_row(false, m.identifier, &m, m.updated_at);
    return existed ? Upsert::updated : Upsert::inserted;
  }

  Result<int> put_optout(const std::string& identifier, UnixTime now) override {
    if (done_) return committed();
    if (!pending_.ok()) return pending_;
    auto id = state(identifier);
    if (!id) return id.status();
    touch(identifier, **id);
    const int removed = static_cast<int>((*id)->live);
    (*id)->live = 0;
    ++(*id)->generation;
    optouts_ = true;
    append_row(true, identifier, nullptr, now);
    return removed;
  }

  Status commit() override {
    if (done_) return committed();
    done_ = true;
    PgConnection& c = *lease_;
    if (Status s = flush(); !s.ok()) return s;
    if (optouts_) {
      if (Status s = c.exec("ANALYZE import_rows", "merging the import"); !s.ok()) return s;
      if (Status s = c.exec(kMergeOptouts, "merging the import's opt-outs"); !s.ok()) return s;
    }
    char sql[1024];
    std::snprintf(sql, sizeof sql, kMergeMappings,
                  repeats_ ? "DISTINCT ON (identifier, provider, \"user\")" : "",
                  repeats_ ? "ORDER BY identifier, provider, \"user\", seq DESC" : "");
    auto merged = c.run_once(sql, {revision_}, "merging the import's mappings");
    if (!merged) return merged.status();
    if (Status s = merge_hashes(c); !s.ok()) return s;
    // A large import changes the tables' statistics: without new ones the planner may read the
    // whole mappings table for every lookup until autovacuum gets to it. Counted with the
    // transaction's own rows and published by its commit.
    if (seq_ >= kAnalyzeAfterRows) {
      if (Status s = c.exec("ANALYZE mappings, optouts", "updating statistics"); !s.ok()) return s;
    }
    return c.exec("COMMIT", "committing the import");
  }

 private:
  struct IdentifierState {
    std::uint32_t generation = 0;  // opt-outs of this identifier in the session so far
    std::uint32_t live = 0;        // its mappings that exist now (in the index or put since)
    bool touched = false;          // put in this session, and in touched_
    bool indexed = false;          // it had mappings when load() read it
  };

  // Remembers a tel: or mailto: identifier this session writes, for merge_hashes().
  void touch(const std::string& identifier, IdentifierState& id) {
    if (id.touched || !has_matrix_addresses(identifier)) return;
    id.touched = true;
    touched_.push_back(identifier);
  }

  // Keeps the address hashes (DESIGN.md §11) in the import's transaction: added for the
  // identifiers written that have mappings now, removed for those left without any. Those that
  // had no mapping before have no hashes either (but for a concurrent write): they are COPYed.
  Status merge_hashes(PgConnection& c) {
    if (touched_.empty()) return Status::Ok();
    auto peppers = lock_hashed_peppers(c);
    if (!peppers) return peppers.status();
    std::vector<std::string> fresh;
    std::vector<std::string> mapped;
    std::vector<std::string> unmapped;
    for (std::string& identifier : touched_) {
      const IdentifierState& id = identifiers_.at(hash_of(identifier));
      (id.live == 0 ? unmapped : id.indexed ? mapped : fresh).push_back(std::move(identifier));
    }
    if (Status s = drop_matrix_hashes_if_unmapped(c, *peppers, unmapped); !s.ok()) return s;
    if (Status s = add_matrix_hashes(c, *peppers, mapped); !s.ok()) return s;
    return copy_matrix_hashes(c, *peppers, fresh);
  }

  static Status committed() {
    return Status(Code::failed_precondition, "the import is already committed");
  }

  // Learns, in one statement, which mappings exist for the identifiers not seen before.
  Status load(std::span<const std::string> identifiers) {
    std::vector<std::string> unknown;
    for (const std::string& id : identifiers)
      if (identifiers_.try_emplace(hash_of(id)).second) unknown.push_back(id);
    if (unknown.empty()) return Status::Ok();
    auto r = (*lease_).run(kExistingKeys, {text_array(unknown)}, "reading existing mappings");
    if (!r) return r.status();
    for (int row = 0; row < r->rows(); ++row) {
      keys_.emplace(key_hash(r->text(row, 0), r->text(row, 1), r->text(row, 2)), 0);
      IdentifierState& id = identifiers_[hash_of(r->text(row, 0))];
      ++id.live;
      id.indexed = true;
    }
    return Status::Ok();
  }

  Result<IdentifierState*> state(const std::string& identifier) {
    auto it = identifiers_.find(hash_of(identifier));
    if (it == identifiers_.end()) {
      if (Status s = load({&identifier, 1}); !s.ok()) return s;
      it = identifiers_.find(hash_of(identifier));
    }
    return &it->second;
  }

  // Appends one staging row; `m` is null for an opt-out (`time` is then its created_at).
  void append_row(bool optout, const std::string& identifier, const Mapping* m, UnixTime time) {
    rows_ += std::to_string(++seq_);
    rows_ += optout ? "\tt\t" : "\tf\t";
    append_copy_field(rows_, identifier);
    if (m) {
      rows_.push_back('\t');
      append_copy_field(rows_, m->provider);
      rows_.push_back('\t');
      append_copy_field(rows_, m->user);
      rows_.push_back('\t');
      append_copy_field(rows_, tags_json(m->tags));
      rows_.push_back('\t');
      append_copy_field(rows_, keys_json(m->keys));
      rows_ += '\t' + std::to_string(time) + '\t';
      rows_ += m->expires_at ? std::to_string(*m->expires_at) : "\\N";
    } else {
      rows_ += "\t\\N\t\\N\t\\N\t\\N\t" + std::to_string(time) + "\t\\N";
    }
    rows_.push_back('\n');
    if (rows_.size() >= kCopyPieceBytes) pending_ = flush();
  }

  // Sends the buffered rows; a failure is kept and answered by the next put or commit().
  Status flush() {
    if (!pending_.ok()) return pending_;
    if (rows_.empty()) return Status::Ok();
    Status s = (*lease_).copy_in(kCopyStaging, rows_, "streaming the import");
    rows_.clear();
    return s;
  }

  PgStore::Lease lease_;
  const std::int64_t revision_;
  bool done_ = false;
  std::string rows_;  // COPY text not sent yet
  Status pending_;    // a failed send, answered by every later put and by commit()
  std::int64_t seq_ = 0;
  bool optouts_ = false;  // an opt-out was put
  bool repeats_ = false;  // a key was put twice
  std::unordered_map<std::uint64_t, IdentifierState> identifiers_;  // by hash_of(identifier)
  std::vector<std::string> touched_;  // tel: and mailto: identifiers written, each once
  std::unordered_map<std::uint64_t, std::uint64_t> keys_;  // key_hash -> generation << 1 | put here
};

}  // namespace

Result<std::unique_ptr<ImportSession>> PgStore::begin_import() {
  auto lease = acquire();
  if (!lease) return lease.status();
  if (Status s = (*lease)->exec("BEGIN", "starting the import"); !s.ok()) return s;
  auto revision = next_revision(**lease);
  if (!revision) return revision.status();
  if (Status s = (*lease)->exec(kCreateStaging, "starting the import"); !s.ok()) return s;
  return std::unique_ptr<ImportSession>(new PgImportSession(std::move(*lease), *revision));
}

}  // namespace resolver
