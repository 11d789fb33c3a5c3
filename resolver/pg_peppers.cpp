// PgStore: lookup peppers and the hashes of Matrix addresses (DESIGN.md §11). A rotation locks
// matrix_peppers EXCLUSIVE and mapping writes read it FOR SHARE, so neither misses the other's
// rows; lookups read it without a lock and never wait.
#include <unordered_map>

#include "resolver/pg_store.hpp"
#include "resolver/pg_store_internal.hpp"

namespace resolver {
namespace {

// Identifiers per statement when hashes are written or removed for many (an import).
constexpr std::size_t kHashChunk = 5000;
// Rows per FETCH of the rotation's cursor.
constexpr int kRotationFetch = 20000;

constexpr const char* kInsertHashes =
    "INSERT INTO matrix_hashes (pepper_id, hash, identifier) SELECT * FROM"
    " unnest($1::bigint[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING";
constexpr const char* kCopyHashes = "COPY matrix_hashes (pepper_id, hash, identifier) FROM STDIN";
constexpr const char* kDeleteUnmappedHashes =
    "DELETE FROM matrix_hashes AS h USING unnest($1::bigint[], $2::text[], $3::text[])"
    " AS d(pepper_id, hash, identifier) WHERE h.pepper_id = d.pepper_id AND h.hash = d.hash"
    " AND NOT EXISTS (SELECT 1 FROM mappings AS m WHERE m.identifier = d.identifier)";
constexpr const char* kByHash =
    "SELECT h.hash, h.identifier FROM matrix_hashes AS h WHERE h.pepper_id ="
    " (SELECT id FROM matrix_peppers WHERE pepper = $1 AND hashed) AND h.hash = ANY($2::text[])";
// "mailto;" and "tel:," are the keys just past every "mailto:..." and "tel:+..." identifier.
constexpr const char* kRotationCursor =
    "DECLARE pepper_identifiers NO SCROLL CURSOR FOR SELECT DISTINCT identifier FROM mappings"
    " WHERE (identifier >= 'mailto:' AND identifier < 'mailto;')"
    " OR (identifier >= 'tel:+' AND identifier < 'tel:,')";

// The three parallel arrays (pepper ids, hashes, identifiers) of one statement.
struct HashRows {
  std::string ids = "{";
  std::vector<std::string> hashes;
  std::vector<std::string> identifiers;
  bool empty() const { return hashes.empty(); }
};

HashRows hash_rows(const std::vector<HashedPepper>& peppers, std::span<const std::string> identifiers) {
  HashRows rows;
  for (const std::string& identifier : identifiers) {
    for (const HashedPepper& p : peppers) {
      for (std::string& hash : matrix_hashes(identifier, p.value)) {
        if (rows.ids.size() > 1) rows.ids.push_back(',');
        rows.ids += std::to_string(p.id);
        rows.hashes.push_back(std::move(hash));
        rows.identifiers.push_back(identifier);
      }
    }
  }
  rows.ids.push_back('}');
  return rows;
}

// Runs `sql` (kInsertHashes or kDeleteUnmappedHashes) over `identifiers`, kHashChunk at a time.
Status for_hash_chunks(PgConnection& c, const char* sql, const std::vector<HashedPepper>& peppers,
                       std::span<const std::string> identifiers, std::string_view what) {
  if (peppers.empty()) return Status::Ok();
  for (std::size_t at = 0; at < identifiers.size(); at += kHashChunk) {
    HashRows rows = hash_rows(peppers, identifiers.subspan(at, std::min(kHashChunk, identifiers.size() - at)));
    if (rows.empty()) continue;
    auto r = c.run(sql, {rows.ids, text_array(rows.hashes), text_array(rows.identifiers)}, what);
    if (!r) return r.status();
  }
  return Status::Ok();
}

// COPYs the rows (pepper_id, hash, identifier) of `sorted` (hashes of `identifiers` under the
// pepper `pepper_id`) into matrix_hashes, in hash order.
Status copy_hash_rows(PgConnection& c, std::int64_t pepper_id,
                      const std::vector<HashedAddress>& sorted, std::span<const std::string> identifiers) {
  const std::string id = std::to_string(pepper_id);
  std::string rows;
  for (const HashedAddress& h : sorted) {
    rows += id;
    rows.push_back('\t');
    rows += h.view();
    rows.push_back('\t');
    append_copy_field(rows, identifiers[h.identifier]);
    rows.push_back('\n');
    if (rows.size() >= kCopyPieceBytes) {
      if (Status s = c.copy_in(kCopyHashes, rows, "storing address hashes"); !s.ok()) return s;
      rows.clear();
    }
  }
  if (rows.empty()) return Status::Ok();
  return c.copy_in(kCopyHashes, rows, "storing address hashes");
}

}  // namespace

void append_copy_field(std::string& out, std::string_view field) {
  for (char c : field) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out.push_back(c);
    }
  }
}

