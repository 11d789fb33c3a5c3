// PgStore: lookups, admin writes and export of mappings and opt-outs.
#include <algorithm>
#include <functional>
#include <tuple>
#include <unordered_map>

#include "resolver/mapping_json.hpp"
#include "resolver/pg_store.hpp"
#include "resolver/pg_store_internal.hpp"

namespace resolver {
namespace {

// One statement answers a whole batch (DESIGN.md §6.1): each array probes the primary key once
// per identifier. An opted-out identifier yields a row from optouts, and lookup() drops the
// mappings written after its opt-out (rare), which is cheaper than an anti-join on every row.
constexpr const char* kLookup =
    "SELECT m.identifier, false, m.provider, m.\"user\", m.tags, m.keys, m.updated_at,"
    " m.expires_at, m.revision FROM mappings AS m"
    " WHERE m.identifier = ANY($1::text[]) AND (m.expires_at IS NULL OR m.expires_at > $2)"
    " UNION ALL SELECT o.identifier, true, NULL, NULL, NULL, NULL, NULL, NULL, NULL"
    " FROM optouts AS o WHERE o.identifier = ANY($1::text[])";
constexpr const char* kUpsertMapping =
    "INSERT INTO mappings (identifier, provider, \"user\", tags, keys, updated_at, expires_at,"
    " revision) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (identifier, provider, \"user\")"
    " DO UPDATE SET tags = EXCLUDED.tags, keys = EXCLUDED.keys, updated_at = EXCLUDED.updated_at,"
    " expires_at = EXCLUDED.expires_at, revision = EXCLUDED.revision";
constexpr const char* kInsertOptout =
    "INSERT INTO optouts (identifier, created_at) VALUES ($1, $2) ON CONFLICT (identifier) DO NOTHING";
constexpr const char* kDeleteMappings = "DELETE FROM mappings WHERE identifier = $1";
constexpr const char* kDeleteProviderMappings =
    "DELETE FROM mappings WHERE identifier = $1 AND provider = $2";
constexpr const char* kMappingColumns =
    "identifier, provider, \"user\", tags, keys, updated_at, expires_at, revision";
// Rows per FETCH of the export cursor: few round trips, bounded memory.
constexpr int kExportBatch = 5000;

// Reads provider, user, tags, keys, updated_at, expires_at, revision from columns first.. of a row.
void read_mapping_columns(const PgResult& r, int row, int first, Mapping& m) {
  m.provider = r.text(row, first);
  m.user = r.text(row, first + 1);
  m.tags = tags_from_json(r.text(row, first + 2));
  m.keys = keys_from_json(r.text(row, first + 3));
  m.updated_at = r.integer(row, first + 4);
  m.expires_at = r.optional_integer(row, first + 5);
  m.revision = r.integer(row, first + 6);
}

// FETCHes the open `cursor` a batch at a time until it is exhausted, calling `each` for every
// row; stops at the first non-ok status, its own or `each`'s.
Status fetch_all(PgConnection& c, const std::string& cursor, std::string_view what,
                 const std::function<Status(const PgResult&, int)>& each) {
  const std::string fetch = "FETCH " + std::to_string(kExportBatch) + " FROM " + cursor;
  for (;;) {
    auto r = c.run_once(fetch, {}, what);
    if (!r) return r.status();
    for (int row = 0; row < r->rows(); ++row)
      if (Status s = each(*r, row); !s.ok()) return s;
    if (r->rows() < kExportBatch) return Status::Ok();
  }
}

}  // namespace

// A PostgreSQL text[] literal: every element quoted, with '"' and '\' escaped.
std::string text_array(std::span<const std::string> items) {
  std::string out = "{";
  for (const std::string& item : items) {
    if (out.size() > 1) out.push_back(',');
    out.push_back('"');
    for (char c : item) {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

Result<std::vector<LocalAnswer>> PgStore::lookup(std::span<const std::string> identifiers,
                                                 UnixTime now) {
  std::vector<LocalAnswer> answers(identifiers.size());
  if (identifiers.empty()) return answers;
  // Rows come by identifier; each goes to the first position that asked for it, and repeated
  // identifiers copy that answer at the end.
  std::unordered_map<std::string_view, std::size_t> first;
  first.reserve(identifiers.size());
  for (std::size_t i = 0; i < identifiers.size(); ++i) first.emplace(identifiers[i], i);
  auto lease = acquire();
  if (!lease) return lease.status();
  auto r = (*lease)->run(kLookup, {text_array(identifiers), now}, "reading the index");
  if (!r) return r.status();
  for (int row = 0; row < r->rows(); ++row) {
    auto at = first.find(r->text(row, 0));
    if (at == first.end()) continue;
    LocalAnswer& a = answers[at->second];
    if (r->boolean(row, 1)) {
      a.opted_out = true;
      a.mappings.clear();
      continue;
    }
    if (a.opted_out) continue;
    Mapping m;
    m.identifier = identifiers[at->second];
    read_mapping_columns(*r, row, 2, m);
    a.mappings.push_back(std::move(m));
  }
  for (std::size_t i = 0; i < identifiers.size(); ++i) {
    LocalAnswer& a = answers[i];
    const std::size_t f = first.at(identifiers[i]);
    if (f != i) a = answers[f];
    else if (a.mappings.size() > 1)  // ordered by provider, user (Store::lookup)
      std::sort(a.mappings.begin(), a.mappings.end(), [](const Mapping& x, const Mapping& y) {
        return std::tie(x.provider, x.user) < std::tie(y.provider, y.user);
      });
  }
  return answers;
}

Result<int> PgStore::upsert_mappings(const std::vector<Mapping>& mappings) {
  if (mappings.empty()) return 0;
  auto lease = acquire();
  if (!lease) return lease.status();
  return in_transaction<int>(**lease, "writing mappings", [&](PgConnection& c) -> Result<int> {
    auto peppers = lock_hashed_peppers(c);
    if (!peppers) return peppers.status();
    auto revision = next_revision(c);
    if (!revision) return revision.status();
    for (const Mapping& m : mappings) {
      auto r = c.run(kUpsertMapping,
                     {m.identifier, m.provider, m.user, tags_json(m.tags), keys_json(m.keys),
                      m.updated_at, m.expires_at, *revision},
                     "writing a mapping");
      if (!r) return r.status();
    }
    std::vector<std::string> identifiers;
    for (const Mapping& m : mappings)
      if (has_matrix_addresses(m.identifier)) identifiers.push_back(m.identifier);
    if (Status s = add_matrix_hashes(c, *peppers, identifiers); !s.ok()) return s;
    return static_cast<int>(mappings.size());
  });
}

Result<int> PgStore::remove_mappings(const std::string& identifier,
                                     const std::optional<std::string>& provider) {
  auto lease = acquire();
  if (!lease) return lease.status();
  return in_transaction<int>(**lease, "removing mappings", [&](PgConnection& c) -> Result<int> {
    auto peppers = lock_hashed_peppers(c);
    if (!peppers) return peppers.status();
    auto r = provider ? c.run(kDeleteProviderMappings, {identifier, *provider}, "removing mappings")
                      : c.run(kDeleteMappings, {identifier}, "removing mappings");
    if (!r) return r.status();
    if (r->affected() > 0) {
      if (Status s = drop_matrix_hashes_if_unmapped(c, *peppers, {&identifier, 1}); !s.ok()) return s;
    }
    return r->affected();
  });
}

Result<int> PgStore::add_optout(const std::string& identifier, UnixTime now) {
  auto lease = acquire();
  if (!lease) return lease.status();
  return in_transaction<int>(**lease, "recording an opt-out", [&](PgConnection& c) -> Result<int> {
    auto peppers = lock_hashed_peppers(c);
    if (!peppers) return peppers.status();
    auto put = c.run(kInsertOptout, {identifier, now}, "recording an opt-out");
    if (!put) return put.status();
    auto removed = c.run(kDeleteMappings, {identifier}, "removing mappings");
    if (!removed) return removed.status();
    if (Status s = drop_matrix_hashes_if_unmapped(c, *peppers, {&identifier, 1}); !s.ok()) return s;
    return removed->affected();
  });
}

Result<bool> PgStore::remove_optout(const std::string& identifier) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto r = (*lease)->run("DELETE FROM optouts WHERE identifier = $1", {identifier}, "lifting an opt-out");
  if (!r) return r.status();
  return r->affected() > 0;
}

Status PgStore::export_all(const std::function<Status(const ExportRecord&)>& sink) {
  auto lease = acquire();
  if (!lease) return lease.status();
  PgConnection& c = **lease;
  // One snapshot for both tables while imports go on; cursors keep memory to one batch. The
  // lease rolls the transaction back when this returns.
  if (Status s = c.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "starting the export"); !s.ok())
    return s;
  const std::string declare = std::string("DECLARE export_mappings NO SCROLL CURSOR FOR SELECT ") +
                              kMappingColumns + " FROM mappings ORDER BY identifier, provider, \"user\";"
                              " DECLARE export_optouts NO SCROLL CURSOR FOR"
                              " SELECT identifier FROM optouts ORDER BY identifier";
  if (Status s = c.exec(declare, "starting the export"); !s.ok()) return s;
  ExportRecord rec;
  Status s = fetch_all(c, "export_mappings", "exporting mappings", [&](const PgResult& r, int row) {
    rec.mapping.identifier = r.text(row, 0);
    read_mapping_columns(r, row, 1, rec.mapping);
    return sink(rec);
  });
  if (!s.ok()) return s;
  rec = ExportRecord{};
  rec.optout = true;
  s = fetch_all(c, "export_optouts", "exporting opt-outs", [&](const PgResult& r, int row) {
    rec.mapping.identifier = r.text(row, 0);
    return sink(rec);
  });
  if (!s.ok()) return s;
  return c.exec("COMMIT", "ending the export");
}

}  // namespace resolver
