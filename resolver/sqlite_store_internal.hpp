// Helpers shared by the SqliteStore translation units; not part of the public interface.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/mapping.hpp"
#include "resolver/mapping_json.hpp"
#include "resolver/pool_lease.hpp"
#include "resolver/sqlite_connection.hpp"
#include "resolver/sqlite_store.hpp"

namespace resolver {

// A connection borrowed from the pool, or (store null) one of its own, closed when the lease ends.
class SqliteStore::Lease : public PoolLease<SqliteStore, SqliteConnection> {
 public:
  using PoolLease::PoolLease;
};


// Applies every embedded migration newer than the file's user_version; returns the new version.
Result<int> migrate(SqliteConnection& c);

// Starts a write transaction (BEGIN IMMEDIATE) and returns the revision its writes carry.
Result<std::int64_t> begin_write(SqliteConnection& c);
// Commits, or rolls back and returns the error.
Status commit_write(SqliteConnection& c);
// Rolls back, ignoring errors (used on a path that already failed).
void rollback_write(SqliteConnection& c);

// The peppers whose hashes a mapping write must keep. REQUIRES: inside a write transaction.
Result<std::vector<HashedPepper>> hashed_peppers(SqliteConnection& c);
// Stores the hashes of `identifier`'s addresses under each of `peppers` (none for a handle).
Status add_matrix_hashes(SqliteConnection& c, const std::vector<HashedPepper>& peppers,
                         const std::string& identifier);
// Stores the hashes of every address of `identifiers` under `pepper`, in hash order: one pass
// along matrix_hashes' primary key instead of an insert at a random place per hash, which reads a
// page per row once the table outgrows the page cache. A hash already stored is kept.
Status add_matrix_hashes_in_order(SqliteConnection& c, const HashedPepper& pepper,
                                  std::span<const std::string> identifiers);
// Removes them when `identifier` has no mapping left.
Status drop_matrix_hashes_if_unmapped(SqliteConnection& c, const std::vector<HashedPepper>& peppers,
                                      const std::string& identifier);

}  // namespace resolver
