// PgStore: peers, API tokens and signing keys.
#include <openssl/crypto.h>

#include "resolver/pg_store.hpp"
#include "resolver/pg_store_internal.hpp"

namespace resolver {

Status PgStore::add_peer(const Peer& peer) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto r = (*lease)->run(
      "INSERT INTO peers (domain, url, public_key, token, enabled, created_at)"
      " VALUES ($1, $2, $3, $4, $5, $6)",
      {peer.domain, peer.url, peer.public_key, peer.token, PgParam::boolean(peer.enabled),
       peer.created_at},
      "adding a peer");
  if (!r && r.status().code() == Code::already_exists)
    return Status(Code::already_exists, "a peer with domain " + peer.domain +
                                            " already exists; change it with discoveryctl peer set");
  return r.status();
}

Result<std::vector<Peer>> PgStore::list_peers() {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto r = (*lease)->run(
      "SELECT domain, url, public_key, token, enabled, created_at FROM peers ORDER BY domain", {},
      "listing peers");
  if (!r) return r.status();
  std::vector<Peer> out;
  for (int row = 0; row < r->rows(); ++row) {
    Peer p;
    p.domain = r->text(row, 0);
    p.url = r->text(row, 1);
    p.public_key = r->text(row, 2);
    p.token = r->text(row, 3);
    p.enabled = r->boolean(row, 4);
    p.created_at = r->integer(row, 5);
    out.push_back(std::move(p));
  }
  return out;
}

Status PgStore::remove_peer(const std::string& domain) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto r = (*lease)->run("DELETE FROM peers WHERE domain = $1", {domain}, "removing a peer");
  if (!r) return r.status();
  if (r->affected() == 0) return Status(Code::not_found, "there is no peer with domain " + domain);
  return Status::Ok();
}

Status PgStore::update_peer(const Peer& peer) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto r = (*lease)->run(
      "UPDATE peers SET url = $2, public_key = $3, token = $4, enabled = $5 WHERE domain = $1",
      {peer.domain, peer.url, peer.public_key, peer.token, PgParam::boolean(peer.enabled)},
      "changing a peer");
  if (!r) return r.status();
  if (r->affected() == 0) return Status(Code::not_found, "there is no peer with domain " + peer.domain);
  return Status::Ok();
}

Status PgStore::add_token(const TokenInfo& info, const std::string& secret_hash) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto r = (*lease)->run(
      "INSERT INTO tokens (id, name, role, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
      {info.id, info.name, std::string(role_name(info.role)), PgParam::bytes(secret_hash),
       info.created_at},
      "storing a token");
  return r.status();
}

namespace {

constexpr const char* kTokenColumns = "id, name, role, created_at, revoked_at";

TokenInfo token_from_row(const PgResult& r, int row) {
  TokenInfo t;
  t.id = r.text(row, 0);
  t.name = r.text(row, 1);
  t.role = parse_role(r.text(row, 2)).value_or(Role::client);
  t.created_at = r.integer(row, 3);
  t.revoked_at = r.optional_integer(row, 4);
  return t;
}

}  // namespace

Result<std::vector<TokenInfo>> PgStore::list_tokens() {
  auto lease = acquire();
  if (!lease) return lease.status();
  static const std::string sql =
      std::string("SELECT ") + kTokenColumns + " FROM tokens ORDER BY created_at, id";
  auto r = (*lease)->run(sql.c_str(), {}, "listing tokens");
  if (!r) return r.status();
  std::vector<TokenInfo> out;
  for (int row = 0; row < r->rows(); ++row) out.push_back(token_from_row(*r, row));
  return out;
}

Status PgStore::revoke_token(const std::string& id, UnixTime now) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto r = (*lease)->run("UPDATE tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1",
                         {id, now}, "revoking a token");
  if (!r) return r.status();
  if (r->affected() == 0) return Status(Code::not_found, "there is no token with id " + id);
  return Status::Ok();
}

Result<TokenInfo> PgStore::find_token(const std::string& secret_hash) {
  auto lease = acquire();
  if (!lease) return lease.status();
  static const std::string sql =
      std::string("SELECT ") + kTokenColumns + ", secret_hash FROM tokens WHERE secret_hash = $1";
  auto r = (*lease)->run(sql.c_str(), {PgParam::bytes(secret_hash)}, "finding a token");
  if (!r) return r.status();
  // The index finds the row; the final comparison is constant-time all the same (DESIGN §8).
  if (r->rows() == 0) return Status(Code::not_found, "no token matches");
  const std::string stored = r->bytes(0, 5);
  if (stored.size() != secret_hash.size() ||
      CRYPTO_memcmp(stored.data(), secret_hash.data(), stored.size()) != 0)
    return Status(Code::not_found, "no token matches");
  TokenInfo t = token_from_row(*r, 0);
  if (t.revoked_at) return Status(Code::not_found, "no token matches");
  return t;
}

Status PgStore::add_signing_key(const SigningKey& key) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto added = in_transaction<int>(**lease, "adding a signing key", [&](PgConnection& c) -> Result<int> {
    if (key.active) {
      auto r = c.run("UPDATE signing_keys SET active = false WHERE active", {}, "adding a signing key");
      if (!r) return r.status();
    }
    auto r = c.run(
        "INSERT INTO signing_keys (kid, private_key, public_key, created_at, active)"
        " VALUES ($1, $2, $3, $4, $5)",
        {key.kid, PgParam::bytes(key.private_key), PgParam::bytes(key.public_key), key.created_at,
         PgParam::boolean(key.active)},
        "adding a signing key");
    if (!r) return r.status();
    return 1;
  });
  return added.status();
}

Result<std::vector<SigningKey>> PgStore::signing_keys() {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto r = (*lease)->run(
      "SELECT kid, private_key, public_key, created_at, active FROM signing_keys"
      " ORDER BY created_at, added",
      {}, "reading signing keys");
  if (!r) return r.status();
  std::vector<SigningKey> out;
  for (int row = 0; row < r->rows(); ++row) {
    SigningKey k;
    k.kid = r->text(row, 0);
    k.private_key = r->bytes(row, 1);
    k.public_key = r->bytes(row, 2);
    k.created_at = r->integer(row, 3);
    k.active = r->boolean(row, 4);
    out.push_back(std::move(k));
  }
  return out;
}

Status PgStore::remove_signing_key(const std::string& kid) {
  auto lease = acquire();
  if (!lease) return lease.status();
  auto r = (*lease)->run("DELETE FROM signing_keys WHERE kid = $1 AND NOT active", {kid},
                         "retiring a signing key");
  if (!r) return r.status();
  if (r->affected() == 1) return Status::Ok();
  // Nothing was deleted: say whether the key is the active one or unknown.
  auto q = (*lease)->run("SELECT active FROM signing_keys WHERE kid = $1", {kid}, "retiring a signing key");
  if (!q) return q.status();
  if (q->rows() > 0) return Status(Code::failed_precondition, "key " + kid + " is the active signing key");
  return Status(Code::not_found, "there is no signing key with kid " + kid);
}

}  // namespace resolver
