// SqliteStore: lookup peppers and the hashes of Matrix addresses (DESIGN.md §11). Every write runs
// inside SQLite's one write transaction (BEGIN IMMEDIATE), so a rotation and a mapping write never
// interleave; readers (lookups) are never blocked (WAL).
#include "resolver/sqlite_store.hpp"
#include "resolver/sqlite_store_internal.hpp"

#include <nlohmann/json.hpp>

namespace resolver {
namespace {

constexpr const char* kHashedPeppers = "SELECT id, pepper FROM matrix_peppers WHERE hashed = 1";
constexpr const char* kInsertHash =
    "INSERT OR IGNORE INTO matrix_hashes (pepper_id, hash, identifier) VALUES (?1, ?2, ?3)";
constexpr const char* kDeleteHash = "DELETE FROM matrix_hashes WHERE pepper_id = ?1 AND hash = ?2";
constexpr const char* kHasMapping = "SELECT 1 FROM mappings WHERE identifier = ?1 LIMIT 1";
// Both ranges are searches of the primary key: "mailto;" and "tel:," are the keys just past
// every "mailto:..." and "tel:+..." identifier.
constexpr const char* kAddressedIdentifiers =
    "SELECT DISTINCT identifier FROM mappings WHERE (identifier >= 'mailto:' AND identifier < 'mailto;')"
    " OR (identifier >= 'tel:+' AND identifier < 'tel:,')";
constexpr const char* kCurrentPepper =
    "SELECT created_at FROM matrix_peppers WHERE retired_at IS NULL ORDER BY id DESC LIMIT 1";
// CROSS JOIN keeps the batch as the outer loop: each hash is one search of the primary key (the
// planner would otherwise scan every hash of the pepper and probe the batch).
constexpr const char* kByHash =
    "SELECT q.key, h.identifier FROM json_each(?1) AS q CROSS JOIN matrix_hashes AS h"
    " ON h.pepper_id = (SELECT id FROM matrix_peppers WHERE pepper = ?2 AND hashed = 1)"
    " AND h.hash = q.value";

// Runs `write` in a write transaction of its own (no revision: peppers are not mappings).
template <typename T>
Result<T> in_pepper_transaction(SqliteConnection& c, const std::function<Result<T>(SqliteConnection&)>& write) {
  if (Status s = c.exec("BEGIN IMMEDIATE", "starting a pepper change"); !s.ok()) return s;
  auto r = write(c);
  if (!r) {
    rollback_write(c);
    return r.status();
  }
  if (Status s = commit_write(c); !s.ok()) return s;
  return r;
}

}  // namespace

Result<std::vector<HashedPepper>> hashed_peppers(SqliteConnection& c) {
  auto st = c.prepare(kHashedPeppers);
  if (!st) return st.status();
  std::vector<HashedPepper> out;
  for (;;) {
    auto row = st->step("reading the peppers");
    if (!row) return row.status();
    if (!*row) return out;
    out.push_back({st->integer(0), std::string(st->text(1))});
  }
}

Status add_matrix_hashes(SqliteConnection& c, const std::vector<HashedPepper>& peppers,
                         const std::string& identifier) {
  if (peppers.empty() || !has_matrix_addresses(identifier)) return Status::Ok();
  for (const HashedPepper& p : peppers)
    if (Status s = add_matrix_hashes_in_order(c, p, {&identifier, 1}); !s.ok()) return s;
  return Status::Ok();
}

Status add_matrix_hashes_in_order(SqliteConnection& c, const HashedPepper& pepper,
                                  std::span<const std::string> identifiers) {
  if (identifiers.empty()) return Status::Ok();
  auto insert = c.prepare(kInsertHash);
  if (!insert) return insert.status();
  for (const HashedAddress& h : sorted_hashes(identifiers, pepper.value)) {
    auto r = insert->bind(1, pepper.id).bind(2, h.view()).bind(3, identifiers[h.identifier]).run("storing an address hash");
    if (!r) return r.status();
  }
  return Status::Ok();
}

Status drop_matrix_hashes_if_unmapped(SqliteConnection& c, const std::vector<HashedPepper>& peppers,
                                      const std::string& identifier) {
  if (peppers.empty() || !has_matrix_addresses(identifier)) return Status::Ok();
  {
    auto has = c.prepare(kHasMapping);
    if (!has) return has.status();
    auto row = has->bind(1, identifier).step("reading the index");
    if (!row) return row.status();
    if (*row) return Status::Ok();
  }
  auto del = c.prepare(kDeleteHash);
  if (!del) return del.status();
  for (const HashedPepper& p : peppers) {
    for (const std::string& hash : matrix_hashes(identifier, p.value)) {
      if (auto r = del->bind(1, p.id).bind(2, hash).run("removing an address hash"); !r) return r.status();
    }
  }
  return Status::Ok();
}

Result<bool> SqliteStore::rotate_pepper(UnixTime now, UnixTime due) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto pepper = new_pepper();
  if (!pepper) return pepper.status();
  ImportCache cache(**lease);  // the new pepper's hashes are a bulk insert
  return in_pepper_transaction<bool>(**lease, [&](SqliteConnection& c) -> Result<bool> {
    {
      auto current = c.prepare(kCurrentPepper);
      if (!current) return current.status();
      auto row = current->step("reading the current pepper");
      if (!row) return row.status();
      if (*row && current->integer(0) > due) return false;  // another process rotated first
    }
    auto retire = c.prepare("UPDATE matrix_peppers SET retired_at = ?1 WHERE retired_at IS NULL");
    if (!retire) return retire.status();
    if (auto r = retire->bind(1, now).run("retiring the pepper"); !r) return r.status();
    auto add = c.prepare("INSERT INTO matrix_peppers (pepper, created_at) VALUES (?1, ?2) RETURNING id");
    if (!add) return add.status();
    auto added = add->bind(1, *pepper).bind(2, now).step("adding a pepper");
    if (!added) return added.status();
    if (!*added) return Status(Code::internal, "adding a pepper returned no id");
    const std::int64_t id = add->integer(0);
    if (auto done = add->step("adding a pepper"); !done) return done.status();
    std::vector<std::string> identifiers;
    {
      auto scan = c.prepare(kAddressedIdentifiers);
      if (!scan) return scan.status();
      for (;;) {
        auto row = scan->step("reading the identifiers to hash");
        if (!row) return row.status();
        if (!*row) break;
        identifiers.emplace_back(scan->text(0));
      }
    }
    if (Status s = add_matrix_hashes_in_order(c, {id, *pepper}, identifiers); !s.ok()) return s;
    return true;
  });
}

