// Store: the index of mappings, opt-outs, peers, tokens and signing keys (DESIGN.md §6.1).
// Shaped so that SQLite (SqliteStore) and later PostgreSQL can implement it; open_store.hpp picks
// one from --db; every implementation passes tests/resolver/store_conformance.hpp.
// Implementations are thread-safe: any method may be called from any thread; an ImportSession
// belongs to one thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "resolver/mapping.hpp"
#include "resolver/peer.hpp"
#include "resolver/pepper.hpp"
#include "resolver/private_store.hpp"
#include "resolver/role.hpp"
#include "resolver/signing_key.hpp"
#include "resolver/status.hpp"
#include "resolver/token_info.hpp"

namespace resolver {

// How an index is opened (SqliteStore::open, open_store).
enum class OpenMode {
  create_if_missing,  // discoveryctl init: create the index if needed, apply every migration
  must_exist,         // everything else: a missing index is an error that says to run init
};

// How a store is opened, beside the --db value (discoveryd's "store" config, DESIGN.md §9).
struct StoreOptions {
  std::size_t pool_size = 8;           // PostgreSQL: connections per process at most
  std::int64_t answer_timeout_ms = 5000;  // PostgreSQL: longest wait for a statement's answer
  // SQLite: the local answers of this many recent identifiers kept in memory and served while the
  // index is unchanged (SqliteAnswerCache); 0: none. discoveryd's default is kDefaultAnswerCache.
  std::size_t answer_cache_entries = 0;
  static constexpr std::size_t kDefaultAnswerCache = 16384;
};

struct Stats {
  std::int64_t identifiers = 0;  // distinct identifiers with at least one mapping
  std::int64_t mappings = 0;
  std::int64_t optouts = 0;
  std::int64_t peers = 0;
  std::int64_t tokens = 0;  // not revoked
};

// What import did with one record.
enum class Upsert { inserted, updated };

// One all-or-nothing import. Destroying it without commit() rolls back. Its puts are not visible
// to lookups before commit(); after commit() every call answers failed_precondition.
class ImportSession {
 public:
  ImportSession() = default;
  ImportSession(const ImportSession&) = delete;
  ImportSession& operator=(const ImportSession&) = delete;
  virtual ~ImportSession() = default;
  // Inserts the mapping, or updates the one with the same identifier, provider and user (counting
  // the session's own earlier puts). REQUIRES: m.identifier canonical. The store sets revision and
  // keeps m.updated_at.
  virtual Result<Upsert> put_mapping(const Mapping& m) = 0;
  // Records an opt-out for `identifier` and removes its mappings. Returns mappings removed.
  virtual Result<int> put_optout(const std::string& identifier, UnixTime now) = 0;
  // A hint that puts for these identifiers come next, so that a store which must ask its server
  // whether a mapping exists (to answer inserted or updated) asks once for many. Optional: puts
  // work without it. The default does nothing.
  virtual Status expect(std::span<const std::string> identifiers) { return Status::Ok(); }
  // Makes every put visible at once. On failure nothing of the session is kept.
  virtual Status commit() = 0;
};

// One exported record: a mapping, or an opt-out (then only identifier is meaningful).
struct ExportRecord {
  bool optout = false;
  Mapping mapping;
};

class Store {
 public:
  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  virtual ~Store() = default;

  // The index's issuer domain; failed_precondition if the index was never initialised.
  virtual Result<std::string> issuer() = 0;
  // Records the issuer; already_exists when one is set.
  virtual Status set_issuer(const std::string& domain) = 0;

  // For each canonical identifier, in input order, from one statement: its opt-out or its
  // mappings not expired at `now` (ordered by provider, user). An opted-out identifier answers
  // opted_out even when mappings were written after the opt-out. unavailable if the index cannot
  // be read. Every write of a mapping gives it a revision higher than any before (DESIGN.md §6.1).
  virtual Result<std::vector<LocalAnswer>> lookup(std::span<const std::string> identifiers,
                                                  UnixTime now) = 0;