Result<std::vector<HashedPepper>> lock_hashed_peppers(PgConnection& c) {
  auto r = c.run("SELECT id, pepper FROM matrix_peppers WHERE hashed FOR SHARE", {}, "reading the peppers");
  if (!r) return r.status();
  std::vector<HashedPepper> out;
  for (int row = 0; row < r->rows(); ++row) out.push_back({r->integer(row, 0), std::string(r->text(row, 1))});
  return out;
}

Status add_matrix_hashes(PgConnection& c, const std::vector<HashedPepper>& peppers,
                         std::span<const std::string> identifiers) {
  // Pepper by pepper in hash order, so that the primary key's index (pepper_id, hash) is appended
  // to rather than split at random: an import of 1,000,000 identifiers spent a third of its time
  // on these inserts in the identifiers' order.
  for (const HashedPepper& p : peppers) {
    const std::string id = std::to_string(p.id);
    const std::vector<HashedAddress> sorted = sorted_hashes(identifiers, p.value);
    for (std::size_t at = 0; at < sorted.size(); at += kHashChunk) {
      HashRows rows;
      for (std::size_t i = at; i < std::min(sorted.size(), at + kHashChunk); ++i) {
        if (rows.ids.size() > 1) rows.ids.push_back(',');
        rows.ids += id;
        rows.hashes.emplace_back(sorted[i].view());
        rows.identifiers.push_back(identifiers[sorted[i].identifier]);
      }
      rows.ids.push_back('}');
      auto r = c.run(kInsertHashes, {rows.ids, text_array(rows.hashes), text_array(rows.identifiers)},
                     "storing address hashes");
      if (!r) return r.status();
    }
  }
  return Status::Ok();
}

Status copy_matrix_hashes(PgConnection& c, const std::vector<HashedPepper>& peppers,
                          std::span<const std::string> identifiers) {
  if (peppers.empty() || identifiers.empty()) return Status::Ok();
  // COPY, as a rotation writes: a third of the server time of add_matrix_hashes's INSERT ... ON
  // CONFLICT for 1,000,000 new identifiers (docs/PERFORMANCE.md). A row that exists makes COPY fail
  // (a concurrent write of the same identifier committed it, waited for as INSERT would): then
  // the savepoint undoes the COPY and add_matrix_hashes skips that row, as it always did.
  if (Status s = c.exec("SAVEPOINT copy_matrix_hashes", "storing address hashes"); !s.ok()) return s;
  Status copied = Status::Ok();
  for (const HashedPepper& p : peppers) {
    copied = copy_hash_rows(c, p.id, sorted_hashes(identifiers, p.value), identifiers);
    if (!copied.ok()) break;
  }
  if (copied.ok()) return c.exec("RELEASE SAVEPOINT copy_matrix_hashes", "storing address hashes");
  if (copied.code() != Code::already_exists) return copied;
  if (Status s = c.exec("ROLLBACK TO SAVEPOINT copy_matrix_hashes", "storing address hashes"); !s.ok())
    return s;
  return add_matrix_hashes(c, peppers, identifiers);
}

Status drop_matrix_hashes_if_unmapped(PgConnection& c, const std::vector<HashedPepper>& peppers,
                                      std::span<const std::string> identifiers) {
  return for_hash_chunks(c, kDeleteUnmappedHashes, peppers, identifiers, "removing address hashes");
}

