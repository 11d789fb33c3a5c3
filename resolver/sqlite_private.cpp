// SqliteStore: the private index of DESIGN.md §12 (epochs, sealed entries, changes, the lease).
#include "resolver/sqlite_store.hpp"
#include "resolver/sqlite_store_internal.hpp"

namespace resolver {
namespace {

constexpr const char* kEpochColumns =
    "SELECT key_id, secret, public_key, bucket_bits, created_at, activated_at, retired_at"
    " FROM private_epochs"
    " ORDER BY activated_at IS NULL, retired_at IS NOT NULL, activated_at DESC, created_at DESC";

Status epoch_exists(SqliteConnection& c, const std::string& key_id) {
  auto st = c.prepare("SELECT 1 FROM private_epochs WHERE key_id = ?1");
  if (!st) return st.status();
  auto row = st->bind(1, key_id).step("reading a private epoch");
  if (!row) return row.status();
  if (!*row) return Status(Code::not_found, "there is no private epoch with key_id " + key_id);
  return Status::Ok();
}

}  // namespace

Status SqliteStore::add_private_epoch(const PrivateEpoch& e) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto st = (*lease)->prepare(
      "INSERT INTO private_epochs (key_id, secret, public_key, bucket_bits, created_at,"
      " activated_at, retired_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  if (!st) return st.status();
  st->bind(1, e.key_id).bind_blob(2, e.secret).bind_blob(3, e.public_key);
  st->bind(4, std::int64_t{e.bucket_bits}).bind(5, e.created_at).bind(6, e.activated_at);
  st->bind(7, e.retired_at);
  auto r = st->run("adding a private epoch");
  if (!r && r.status().code() == Code::already_exists)
    return Status(Code::already_exists, "a private epoch with key_id " + e.key_id + " exists");
  return r.status();
}

Result<std::vector<PrivateEpoch>> SqliteStore::private_epochs() {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto st = (*lease)->prepare(kEpochColumns);
  if (!st) return st.status();
  std::vector<PrivateEpoch> out;
  for (;;) {
    auto row = st->step("reading private epochs");
    if (!row) return row.status();
    if (!*row) break;
    PrivateEpoch e;
    e.key_id = st->text(0);
    e.secret = st->text(1);
    e.public_key = st->text(2);
    e.bucket_bits = static_cast<int>(st->integer(3));
    e.created_at = st->integer(4);
    e.activated_at = st->optional_integer(5);
    e.retired_at = st->optional_integer(6);
    out.push_back(std::move(e));
  }
  return out;
}

Status SqliteStore::activate_private_epoch(const std::string& key_id, UnixTime now) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto& c = **lease;
  if (Status s = c.exec("BEGIN IMMEDIATE", "activating a private epoch"); !s.ok()) return s;
  auto fail = [&](Status s) {
    rollback_write(c);
    return s;
  };
  if (Status s = epoch_exists(c, key_id); !s.ok()) return fail(s);
  auto retire = c.prepare(
      "UPDATE private_epochs SET retired_at = ?2"
      " WHERE activated_at IS NOT NULL AND retired_at IS NULL AND key_id <> ?1");
  if (!retire) return fail(retire.status());
  if (auto r = retire->bind(1, key_id).bind(2, now).run("retiring a private epoch"); !r)
    return fail(r.status());
  auto activate = c.prepare(
      "UPDATE private_epochs SET activated_at = ?2, retired_at = NULL WHERE key_id = ?1");
  if (!activate) return fail(activate.status());
  if (auto r = activate->bind(1, key_id).bind(2, now).run("activating a private epoch"); !r)
    return fail(r.status());
  return commit_write(c);
}

Status SqliteStore::drop_private_epoch(const std::string& key_id) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto& c = **lease;
  if (Status s = c.exec("BEGIN IMMEDIATE", "dropping a private epoch"); !s.ok()) return s;
  for (const char* sql : {"DELETE FROM private_entries WHERE key_id = ?1",
                          "DELETE FROM private_epochs WHERE key_id = ?1"}) {
    auto st = c.prepare(sql);
    if (!st) {
      rollback_write(c);
      return st.status();
    }
    if (auto r = st->bind(1, key_id).run("dropping a private epoch"); !r) {
      rollback_write(c);
      return r.status();
    }
  }
  // With no epoch left, nothing follows the changes any more.
  if (Status s = c.exec("DELETE FROM private_changes WHERE NOT EXISTS (SELECT 1 FROM private_epochs)",
                        "dropping a private epoch");
      !s.ok()) {
    rollback_write(c);
    return s;
  }
  return commit_write(c);
}