  virtual Result<std::unique_ptr<ImportSession>> begin_import() = 0;
  // Admin writes, one transaction each.
  // Puts each mapping as ImportSession::put_mapping does; returns how many were given.
  virtual Result<int> upsert_mappings(const std::vector<Mapping>& mappings) = 0;
  // Removes the identifier's mappings (only those at `provider` when given); returns how many.
  virtual Result<int> remove_mappings(const std::string& identifier,
                                      const std::optional<std::string>& provider) = 0;
  // Records the opt-out (again: no change) and removes the mappings; returns mappings removed.
  virtual Result<int> add_optout(const std::string& identifier, UnixTime now) = 0;
  // Lifts an opt-out; returns false when there was none.
  virtual Result<bool> remove_optout(const std::string& identifier) = 0;
  // Calls `sink` for every mapping (expired ones too), then for every opt-out; stops at the first
  // non-ok status the sink returns and returns it.
  virtual Status export_all(const std::function<Status(const ExportRecord&)>& sink) = 0;

  virtual Status add_peer(const Peer& peer) = 0;  // already_exists for a known domain
  virtual Result<std::vector<Peer>> list_peers() = 0;  // by domain
  virtual Status remove_peer(const std::string& domain) = 0;  // not_found when unknown
  // Replaces the url, public_key, token and enabled of the peer with peer.domain; keeps its
  // created_at. not_found when unknown.
  virtual Status update_peer(const Peer& peer) = 0;

  // Stores a token by the SHA-256 of its secret. already_exists when the id or the hash is taken.
  // REQUIRES: info.role is not anonymous.
  virtual Status add_token(const TokenInfo& info, const std::string& secret_hash) = 0;
  virtual Result<std::vector<TokenInfo>> list_tokens() = 0;  // revoked too; by created_at, id
  // Sets revoked_at (a second revocation keeps the first time); not_found when unknown.
  virtual Status revoke_token(const std::string& id, UnixTime now) = 0;
  // The live (not revoked) token whose secret hashes to `secret_hash`; not_found otherwise.
  virtual Result<TokenInfo> find_token(const std::string& secret_hash) = 0;

  // Adds a key; when key.active, it becomes the only active key in the same transaction.
  // already_exists when the kid is taken.
  virtual Status add_signing_key(const SigningKey& key) = 0;
  // Oldest first: by created_at, then in the order they were added.
  virtual Result<std::vector<SigningKey>> signing_keys() = 0;
  // Removes a key that is not the active one (key retire): it is no longer published and its
  // private half is gone. In one statement: failed_precondition for the active key, not_found
  // for an unknown kid; nothing changes then.
  virtual Status remove_signing_key(const std::string& kid) = 0;

  // The named secret of this index: 32 random bytes made on first use and kept in the index, the
  // same for every process and restart (e.g. "rate_limiter", the key of the rate limiter's hashes
  // of identifiers). unavailable if the index cannot be read or written.
  virtual Result<std::string> secret(const std::string& name) = 0;

  // Lookup peppers of the Matrix identity surface and the hashes of every phone and email with a
  // mapping under each pepper whose hashes are kept (DESIGN.md §11). Every mapping write (upsert,
  // remove, opt-out, import) keeps the hashes in its own transaction.
  // Makes a new pepper current when none is current or the current one was created at or before
  // `due`, retiring the current one at `now`, and stores the hashes of every phone and email with
  // a mapping under the new pepper, all in one transaction that never blocks lookups. A
  // conditional insert: several processes whose timers fire at once rotate once. Returns whether
  // this call rotated. `due` = now rotates unconditionally (discoveryctl); a `due` before every
  // creation time only makes the first pepper.
  virtual Result<bool> rotate_pepper(UnixTime now, UnixTime due) = 0;
  // The peppers whose hashes are kept, newest first: the current one, then retired ones whose
  // hashes were not dropped yet.
  virtual Result<std::vector<Pepper>> peppers() = 0;
  // Drops the hashes of every pepper retired at or before `retired_by`; the pepper stays in the
  // index with its times. Returns how many peppers' hashes were dropped.
  virtual Result<int> drop_pepper_hashes(UnixTime retired_by) = 0;
  // For each hash, in input order: the canonical identifier one of whose addresses hashes to it
  // under `pepper` (pepper.hpp), or "" when none does. All "" for an unknown or dropped pepper.
  // Opt-outs and expiry are not applied here: lookup() does that.
  virtual Result<std::vector<std::string>> identifiers_by_hash(const std::string& pepper,
                                                               std::span<const std::string> hashes) = 0;

