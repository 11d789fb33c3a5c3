// The in-memory Store fake (resolver/memory_store.hpp). Semantics follow the comments in
// resolver/store.hpp and the SQLite schema (schema/migrations/001); the conformance suite
// (tests/resolver/store_conformance.hpp) holds it to SqliteStore's behaviour.
#include "resolver/memory_store.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <set>
#include <tuple>
#include <variant>

namespace resolver {

// Buffers puts and applies them on commit. Its answers (inserted/updated, removed counts) are
// computed against the store as first seen plus the session's own earlier puts.
class MemoryImportSession final : public ImportSession {
 public:
  explicit MemoryImportSession(MemoryStore& store) : store_(store) {}

  Result<Upsert> put_mapping(const Mapping& m) override {
    if (committed_)
      return Result<Upsert>(Code::failed_precondition, "the import is already committed");
    std::set<std::pair<std::string, std::string>>& keys = keys_for(m.identifier);
    ops_.emplace_back(m);
    return keys.emplace(m.provider, m.user).second ? Upsert::inserted : Upsert::updated;
  }

  Result<int> put_optout(const std::string& identifier, UnixTime now) override {
    if (committed_)
      return Result<int>(Code::failed_precondition, "the import is already committed");
    std::set<std::pair<std::string, std::string>>& keys = keys_for(identifier);
    const int removed = static_cast<int>(keys.size());
    keys.clear();
    ops_.emplace_back(OptOut{identifier, now});
    return removed;
  }

  Status commit() override {
    if (committed_) return Status(Code::failed_precondition, "the import is already committed");
    committed_ = true;
    std::lock_guard<std::mutex> lock(store_.mu_);
    const std::int64_t revision = ++store_.revision_;
    for (const auto& op : ops_) {
      if (const Mapping* m = std::get_if<Mapping>(&op)) {
        store_.put_mapping_locked(*m, revision);
      } else {
        const OptOut& o = std::get<OptOut>(op);
        store_.put_optout_locked(o.identifier, o.now);
      }
    }
    ops_.clear();
    return Status::Ok();
  }

 private:
  struct OptOut {
    std::string identifier;
    UnixTime now;
  };

  std::set<std::pair<std::string, std::string>>& keys_for(const std::string& identifier) {
    auto it = keys_.find(identifier);
    if (it == keys_.end()) {
      const auto stored = store_.account_keys(identifier);
      it = keys_.emplace(identifier, std::set(stored.begin(), stored.end())).first;
    }
    return it->second;
  }

  MemoryStore& store_;
  bool committed_ = false;
  std::vector<std::variant<Mapping, OptOut>> ops_;
  std::map<std::string, std::set<std::pair<std::string, std::string>>> keys_;
};

Result<std::string> MemoryStore::issuer() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!issuer_) {
    return Result<std::string>(Code::failed_precondition,
                               "the index is not initialised (run discoveryctl init)");
  }
  return *issuer_;
}

Status MemoryStore::set_issuer(const std::string& domain) {
  std::lock_guard<std::mutex> lock(mu_);
  if (issuer_) return Status(Code::already_exists, "the index already has an issuer");
  issuer_ = domain;
  ++revision_;
  return Status::Ok();
}

Result<std::vector<LocalAnswer>> MemoryStore::lookup(std::span<const std::string> identifiers,
                                                     UnixTime now) {
  std::vector<LocalAnswer> answers(identifiers.size());
  std::lock_guard<std::mutex> lock(mu_);
  for (std::size_t i = 0; i < identifiers.size(); ++i) {
    if (optouts_.contains(identifiers[i])) {
      answers[i].opted_out = true;
      continue;
    }
    const auto it = mappings_.find(identifiers[i]);
    if (it == mappings_.end()) continue;
    for (const auto& [key, m] : it->second) {
      if (!m.expires_at || *m.expires_at > now) answers[i].mappings.push_back(m);
    }
  }
  return answers;
}

Result<bool> MemoryStore::rotate_pepper(UnixTime now, UnixTime due) {
  auto value = new_pepper();
  if (!value) return value.status();
  std::lock_guard<std::mutex> lock(mu_);
  if (!peppers_.empty() && !peppers_.back().pepper.retired_at && peppers_.back().pepper.created_at > due)
    return false;
  for (auto& p : peppers_)
    if (!p.pepper.retired_at) p.pepper.retired_at = now;
  peppers_.push_back({Pepper{*value, now, std::nullopt}, true});
  return true;
}

Result<std::vector<Pepper>> MemoryStore::peppers() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Pepper> out;
  for (auto it = peppers_.rbegin(); it != peppers_.rend(); ++it)
    if (it->hashed) out.push_back(it->pepper);
  return out;
}