Result<bool> PgStore::rotate_pepper(UnixTime now, UnixTime due) {
  auto pepper = new_pepper();
  if (!pepper) return pepper.status();
  auto lease = acquire();
  if (!lease) return lease.status();
  PgConnection& c = **lease;
  // The lease rolls back a transaction left open when this returns early.
  if (Status s = c.exec("BEGIN", "starting a pepper rotation"); !s.ok()) return s;
  if (Status s = c.exec("LOCK TABLE matrix_peppers IN EXCLUSIVE MODE", "locking the peppers"); !s.ok()) return s;
  auto current = c.run_once(
      "SELECT created_at FROM matrix_peppers WHERE retired_at IS NULL ORDER BY id DESC LIMIT 1", {},
      "reading the current pepper");
  if (!current) return current.status();
  if (current->rows() > 0 && current->integer(0, 0) > due) {
    if (Status s = c.exec("ROLLBACK", "ending a pepper rotation"); !s.ok()) return s;
    return false;  // another process rotated first
  }
  auto retired = c.run_once("UPDATE matrix_peppers SET retired_at = $1 WHERE retired_at IS NULL", {now},
                            "retiring the pepper");
  if (!retired) return retired.status();
  auto added = c.run_once("INSERT INTO matrix_peppers (pepper, created_at) VALUES ($1, $2) RETURNING id",
                          {*pepper, now}, "adding a pepper");
  if (!added) return added.status();
  if (Status s = c.exec(kRotationCursor, "reading the identifiers to hash"); !s.ok()) return s;
  const std::string fetch = "FETCH " + std::to_string(kRotationFetch) + " FROM pepper_identifiers";
  std::vector<std::string> identifiers;
  for (;;) {
    auto r = c.run_once(fetch, {}, "reading the identifiers to hash");
    if (!r) return r.status();
    for (int row = 0; row < r->rows(); ++row) identifiers.emplace_back(r->text(row, 0));
    if (r->rows() < kRotationFetch) break;
  }
  // In hash order, so that the primary key's index is appended to rather than split at random.
  if (Status s = copy_hash_rows(c, added->integer(0, 0), sorted_hashes(identifiers, *pepper),
                                identifiers);
      !s.ok())
    return s;
  if (Status s = c.exec("COMMIT", "committing a pepper rotation"); !s.ok()) return s;
  return true;
}

Result<std::vector<Pepper>> PgStore::peppers() {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto r = (*lease)->run(
      "SELECT pepper, created_at, retired_at FROM matrix_peppers WHERE hashed ORDER BY id DESC", {},
      "reading the peppers");
  if (!r) return r.status();
  std::vector<Pepper> out;
  for (int row = 0; row < r->rows(); ++row)
    out.push_back({std::string(r->text(row, 0)), r->integer(row, 1), r->optional_integer(row, 2)});
  return out;
}

Result<int> PgStore::drop_pepper_hashes(UnixTime retired_by) {
  auto lease = acquire();
  if (!lease) return lease.status();
  return in_transaction<int>(**lease, "dropping a retired pepper's hashes", [&](PgConnection& c) -> Result<int> {
    auto marked = c.run_once(
        "UPDATE matrix_peppers SET hashed = false WHERE hashed AND retired_at IS NOT NULL AND"
        " retired_at <= $1 RETURNING id",
        {retired_by}, "dropping a retired pepper's hashes");
    if (!marked) return marked.status();
    for (int row = 0; row < marked->rows(); ++row) {
      auto del = c.run_once("DELETE FROM matrix_hashes WHERE pepper_id = $1", {marked->text(row, 0)},
                            "dropping a retired pepper's hashes");
      if (!del) return del.status();
    }
    return marked->rows();
  });
}

Result<std::vector<std::string>> PgStore::identifiers_by_hash(const std::string& pepper,
                                                              std::span<const std::string> hashes) {
  std::vector<std::string> out(hashes.size());
  if (hashes.empty()) return out;
  auto lease = acquire();
  if (!lease) return lease.status();
  auto r = (*lease)->run(kByHash, {pepper, text_array(hashes)}, "reading the address hashes");
  if (!r) return r.status();
  std::unordered_map<std::string_view, std::string_view> found;
  for (int row = 0; row < r->rows(); ++row) found.emplace(r->text(row, 0), r->text(row, 1));
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    auto at = found.find(hashes[i]);
    if (at != found.end()) out[i].assign(at->second);
  }
  return out;
}

}  // namespace resolver
