// PgStore: the private index of DESIGN.md §12 (epochs, sealed entries, changes, the lease).
// Entries are written a batch per statement (unnest of arrays), not a round trip per row.
#include "resolver/pg_store.hpp"
#include "resolver/pg_store_internal.hpp"

#include "resolver/hex.hpp"

namespace resolver {
namespace {

std::string integer_array(const std::vector<std::int64_t>& items) {
  std::string out = "{";
  for (std::int64_t v : items) {
    if (out.size() > 1) out.push_back(',');
    out += std::to_string(v);
  }
  out.push_back('}');
  return out;
}

Status epoch_exists(PgConnection& c, const std::string& key_id) {
  auto r = c.run("SELECT 1 FROM private_epochs WHERE key_id = $1", {key_id}, "reading a private epoch");
  if (!r) return r.status();
  if (r->rows() == 0) return Status(Code::not_found, "there is no private epoch with key_id " + key_id);
  return Status::Ok();
}

}  // namespace

Status PgStore::add_private_epoch(const PrivateEpoch& e) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto r = (*lease)->run(
      "INSERT INTO private_epochs (key_id, secret, public_key, bucket_bits, created_at,"
      " activated_at, retired_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
      {e.key_id, PgParam::bytes(e.secret), PgParam::bytes(e.public_key),
       std::int64_t{e.bucket_bits}, e.created_at, e.activated_at, e.retired_at},
      "adding a private epoch");
  if (!r && r.status().code() == Code::already_exists)
    return Status(Code::already_exists, "a private epoch with key_id " + e.key_id + " exists");
  return r.status();
}

Result<std::vector<PrivateEpoch>> PgStore::private_epochs() {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto r = (*lease)->run(
      "SELECT key_id, secret, public_key, bucket_bits, created_at, activated_at, retired_at"
      " FROM private_epochs ORDER BY activated_at IS NULL, retired_at IS NOT NULL,"
      " activated_at DESC, created_at DESC",
      {}, "reading private epochs");
  if (!r) return r.status();
  std::vector<PrivateEpoch> out;
  for (int row = 0; row < r->rows(); ++row) {
    PrivateEpoch e;
    e.key_id = r->text(row, 0);
    e.secret = r->bytes(row, 1);
    e.public_key = r->bytes(row, 2);
    e.bucket_bits = static_cast<int>(r->integer(row, 3));
    e.created_at = r->integer(row, 4);
    e.activated_at = r->optional_integer(row, 5);
    e.retired_at = r->optional_integer(row, 6);
    out.push_back(std::move(e));
  }
  return out;
}

Status PgStore::activate_private_epoch(const std::string& key_id, UnixTime now) {
  auto lease = acquire();
  if (!lease) return lease.status();
  return in_transaction<bool>(**lease, "activating a private epoch", [&](PgConnection& c) -> Result<bool> {
           if (Status s = epoch_exists(c, key_id); !s.ok()) return s;
           auto retire = c.run(
               "UPDATE private_epochs SET retired_at = $2"
               " WHERE activated_at IS NOT NULL AND retired_at IS NULL AND key_id <> $1",
               {key_id, now}, "retiring a private epoch");
           if (!retire) return retire.status();
           auto activate = c.run(
               "UPDATE private_epochs SET activated_at = $2, retired_at = NULL WHERE key_id = $1",
               {key_id, now}, "activating a private epoch");
           if (!activate) return activate.status();
           return true;
         })
      .status();
}

Status PgStore::drop_private_epoch(const std::string& key_id) {
  auto lease = acquire();
  if (!lease) return lease.status();
  return in_transaction<bool>(**lease, "dropping a private epoch", [&](PgConnection& c) -> Result<bool> {
           for (const char* sql : {"DELETE FROM private_entries WHERE key_id = $1",
                                   "DELETE FROM private_epochs WHERE key_id = $1"}) {
             auto r = c.run_once(sql, {key_id}, "dropping a private epoch");
             if (!r) return r.status();
           }
           auto r = c.run_once(
               "DELETE FROM private_changes WHERE NOT EXISTS (SELECT 1 FROM private_epochs)", {},
               "dropping a private epoch");
           if (!r) return r.status();
           return true;
         })
      .status();
}

