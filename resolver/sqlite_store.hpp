// SqliteStore: the embedded default Store, one SQLite file in WAL mode (DESIGN.md §6.1).
// Thread-safe: each call borrows a connection from a small pool, so readers run in parallel and
// never block the one writer (WAL); an ImportSession holds its own connection until it ends.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <mutex>
#include <string>
#include <vector>

#include "resolver/store.hpp"

namespace resolver {

class SqliteAnswerCache;
class SqliteConnection;

class SqliteStore final : public Store {
 public:
  // Opens (or creates) the index at `path` and brings its schema up to date with the migrations
  // embedded from schema/. unavailable when the file cannot be opened or is not an index;
  // failed_precondition when it was written by a newer version; not_found when must_exist and
  // the file is missing.
  // `answer_cache_entries` > 0 keeps the local answers of that many recent identifiers in memory,
  // served while the index is unchanged (SqliteAnswerCache); 0 reads the index on every lookup.
  static Result<std::unique_ptr<SqliteStore>> open(const std::string& path, OpenMode mode,
                                                   std::size_t answer_cache_entries = 0);
  ~SqliteStore() override;

  // The schema version (the highest migration applied).
  int schema_version() const { return schema_version_; }
  // Lookups answered from the answer cache since the store was opened (0 without one).
  std::uint64_t cached_answers() const;

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

  // A pooled connection; returned to the pool when the lease is destroyed.
  class Lease;

 private:
  explicit SqliteStore(std::string path);
  Result<Lease> acquire();
  // A connection of its own, not pooled, with the default cache (ConnectionUse::scan): for a read
  // of the whole index, which would otherwise replace a pooled connection's working set.
  Result<Lease> acquire_for_scan();
  void release(std::unique_ptr<SqliteConnection> c);
  template <typename, typename>
  friend class PoolLease;  // gives connections back through release()

  // Reads the index's answers for identifiers[at[0]], identifiers[at[1]], ... into answers[at[i]].
  Status read_answers(std::span<const std::string> identifiers, std::span<const std::size_t> at,
                      UnixTime now, std::vector<LocalAnswer>& answers);

  const std::string path_;
  int schema_version_ = 0;
  std::unique_ptr<SqliteAnswerCache> answers_;  // null: every lookup reads the index
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<SqliteConnection>> idle_;  // guarded by pool_mu_
};

}  // namespace resolver
