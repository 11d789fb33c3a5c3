// PgStore: the Store on PostgreSQL (DESIGN.md §10), one index for several discoveryd nodes.
// Thread-safe: each call borrows a connection from a bounded pool (made on demand, replaced when
// the server dropped it); an ImportSession holds its own connection until it ends.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "resolver/store.hpp"

namespace resolver {

class PgConnection;

class PgStore final : public Store {
 public:
  // Connects to `uri` (a libpq connection URI) and brings the schema up to date with the
  // PostgreSQL migrations embedded from schema/postgresql/. unavailable when PostgreSQL cannot be
  // reached; not_found when must_exist and the database holds no index; failed_precondition when
  // the schema was written by a newer version. Messages never repeat the URI. A statement of the
  // request path (lookups, admin writes, check) not answered within options.answer_timeout_ms is
  // unavailable and its connection dropped; imports, exports and stats wait as long as they take.
  static Result<std::unique_ptr<PgStore>> open(const std::string& uri, OpenMode mode,
                                               const StoreOptions& options = {});
  ~PgStore() override;

  int schema_version() const { return schema_version_; }

  Result<std::string> issuer() override;
  Status set_issuer(const std::string& domain) override;
  Result<std::vector<LocalAnswer>> lookup(std::span<const std::string> identifiers,
                                          UnixTime now) override;
  Result<std::unique_ptr<ImportSession>> begin_import() override;
  Result<int> upsert_mappings(const std::vector<Mapping>& mappings) override;
  Result<int> remove_mappings(const std::string& identifier,
                              const std::optional<std::string>& provider) override;
  Result<int> add_optout(const std::string& identifier, UnixTime now) override;
  Result<bool> remove_optout(const std::string& identifier) override;
  Status export_all(const std::function<Status(const ExportRecord&)>& sink) override;
  Status add_peer(const Peer& peer) override;
  Result<std::vector<Peer>> list_peers() override;
  Status remove_peer(const std::string& domain) override;
  Status update_peer(const Peer& peer) override;
  Status add_token(const TokenInfo& info, const std::string& secret_hash) override;
  Result<std::vector<TokenInfo>> list_tokens() override;
  Status revoke_token(const std::string& id, UnixTime now) override;
  Result<TokenInfo> find_token(const std::string& secret_hash) override;
  Status add_signing_key(const SigningKey& key) override;
  Result<std::vector<SigningKey>> signing_keys() override;
  Status remove_signing_key(const std::string& kid) override;
  Result<std::string> secret(const std::string& name) override;  // meta key "secret:<name>", hex
  Result<bool> rotate_pepper(UnixTime now, UnixTime due) override;
  Result<std::vector<Pepper>> peppers() override;
  Result<int> drop_pepper_hashes(UnixTime retired_by) override;
  Result<std::vector<std::string>> identifiers_by_hash(const std::string& pepper,
                                                       std::span<const std::string> hashes) override;
  Status add_private_epoch(const PrivateEpoch& epoch) override;
  Result<std::vector<PrivateEpoch>> private_epochs() override;
  Status activate_private_epoch(const std::string& key_id, UnixTime now) override;
  Status drop_private_epoch(const std::string& key_id) override;
  Status put_private_entries(const std::string& key_id, std::span<const PrivateEntry> entries,
                             UnixTime built_at) override;
  Status remove_private_entries(const std::string& key_id, std::span<const std::string> tags) override;
  Result<std::int64_t> remove_private_entries_before(const std::string& key_id,
                                                     UnixTime built_at) override;
  Result<std::vector<PrivateEntry>> private_bucket(const std::string& key_id,
                                                   std::int64_t bucket) override;
  Result<PrivateEpochStats> private_epoch_stats(const std::string& key_id) override;
  Result<std::vector<PrivateChange>> private_changes(std::size_t limit) override;
  Status clear_private_changes(std::span<const PrivateChange> changes) override;
  Result<bool> claim_private_lease(const std::string& holder, UnixTime now,
                                   std::int64_t ttl_s) override;
  Result<Stats> stats() override;
  Status check() override;
  bool networked() const override { return true; }

  // A pooled connection; returned to the pool (or dropped, when broken) when the lease ends.
  class Lease;

 private:
  PgStore(std::string uri, const StoreOptions& options);
  // A connection: an idle one that is still alive, or a new one while fewer than pool_size are
  // open; otherwise waits for one. unavailable when PostgreSQL cannot be reached or no connection
  // frees up in time.
  Result<Lease> acquire();
  void release(std::unique_ptr<PgConnection> c);
  template <typename, typename>
  friend class PoolLease;  // gives connections back through release()

  const std::string uri_;
  const std::size_t pool_size_;
  const std::chrono::milliseconds answer_timeout_;
  int schema_version_ = 0;
  std::mutex pool_mu_;
  std::condition_variable pool_cv_;                      // a connection was released
  std::vector<std::unique_ptr<PgConnection>> idle_;      // guarded by pool_mu_
  std::size_t open_ = 0;                                 // guarded by pool_mu_; idle and leased
};

}  // namespace resolver