Status PgStore::put_private_entries(const std::string& key_id, std::span<const PrivateEntry> entries,
                                    UnixTime built_at) {
  auto lease = acquire();
  if (!lease) return lease.status();
  std::vector<std::string> tags, records;
  std::vector<std::int64_t> buckets, expiries;
  for (const PrivateEntry& e : entries) {
    tags.push_back(hex_encode(e.tag));
    records.push_back(hex_encode(e.record));
    buckets.push_back(e.bucket);
    expiries.push_back(e.expires_at);
  }
  return in_transaction<bool>(**lease, "writing private entries", [&](PgConnection& c) -> Result<bool> {
           if (Status s = epoch_exists(c, key_id); !s.ok()) return s;
           if (entries.empty()) return true;
           auto r = c.run_once(
               "INSERT INTO private_entries (key_id, tag, bucket, record, expires_at, built_at)"
               " SELECT $1, decode(u.t, 'hex'), u.b, decode(u.r, 'hex'), u.e, $6"
               " FROM unnest($2::text[], $3::bigint[], $4::text[], $5::bigint[]) AS u(t, b, r, e)"
               " ON CONFLICT (key_id, tag) DO UPDATE SET bucket = excluded.bucket,"
               " record = excluded.record, expires_at = excluded.expires_at,"
               " built_at = excluded.built_at",
               {key_id, text_array(tags), integer_array(buckets), text_array(records),
                integer_array(expiries), built_at},
               "writing private entries");
           if (!r) return r.status();
           return true;
         })
      .status();
}

Status PgStore::remove_private_entries(const std::string& key_id, std::span<const std::string> tags) {
  auto lease = acquire();
  if (!lease) return lease.status();
  std::vector<std::string> hex_tags;
  for (const std::string& t : tags) hex_tags.push_back(hex_encode(t));
  auto r = (*lease)->run_once(
      "DELETE FROM private_entries WHERE key_id = $1"
      " AND tag IN (SELECT decode(t, 'hex') FROM unnest($2::text[]) AS u(t))",
      {key_id, text_array(hex_tags)}, "removing private entries");
  return r.status();
}

Result<std::int64_t> PgStore::remove_private_entries_before(const std::string& key_id,
                                                            UnixTime built_at) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto r = (*lease)->run_once("DELETE FROM private_entries WHERE key_id = $1 AND built_at < $2",
                              {key_id, built_at}, "removing stale private entries");
  if (!r) return r.status();
  return std::int64_t{r->affected()};
}

Result<std::vector<PrivateEntry>> PgStore::private_bucket(const std::string& key_id,
                                                          std::int64_t bucket) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto r = (*lease)->run(
      "SELECT tag, record, expires_at FROM private_entries WHERE key_id = $1 AND bucket = $2"
      " ORDER BY tag",
      {key_id, bucket}, "reading a private bucket");
  if (!r) return r.status();
  std::vector<PrivateEntry> out;
  for (int row = 0; row < r->rows(); ++row) {
    PrivateEntry e;
    e.bucket = bucket;
    e.tag = r->bytes(row, 0);
    e.record = r->bytes(row, 1);
    e.expires_at = r->integer(row, 2);
    out.push_back(std::move(e));
  }
  return out;
}

Result<PrivateEpochStats> PgStore::private_epoch_stats(const std::string& key_id) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto r = (*lease)->run_once(
      "SELECT count(*), min(CASE WHEN expires_at > 0 THEN expires_at END), min(built_at) FROM private_entries"
      " WHERE key_id = $1",
      {key_id}, "counting private entries");
  if (!r) return r.status();
  PrivateEpochStats s;
  s.entries = r->integer(0, 0);
  s.earliest_expiry = r->optional_integer(0, 1);
  s.oldest_build = r->optional_integer(0, 2);
  return s;
}

Result<std::vector<PrivateChange>> PgStore::private_changes(std::size_t limit) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto r = (*lease)->run("SELECT identifier, serial FROM private_changes LIMIT $1",
                         {static_cast<std::int64_t>(limit)}, "reading private changes");
  if (!r) return r.status();
  std::vector<PrivateChange> out;
  for (int row = 0; row < r->rows(); ++row) {
    out.push_back(PrivateChange{std::string(r->text(row, 0)), r->integer(row, 1)});
  }
  return out;
}

Status PgStore::clear_private_changes(std::span<const PrivateChange> changes) {
  auto lease = acquire();
  if (!lease) return lease.status();
  std::vector<std::string> identifiers;
  std::vector<std::int64_t> serials;
  for (const PrivateChange& c : changes) {
    identifiers.push_back(c.identifier);
    serials.push_back(c.serial);
  }
  auto r = (*lease)->run_once(
      "DELETE FROM private_changes AS p USING unnest($1::text[], $2::bigint[]) AS u(i, s)"
      " WHERE p.identifier = u.i AND p.serial = u.s",
      {text_array(identifiers), integer_array(serials)}, "clearing private changes");
  return r.status();
}

Result<bool> PgStore::claim_private_lease(const std::string& holder, UnixTime now,
                                          std::int64_t ttl_s) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto r = (*lease)->run(
      "INSERT INTO private_lease (name, holder, expires_at) VALUES ('refresh', $1, $2)"
      " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at"
      " WHERE private_lease.holder = excluded.holder OR private_lease.expires_at <= $3",
      {holder, now + ttl_s, now}, "claiming the refresh lease");
  if (!r) return r.status();
  return r->affected() > 0;
}

}  // namespace resolver