Result<std::vector<Pepper>> SqliteStore::peppers() {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto st = (*lease)->prepare(
      "SELECT pepper, created_at, retired_at FROM matrix_peppers WHERE hashed = 1 ORDER BY id DESC");
  if (!st) return st.status();
  std::vector<Pepper> out;
  for (;;) {
    auto row = st->step("reading the peppers");
    if (!row) return row.status();
    if (!*row) return out;
    out.push_back({std::string(st->text(0)), st->integer(1), st->optional_integer(2)});
  }
}

Result<int> SqliteStore::drop_pepper_hashes(UnixTime retired_by) {
  auto lease = acquire();
  if (!lease) return lease.status();
  return in_pepper_transaction<int>(**lease, [&](SqliteConnection& c) -> Result<int> {
    auto del = c.prepare(
        "DELETE FROM matrix_hashes WHERE pepper_id IN (SELECT id FROM matrix_peppers WHERE hashed = 1"
        " AND retired_at IS NOT NULL AND retired_at <= ?1)");
    if (!del) return del.status();
    if (auto r = del->bind(1, retired_by).run("dropping a retired pepper's hashes"); !r) return r.status();
    auto mark = c.prepare(
        "UPDATE matrix_peppers SET hashed = 0 WHERE hashed = 1 AND retired_at IS NOT NULL AND retired_at <= ?1");
    if (!mark) return mark.status();
    return mark->bind(1, retired_by).run("dropping a retired pepper's hashes");
  });
}

Result<std::vector<std::string>> SqliteStore::identifiers_by_hash(const std::string& pepper,
                                                                  std::span<const std::string> hashes) {
  std::vector<std::string> out(hashes.size());
  if (hashes.empty()) return out;
  auto lease = acquire();
  if (!lease) return lease.status();
  auto st = (*lease)->prepare(kByHash);
  if (!st) return st.status();
  nlohmann::json batch = nlohmann::json::array();
  for (const auto& h : hashes) batch.push_back(h);
  st->bind(1, batch.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)).bind(2, pepper);
  for (;;) {
    auto row = st->step("reading the address hashes");
    if (!row) return row.status();
    if (!*row) return out;
    out.at(static_cast<std::size_t>(st->integer(0))).assign(st->text(1));
  }
}

}  // namespace resolver
