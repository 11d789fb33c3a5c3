// MemoryStore: the in-memory fake of Store (STYLE.md "every seam has an in-memory fake"), for tests
// of everything above the store; it passes the Store conformance suite like SqliteStore. Thread-safe:
// one mutex guards all state. Nothing is persisted.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "resolver/store.hpp"

namespace resolver {

// Not final: a test may override one method to inject a failure and forward to this one.
class MemoryStore : public Store {
 public:
  MemoryStore() = default;

  Result<std::string> issuer() override;
  Status set_issuer(const std::string& domain) override;

  Result<std::vector<LocalAnswer>> lookup(std::span<const std::string> identifiers,
                                          UnixTime now) override;

  // The session buffers its puts and applies them on commit as one write. REQUIRES: the store
  // outlives the session.
  Result<std::unique_ptr<ImportSession>> begin_import() override;
  Result<int> upsert_mappings(const std::vector<Mapping>& mappings) override;
  Result<int> remove_mappings(const std::string& identifier,
                              const std::optional<std::string>& provider) override;
  Result<int> add_optout(const std::string& identifier, UnixTime now) override;
  Result<bool> remove_optout(const std::string& identifier) override;
  // Calls `sink` on a snapshot, without the lock held, so a sink may call the store.
  Status export_all(const std::function<Status(const ExportRecord&)>& sink) override;

  Status add_peer(const Peer& peer) override;
  Result<std::vector<Peer>> list_peers() override;  // by domain
  Status remove_peer(const std::string& domain) override;
  Status update_peer(const Peer& peer) override;

  Status add_token(const TokenInfo& info, const std::string& secret_hash) override;
  Result<std::vector<TokenInfo>> list_tokens() override;
  Status revoke_token(const std::string& id, UnixTime now) override;
  Result<TokenInfo> find_token(const std::string& secret_hash) override;

  Status add_signing_key(const SigningKey& key) override;
  Result<std::vector<SigningKey>> signing_keys() override;
  Status remove_signing_key(const std::string& kid) override;

  Result<std::string> secret(const std::string& name) override;
  Result<bool> rotate_pepper(UnixTime now, UnixTime due) override;
  Result<std::vector<Pepper>> peppers() override;
  Result<int> drop_pepper_hashes(UnixTime retired_by) override;
  // Hashes the addresses of every identifier with a mapping on each call (a fake: small indexes).
  Result<std::vector<std::string>> identifiers_by_hash(const std::string& pepper,
                                                       std::span<const std::string> hashes) override;
  Result<Stats> stats() override;
  Status check() override;

 private:
  friend class MemoryImportSession;
  // (provider, user) -> mapping: the order lookup answers in.
  using Accounts = std::map<std::pair<std::string, std::string>, Mapping>;
  struct StoredToken {
    TokenInfo info;
    std::string secret_hash;
  };

  // Helpers that write; each REQUIRES: mu_ held, `revision` the write's new revision.
  Upsert put_mapping_locked(const Mapping& m, std::int64_t revision);
  int put_optout_locked(const std::string& identifier, UnixTime now);
  int remove_all_locked(const std::string& identifier);
  // The (provider, user) keys stored for `identifier`; for an import session's answers.
  std::vector<std::pair<std::string, std::string>> account_keys(const std::string& identifier);

  std::mutex mu_;
  std::optional<std::string> issuer_;         // guarded by mu_
  std::int64_t revision_ = 0;                 // guarded by mu_; +1 per write
  std::map<std::string, Accounts> mappings_;  // guarded by mu_; by identifier
  std::map<std::string, UnixTime> optouts_;   // guarded by mu_; identifier -> created_at
  std::map<std::string, Peer> peers_;         // guarded by mu_; by domain
  std::vector<StoredToken> tokens_;           // guarded by mu_; insertion order
  std::vector<SigningKey> keys_;              // guarded by mu_; insertion order
  std::map<std::string, std::string> secrets_;  // guarded by mu_; by name
  struct StoredPepper {
    Pepper pepper;
    bool hashed = true;
  };
  std::vector<StoredPepper> peppers_;  // guarded by mu_; oldest first
};

}  // namespace resolver
