// PrivateIndex: builds and maintains the private index of DESIGN.md §12 in the Store: `rotate`
// makes a new epoch (a fresh OPRF key, every identifier sealed on all cores) current; `refresh`
// follows writes into every served epoch, reseals records before their assertions expire and drops
// epochs retired longer than private.grace_s ago, one node at a time (a lease in the store).
// Thread-safe: every method may be called from any thread; the store serialises the writes.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "resolver/clock.hpp"
#include "resolver/oprf.hpp"
#include "resolver/resolver.hpp"
#include "resolver/store.hpp"

namespace resolver {

struct PrivateIndexOptions {
  std::int64_t refresh_s = 60;         // private.refresh_s: writes are followed within this time
  std::int64_t grace_s = 86400;        // private.grace_s: how long a previous epoch is served
  std::int64_t assertion_ttl_s = 86400;  // records are resealed when a quarter of this is left
  unsigned threads = 0;                // build threads; 0: every core
};

// What one refresh did.
struct PrivateRefresh {
  bool leader = false;          // this caller held the lease; false: another node refreshes
  std::int64_t followed = 0;    // identifiers written since the last refresh, now followed
  std::int64_t resealed = 0;    // records resealed because their assertions were to expire
  std::vector<std::string> dropped;  // epochs retired more than grace_s ago, now removed
};

// The epochs a DP serves at `now`: the current one first, then the previous one while its grace
// lasts. Epochs being built and expired ones are left out.
std::vector<PrivateEpoch> served_private_epochs(const std::vector<PrivateEpoch>& all, UnixTime now,
                                               std::int64_t grace_s);

class PrivateIndex {
 public:
  // `store`, `local` (a resolver answering from the local index: no federation) and `clock` must
  // outlive the index.
  PrivateIndex(Store& store, Resolver& local, const Clock& clock, PrivateIndexOptions options = {});
  PrivateIndex(const PrivateIndex&) = delete;
  PrivateIndex& operator=(const PrivateIndex&) = delete;

  // Called with (sealed, total) as a build goes; from any build thread, one call at a time.
  using Progress = std::function<void(std::int64_t done, std::int64_t total)>;

  // A new key pair, the whole index sealed under it, then current; the previous current epoch is
  // retired (served for grace_s more). On failure the new epoch is removed and the current one
  // stays. failed_precondition when the store keeps no private index.
  Result<PrivateEpoch> rotate(const Progress& progress = {});

  // One pass of the refresher under the lease `holder` (a name unique to this process).
  Result<PrivateRefresh> refresh(const std::string& holder);

  // The entries for these canonical identifiers under `epoch`: one per identifier found or opted
  // out; the tags of the others (not found any more) in `removed`.
  struct Sealed {
    std::vector<PrivateEntry> entries;
    std::vector<std::string> removed;
  };
  Result<Sealed> seal(const PrivateEpoch& epoch, std::span<const std::string> identifiers);

 private:
  // Seals every identifier of the index under `epoch` (built_at = now), then removes what the
  // epoch held from before. Returns the number of entries.
  Result<std::int64_t> build(const PrivateEpoch& epoch, const Progress& progress);

  Store& store_;
  Resolver& local_;
  const Clock& clock_;
  const PrivateIndexOptions options_;
  const Oprf oprf_{OprfMode::voprf};
};

}  // namespace resolver
