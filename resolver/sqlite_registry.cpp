// SqliteStore: peers, API tokens and signing keys.
#include <openssl/crypto.h>

#include "resolver/sqlite_store.hpp"
#include "resolver/sqlite_store_internal.hpp"

namespace resolver {

Status SqliteStore::add_peer(const Peer& peer) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto st = (*lease)->prepare(
      "INSERT INTO peers (domain, url, public_key, token, enabled, created_at)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  if (!st) return st.status();
  st->bind(1, peer.domain).bind(2, peer.url).bind(3, peer.public_key).bind(4, peer.token);
  st->bind(5, std::int64_t{peer.enabled ? 1 : 0}).bind(6, peer.created_at);
  auto r = st->run("adding a peer");
  if (!r) {
    if (r.status().code() == Code::already_exists)
      return Status(Code::already_exists, "a peer with domain " + peer.domain +
                                              " already exists; change it with discoveryctl peer set");
    return r.status();
  }
  return Status::Ok();
}

Result<std::vector<Peer>> SqliteStore::list_peers() {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto st = (*lease)->prepare(
      "SELECT domain, url, public_key, token, enabled, created_at FROM peers ORDER BY domain");
  if (!st) return st.status();
  std::vector<Peer> out;
  for (;;) {
    auto row = st->step("listing peers");
    if (!row) return row.status();
    if (!*row) break;
    Peer p;
    p.domain = st->text(0);
    p.url = st->text(1);
    p.public_key = st->text(2);
    p.token = st->text(3);
    p.enabled = st->integer(4) != 0;
    p.created_at = st->integer(5);
    out.push_back(std::move(p));
  }
  return out;
}

Status SqliteStore::remove_peer(const std::string& domain) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto st = (*lease)->prepare("DELETE FROM peers WHERE domain = ?1");
  if (!st) return st.status();
  auto n = st->bind(1, domain).run("removing a peer");
  if (!n) return n.status();
  if (*n == 0) return Status(Code::not_found, "there is no peer with domain " + domain);
  return Status::Ok();
}

Status SqliteStore::update_peer(const Peer& peer) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto st = (*lease)->prepare(
      "UPDATE peers SET url = ?2, public_key = ?3, token = ?4, enabled = ?5 WHERE domain = ?1");
  if (!st) return st.status();
  st->bind(1, peer.domain).bind(2, peer.url).bind(3, peer.public_key).bind(4, peer.token);
  st->bind(5, std::int64_t{peer.enabled ? 1 : 0});
  auto n = st->run("changing a peer");
  if (!n) return n.status();
  if (*n == 0) return Status(Code::not_found, "there is no peer with domain " + peer.domain);
  return Status::Ok();
}

Status SqliteStore::add_token(const TokenInfo& info, const std::string& secret_hash) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto st = (*lease)->prepare(
      "INSERT INTO tokens (id, name, role, secret_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!st) return st.status();
  st->bind(1, info.id).bind(2, info.name).bind(3, role_name(info.role)).bind_blob(4, secret_hash);
  st->bind(5, info.created_at);
  auto r = st->run("storing a token");
  return r ? Status::Ok() : r.status();
}

namespace {

TokenInfo token_from_row(const Statement& st) {
  TokenInfo t;
  t.id = st.text(0);
  t.name = st.text(1);
  t.role = parse_role(st.text(2)).value_or(Role::client);
  t.created_at = st.integer(3);
  t.revoked_at = st.optional_integer(4);
  return t;
}

}  // namespace

Result<std::vector<TokenInfo>> SqliteStore::list_tokens() {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto st = (*lease)->prepare(
      "SELECT id, name, role, created_at, revoked_at FROM tokens ORDER BY created_at, id");
  if (!st) return st.status();
  std::vector<TokenInfo> out;
  for (;;) {
    auto row = st->step("listing tokens");
    if (!row) return row.status();
    if (!*row) break;
    out.push_back(token_from_row(*st));
  }
  return out;
}