Status SqliteStore::put_private_entries(const std::string& key_id,
                                        std::span<const PrivateEntry> entries, UnixTime built_at) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto& c = **lease;
  if (Status s = c.exec("BEGIN IMMEDIATE", "writing private entries"); !s.ok()) return s;
  if (Status s = epoch_exists(c, key_id); !s.ok()) {
    rollback_write(c);
    return s;
  }
  for (const PrivateEntry& e : entries) {
    auto st = c.prepare(
        "INSERT INTO private_entries (key_id, tag, bucket, record, expires_at, built_at)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (key_id, tag) DO UPDATE SET"
        " bucket = excluded.bucket, record = excluded.record, expires_at = excluded.expires_at,"
        " built_at = excluded.built_at");
    if (!st) {
      rollback_write(c);
      return st.status();
    }
    st->bind(1, key_id).bind_blob(2, e.tag).bind(3, e.bucket).bind_blob(4, e.record);
    st->bind(5, e.expires_at).bind(6, built_at);
    if (auto r = st->run("writing a private entry"); !r) {
      rollback_write(c);
      return r.status();
    }
  }
  return commit_write(c);
}

Status SqliteStore::remove_private_entries(const std::string& key_id,
                                           std::span<const std::string> tags) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto& c = **lease;
  if (Status s = c.exec("BEGIN IMMEDIATE", "removing private entries"); !s.ok()) return s;
  for (const std::string& tag : tags) {
    auto st = c.prepare("DELETE FROM private_entries WHERE key_id = ?1 AND tag = ?2");
    if (!st) {
      rollback_write(c);
      return st.status();
    }
    if (auto r = st->bind(1, key_id).bind_blob(2, tag).run("removing a private entry"); !r) {
      rollback_write(c);
      return r.status();
    }
  }
  return commit_write(c);
}

Result<std::int64_t> SqliteStore::remove_private_entries_before(const std::string& key_id,
                                                                UnixTime built_at) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto st = (*lease)->prepare("DELETE FROM private_entries WHERE key_id = ?1 AND built_at < ?2");
  if (!st) return st.status();
  auto r = st->bind(1, key_id).bind(2, built_at).run("removing stale private entries");
  if (!r) return r.status();
  return std::int64_t{*r};
}

Result<std::vector<PrivateEntry>> SqliteStore::private_bucket(const std::string& key_id,
                                                              std::int64_t bucket) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto st = (*lease)->prepare(
      "SELECT tag, record, expires_at FROM private_entries WHERE key_id = ?1 AND bucket = ?2"
      " ORDER BY tag");
  if (!st) return st.status();
  st->bind(1, key_id).bind(2, bucket);
  std::vector<PrivateEntry> out;
  for (;;) {
    auto row = st->step("reading a private bucket");
    if (!row) return row.status();
    if (!*row) break;
    PrivateEntry e;
    e.bucket = bucket;
    e.tag = st->text(0);
    e.record = st->text(1);
    e.expires_at = st->integer(2);
    out.push_back(std::move(e));
  }
  return out;
}

Result<PrivateEpochStats> SqliteStore::private_epoch_stats(const std::string& key_id) {
  auto lease = acquire_for_scan();
  if (!lease) return lease.status();
  auto st = (*lease)->prepare(
      "SELECT count(*), min(CASE WHEN expires_at > 0 THEN expires_at END), min(built_at) FROM private_entries"
      " WHERE key_id = ?1");
  if (!st) return st.status();
  auto row = st->bind(1, key_id).step("counting private entries");
  if (!row) return row.status();
  PrivateEpochStats s;
  s.entries = st->integer(0);
  s.earliest_expiry = st->optional_integer(1);
  s.oldest_build = st->optional_integer(2);
  return s;
}

Result<std::vector<PrivateChange>> SqliteStore::private_changes(std::size_t limit) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto st = (*lease)->prepare("SELECT identifier, serial FROM private_changes LIMIT ?1");
  if (!st) return st.status();
  st->bind(1, static_cast<std::int64_t>(limit));
  std::vector<PrivateChange> out;
  for (;;) {
    auto row = st->step("reading private changes");
    if (!row) return row.status();
    if (!*row) break;
    out.push_back(PrivateChange{std::string(st->text(0)), st->integer(1)});
  }
  return out;
}

Status SqliteStore::clear_private_changes(std::span<const PrivateChange> changes) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto& c = **lease;
  if (Status s = c.exec("BEGIN IMMEDIATE", "clearing private changes"); !s.ok()) return s;
  for (const PrivateChange& change : changes) {
    auto st = c.prepare("DELETE FROM private_changes WHERE identifier = ?1 AND serial = ?2");
    if (!st) {
      rollback_write(c);
      return st.status();
    }
    if (auto r = st->bind(1, change.identifier).bind(2, change.serial).run("clearing a change"); !r) {
      rollback_write(c);
      return r.status();
    }
  }
  return commit_write(c);
}

Result<bool> SqliteStore::claim_private_lease(const std::string& holder, UnixTime now,
                                              std::int64_t ttl_s) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto st = (*lease)->prepare(
      "INSERT INTO private_lease (name, holder, expires_at) VALUES ('refresh', ?1, ?2)"
      " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at"
      " WHERE private_lease.holder = excluded.holder OR private_lease.expires_at <= ?3");
  if (!st) return st.status();
  auto r = st->bind(1, holder).bind(2, now + ttl_s).bind(3, now).run("claiming the refresh lease");
  if (!r) return r.status();
  return *r > 0;
}

}  // namespace resolver