Result<int> MemoryStore::drop_pepper_hashes(UnixTime retired_by) {
  std::lock_guard<std::mutex> lock(mu_);
  int dropped = 0;
  for (auto& p : peppers_) {
    if (p.hashed && p.pepper.retired_at && *p.pepper.retired_at <= retired_by) {
      p.hashed = false;
      ++dropped;
    }
  }
  return dropped;
}

Result<std::vector<std::string>> MemoryStore::identifiers_by_hash(const std::string& pepper,
                                                                  std::span<const std::string> hashes) {
  std::vector<std::string> out(hashes.size());
  std::lock_guard<std::mutex> lock(mu_);
  const bool hashed = std::any_of(peppers_.begin(), peppers_.end(), [&](const StoredPepper& p) {
    return p.hashed && p.pepper.value == pepper;
  });
  if (!hashed) return out;
  std::map<std::string, std::string> by_hash;
  for (const auto& entry : mappings_)
    for (std::string& h : matrix_hashes(entry.first, pepper)) by_hash.emplace(std::move(h), entry.first);
  for (std::size_t i = 0; i < hashes.size(); ++i) {
    auto it = by_hash.find(hashes[i]);
    if (it != by_hash.end()) out[i] = it->second;
  }
  return out;
}

Result<std::unique_ptr<ImportSession>> MemoryStore::begin_import() {
  return std::unique_ptr<ImportSession>(std::make_unique<MemoryImportSession>(*this));
}

Result<int> MemoryStore::upsert_mappings(const std::vector<Mapping>& mappings) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::int64_t revision = ++revision_;
  for (const Mapping& m : mappings) put_mapping_locked(m, revision);
  return static_cast<int>(mappings.size());
}

Result<int> MemoryStore::remove_mappings(const std::string& identifier,
                                         const std::optional<std::string>& provider) {
  std::lock_guard<std::mutex> lock(mu_);
  ++revision_;
  if (!provider) return remove_all_locked(identifier);
  const auto it = mappings_.find(identifier);
  if (it == mappings_.end()) return 0;
  const int removed = static_cast<int>(
      std::erase_if(it->second, [&](const auto& entry) { return entry.first.first == *provider; }));
  if (it->second.empty()) mappings_.erase(it);
  return removed;
}

Result<int> MemoryStore::add_optout(const std::string& identifier, UnixTime now) {
  std::lock_guard<std::mutex> lock(mu_);
  ++revision_;
  return put_optout_locked(identifier, now);
}

Result<bool> MemoryStore::remove_optout(const std::string& identifier) {
  std::lock_guard<std::mutex> lock(mu_);
  ++revision_;
  return optouts_.erase(identifier) > 0;
}

Status MemoryStore::export_all(const std::function<Status(const ExportRecord&)>& sink) {
  std::vector<ExportRecord> records;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [identifier, accounts] : mappings_) {
      for (const auto& [key, m] : accounts) records.push_back(ExportRecord{false, m});
    }
    for (const auto& [identifier, created_at] : optouts_) {
      ExportRecord record{true, {}};
      record.mapping.identifier = identifier;
      records.push_back(std::move(record));
    }
  }
  for (const ExportRecord& record : records) {
    Status status = sink(record);
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

Status MemoryStore::add_peer(const Peer& peer) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!peers_.emplace(peer.domain, peer).second) {
    return Status(Code::already_exists, "a peer with this domain already exists");
  }
  return Status::Ok();
}

Result<std::vector<Peer>> MemoryStore::list_peers() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Peer> peers;
  for (const auto& [domain, peer] : peers_) peers.push_back(peer);
  return peers;
}

Status MemoryStore::remove_peer(const std::string& domain) {
  std::lock_guard<std::mutex> lock(mu_);
  if (peers_.erase(domain) == 0) return Status(Code::not_found, "no peer has this domain");
  return Status::Ok();
}

Status MemoryStore::update_peer(const Peer& peer) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = peers_.find(peer.domain);
  if (it == peers_.end()) return Status(Code::not_found, "no peer has this domain");
  const UnixTime created_at = it->second.created_at;
  it->second = peer;
  it->second.created_at = created_at;
  return Status::Ok();
}

Status MemoryStore::add_token(const TokenInfo& info, const std::string& secret_hash) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const StoredToken& t : tokens_) {
    if (t.info.id == info.id)
      return Status(Code::already_exists, "a token with this id already exists");
    // secret_hash is UNIQUE in the schema too.
    if (t.secret_hash == secret_hash)
      return Status(Code::already_exists, "a token with this secret already exists");
  }
  tokens_.push_back(StoredToken{info, secret_hash});
  return Status::Ok();
}