Status SqliteStore::revoke_token(const std::string& id, UnixTime now) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto st = (*lease)->prepare(
      "UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1");
  if (!st) return st.status();
  auto n = st->bind(1, id).bind(2, now).run("revoking a token");
  if (!n) return n.status();
  if (*n == 0) return Status(Code::not_found, "there is no token with id " + id);
  return Status::Ok();
}

Result<TokenInfo> SqliteStore::find_token(const std::string& secret_hash) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto st = (*lease)->prepare(
      "SELECT id, name, role, created_at, revoked_at, secret_hash FROM tokens WHERE secret_hash = ?1");
  if (!st) return st.status();
  auto row = st->bind_blob(1, secret_hash).step("finding a token");
  if (!row) return row.status();
  // The index finds the row; the final comparison is constant-time all the same (DESIGN §8).
  if (!*row) return Status(Code::not_found, "no token matches");
  std::string_view stored = st->text(5);
  if (stored.size() != secret_hash.size() ||
      CRYPTO_memcmp(stored.data(), secret_hash.data(), stored.size()) != 0)
    return Status(Code::not_found, "no token matches");
  TokenInfo t = token_from_row(*st);
  if (t.revoked_at) return Status(Code::not_found, "no token matches");
  return t;
}

Status SqliteStore::add_signing_key(const SigningKey& key) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto& c = **lease;
  if (Status s = c.exec("BEGIN IMMEDIATE", "adding a signing key"); !s.ok()) return s;
  if (key.active) {
    if (Status s = c.exec("UPDATE signing_keys SET active = 0", "adding a signing key"); !s.ok()) {
      rollback_write(c);
      return s;
    }
  }
  auto st = c.prepare(
      "INSERT INTO signing_keys (kid, private_key, public_key, created_at, active)"
      " VALUES (?1, ?2, ?3, ?4, ?5)");
  if (!st) {
    rollback_write(c);
    return st.status();
  }
  st->bind(1, key.kid).bind_blob(2, key.private_key).bind_blob(3, key.public_key);
  st->bind(4, key.created_at).bind(5, std::int64_t{key.active ? 1 : 0});
  auto r = st->run("adding a signing key");
  if (!r) {
    rollback_write(c);
    return r.status();
  }
  return commit_write(c);
}

Result<std::vector<SigningKey>> SqliteStore::signing_keys() {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto st = (*lease)->prepare(
      "SELECT kid, private_key, public_key, created_at, active FROM signing_keys"
      " ORDER BY created_at, rowid");
  if (!st) return st.status();
  std::vector<SigningKey> out;
  for (;;) {
    auto row = st->step("reading signing keys");
    if (!row) return row.status();
    if (!*row) break;
    SigningKey k;
    k.kid = st->text(0);
    k.private_key = st->text(1);
    k.public_key = st->text(2);
    k.created_at = st->integer(3);
    k.active = st->integer(4) != 0;
    out.push_back(std::move(k));
  }
  return out;
}

Status SqliteStore::remove_signing_key(const std::string& kid) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto st = (*lease)->prepare("DELETE FROM signing_keys WHERE kid = ?1 AND active = 0");
  if (!st) return st.status();
  auto n = st->bind(1, kid).run("retiring a signing key");
  if (!n) return n.status();
  if (*n == 1) return Status::Ok();
  // Nothing was deleted: say whether the key is the active one or unknown.
  auto q = (*lease)->prepare("SELECT active FROM signing_keys WHERE kid = ?1");
  if (!q) return q.status();
  auto row = q->bind(1, kid).step("retiring a signing key");
  if (!row) return row.status();
  if (*row) return Status(Code::failed_precondition, "key " + kid + " is the active signing key");
  return Status(Code::not_found, "there is no signing key with kid " + kid);
}

}  // namespace resolver