  virtual Result<Stats> stats() = 0;
  // OK while the index answers a trivial read.
  virtual Status check() = 0;

  // --- the private index (DESIGN.md §12). A store that keeps none answers failed_precondition
  // (the defaults below). Writes to mappings and opt-outs are recorded as changes (in the same
  // transaction, by the schema's triggers) while at least one epoch exists.

  // Records a new epoch, not yet current. already_exists when its key_id is taken.
  virtual Status add_private_epoch(const PrivateEpoch& epoch) { return no_private_index(); }
  // Every epoch (being built, current, retired), the current one first, then by activated_at
  // descending, then the ones being built.
  virtual Result<std::vector<PrivateEpoch>> private_epochs() { return no_private_index(); }
  // Makes `key_id` current: it gets activated_at = now, the epoch that was current gets
  // retired_at = now. not_found when there is no such epoch.
  virtual Status activate_private_epoch(const std::string& key_id, UnixTime now) {
    return no_private_index();
  }
  // Removes the epoch and its entries (a retired epoch after private.grace_s, a failed build).
  virtual Status drop_private_epoch(const std::string& key_id) { return no_private_index(); }
  // Inserts the entries, or replaces the one with the same tag, in one transaction; each gets
  // built_at. not_found when the epoch does not exist.
  virtual Status put_private_entries(const std::string& key_id, std::span<const PrivateEntry> entries,
                                     UnixTime built_at) {
    return no_private_index();
  }
  // Removes the entries with these tags (the identifier lost its mappings); absent ones are fine.
  virtual Status remove_private_entries(const std::string& key_id,
                                        std::span<const std::string> tags) {
    return no_private_index();
  }
  // Removes the epoch's entries built before `built_at` (left over by a full rebuild); returns how many.
  virtual Result<std::int64_t> remove_private_entries_before(const std::string& key_id,
                                                             UnixTime built_at) {
    return no_private_index();
  }
  // The entries of one bucket, sorted by tag (an unknown epoch or bucket has none).
  virtual Result<std::vector<PrivateEntry>> private_bucket(const std::string& key_id,
                                                           std::int64_t bucket) {
    return no_private_index();
  }
  virtual Result<PrivateEpochStats> private_epoch_stats(const std::string& key_id) {
    return no_private_index();
  }
  // Up to `limit` identifiers written since they were last cleared, oldest first is not promised.
  virtual Result<std::vector<PrivateChange>> private_changes(std::size_t limit) {
    return no_private_index();
  }
  // Forgets the changes whose serial did not move since they were read.
  virtual Status clear_private_changes(std::span<const PrivateChange> changes) {
    return no_private_index();
  }
  // Claims the refresher's lease for `holder` until now + ttl_s: true when it was free, expired
  // or already `holder`'s, false when another holder has it (DESIGN.md §12: one node refreshes).
  virtual Result<bool> claim_private_lease(const std::string& holder, UnixTime now,
                                           std::int64_t ttl_s) {
    return no_private_index();
  }

  // True when a call may wait on the network (a database server) rather than on a local file, so
  // a server runs its store calls where a wait stalls no other request (DESIGN.md §10).
  virtual bool networked() const { return false; }

 protected:
  static Status no_private_index() {
    return Status(Code::failed_precondition, "this store keeps no private index (DESIGN.md §12)");
  }
};

}  // namespace resolver