Result<std::vector<TokenInfo>> MemoryStore::list_tokens() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<TokenInfo> tokens;
  for (const StoredToken& t : tokens_) tokens.push_back(t.info);
  std::sort(tokens.begin(), tokens.end(), [](const TokenInfo& a, const TokenInfo& b) {
    return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
  });
  return tokens;
}

Status MemoryStore::revoke_token(const std::string& id, UnixTime now) {
  std::lock_guard<std::mutex> lock(mu_);
  for (StoredToken& t : tokens_) {
    if (t.info.id != id) continue;
    if (!t.info.revoked_at) t.info.revoked_at = now;  // the first revocation time stands
    return Status::Ok();
  }
  return Status(Code::not_found, "no token has this id");
}

Result<TokenInfo> MemoryStore::find_token(const std::string& secret_hash) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const StoredToken& t : tokens_) {
    if (t.secret_hash == secret_hash && !t.info.revoked_at) return t.info;
  }
  return Result<TokenInfo>(Code::not_found, "no live token matches");
}

Status MemoryStore::add_signing_key(const SigningKey& key) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const SigningKey& k : keys_) {
    if (k.kid == key.kid)
      return Status(Code::already_exists, "a signing key with this kid already exists");
  }
  if (key.active) {
    for (SigningKey& k : keys_) k.active = false;
  }
  keys_.push_back(key);
  return Status::Ok();
}

Result<std::vector<SigningKey>> MemoryStore::signing_keys() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<SigningKey> keys = keys_;
  std::stable_sort(keys.begin(), keys.end(), [](const SigningKey& a, const SigningKey& b) {
    return a.created_at < b.created_at;
  });
  return keys;
}

Status MemoryStore::remove_signing_key(const std::string& kid) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = std::find_if(keys_.begin(), keys_.end(), [&](const SigningKey& k) { return k.kid == kid; });
  if (it == keys_.end()) return Status(Code::not_found, "no signing key has this kid");
  if (it->active) return Status(Code::failed_precondition, "this key is the active signing key");
  keys_.erase(it);
  return Status::Ok();
}

Result<Stats> MemoryStore::stats() {
  std::lock_guard<std::mutex> lock(mu_);
  Stats stats;
  stats.identifiers = static_cast<std::int64_t>(mappings_.size());
  for (const auto& [identifier, accounts] : mappings_) {
    stats.mappings += static_cast<std::int64_t>(accounts.size());
  }
  stats.optouts = static_cast<std::int64_t>(optouts_.size());
  stats.peers = static_cast<std::int64_t>(peers_.size());
  for (const StoredToken& t : tokens_) stats.tokens += t.info.revoked_at ? 0 : 1;
  return stats;
}

Status MemoryStore::check() { return Status::Ok(); }

Result<std::string> MemoryStore::secret(const std::string& name) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = secrets_.try_emplace(name);
  if (inserted) {
    it->second.resize(32);
    if (RAND_bytes(reinterpret_cast<unsigned char*>(it->second.data()), 32) != 1) {
      secrets_.erase(it);
      return Status(Code::internal, "the system random generator failed");
    }
  }
  return it->second;
}

// A mapping put for an opted-out identifier is stored but not served while the opt-out stands
// (lookup answers opted_out), as resolver/store.hpp says.
Upsert MemoryStore::put_mapping_locked(const Mapping& m, std::int64_t revision) {
  Mapping stored = m;
  stored.revision = revision;
  auto [it, inserted] =
      mappings_[m.identifier].insert_or_assign({m.provider, m.user}, std::move(stored));
  return inserted ? Upsert::inserted : Upsert::updated;
}

int MemoryStore::put_optout_locked(const std::string& identifier, UnixTime now) {
  optouts_.emplace(identifier, now);  // an existing opt-out keeps its first time
  return remove_all_locked(identifier);
}

int MemoryStore::remove_all_locked(const std::string& identifier) {
  const auto it = mappings_.find(identifier);
  if (it == mappings_.end()) return 0;
  const int removed = static_cast<int>(it->second.size());
  mappings_.erase(it);
  return removed;
}

std::vector<std::pair<std::string, std::string>> MemoryStore::account_keys(
    const std::string& identifier) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<std::string, std::string>> keys;
  const auto it = mappings_.find(identifier);
  if (it != mappings_.end()) {
    for (const auto& [key, m] : it->second) keys.push_back(key);
  }
  return keys;
}

}  // namespace resolver
