// Helpers shared by the PgStore translation units; not part of the public interface.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "resolver/pepper.hpp"

#include "resolver/pg_connection.hpp"
#include "resolver/pg_store.hpp"
#include "resolver/pool_lease.hpp"

namespace resolver {

// A connection borrowed from the pool. When the lease ends, a transaction left open is rolled
// back, and a connection the server dropped is closed rather than pooled.
class PgStore::Lease : public PoolLease<PgStore, PgConnection> {
 public:
  using PoolLease::PoolLease;
};

// Runs `write(connection)` inside BEGIN ... COMMIT; rolls back when it fails.
template <typename T>
Result<T> in_transaction(PgConnection& c, std::string_view what,
                         const std::function<Result<T>(PgConnection&)>& write) {
  if (Status s = c.exec("BEGIN", what); !s.ok()) return s;
  auto r = write(c);
  if (!r) {
    // Ignored: the failure above is the news. A dead connection is not asked (the lease closes it).
    if (c.alive()) (void)c.exec("ROLLBACK", "rolling back");
    return r.status();
  }
  if (Status s = c.exec("COMMIT", what); !s.ok()) return s;
  return r;
}

// A PostgreSQL text[] literal of `items` (for "= ANY($1::text[])").
std::string text_array(std::span<const std::string> items);

// COPY text is sent in pieces of about this size: large enough that round trips do not count,
// small enough to bound the session's memory.
inline constexpr std::size_t kCopyPieceBytes = std::size_t{4} << 20;

// Appends `field` to COPY text, escaped (PostgreSQL COPY "Text Format").
void append_copy_field(std::string& out, std::string_view field);

// The peppers whose hashes a mapping write keeps (DESIGN.md §11), read FOR SHARE so that a
// rotation (which locks the table EXCLUSIVE) waits for this transaction and this one for it.
// REQUIRES: inside a transaction, before or after its mapping writes.
Result<std::vector<HashedPepper>> lock_hashed_peppers(PgConnection& c);
// Stores the hashes of the addresses of `identifiers` (each with a mapping) under `peppers`.
Status add_matrix_hashes(PgConnection& c, const std::vector<HashedPepper>& peppers,
                         std::span<const std::string> identifiers);
// The same for identifiers that had no mapping when this transaction read the index (an
// import's new ones, usually without hashes): COPY, and add_matrix_hashes if a hash exists.
// REQUIRES: inside a transaction.
Status copy_matrix_hashes(PgConnection& c, const std::vector<HashedPepper>& peppers,
                          std::span<const std::string> identifiers);
// Removes the hashes of those of `identifiers` that have no mapping left.
Status drop_matrix_hashes_if_unmapped(PgConnection& c, const std::vector<HashedPepper>& peppers,
                                      std::span<const std::string> identifiers);

// The next write serial (DESIGN.md §6.1): higher than every one taken before, by any process.
Result<std::int64_t> next_revision(PgConnection& c);

}  // namespace resolver
