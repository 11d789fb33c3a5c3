// SqliteAnswerCache: the wal-index header as a change stamp, and the bounded map of answers.
#include "resolver/sqlite_answer_cache.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "resolver/sqlite_connection.hpp"

namespace resolver {
namespace {

// sqlite.org/walformat.html: the wal-index is made of 32 KiB regions; region 0 begins with two
// copies of the 48-byte header, the second written first and the first last.
constexpr int kWalIndexRegionBytes = 32768;
constexpr std::size_t kHeaderWords = 6;  // 48 bytes
constexpr std::size_t kIsInitByte = 12;  // non-zero once the header describes the WAL

// The first moment at which `answer` no longer holds: its first mapping to expire.
UnixTime valid_until(const LocalAnswer& answer) {
  UnixTime until = std::numeric_limits<UnixTime>::max();
  for (const Mapping& m : answer.mappings) {
    if (m.expires_at) until = std::min(until, *m.expires_at);
  }
  return until;
}

}  // namespace

std::unique_ptr<SqliteAnswerCache> SqliteAnswerCache::open(const std::string& path, std::size_t entries) {
  if (entries == 0) return nullptr;
  auto conn = SqliteConnection::open(path, false, ConnectionUse::scan);
  if (!conn) return nullptr;
  sqlite3* db = (*conn)->db();
  // One read opens the WAL and maps region 0 of the wal-index, which stays mapped while the
  // connection is open.
  auto mode = (*conn)->prepare("PRAGMA journal_mode");
  if (!mode) return nullptr;
  auto row = mode->step("reading the journal mode");
  if (!row || !*row || mode->text(0) != "wal") return nullptr;
  if (!(*conn)->exec("SELECT count(*) FROM sqlite_schema", "reading the schema").ok()) return nullptr;
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK || !file ||
      !file->pMethods || file->pMethods->iVersion < 2 || !file->pMethods->xShmMap) {
    return nullptr;
  }
  void volatile* region = nullptr;
  if (file->pMethods->xShmMap(file, 0, kWalIndexRegionBytes, 0, &region) != SQLITE_OK || !region) return nullptr;
  return std::unique_ptr<SqliteAnswerCache>(new SqliteAnswerCache(std::move(*conn), region, entries));
}

SqliteAnswerCache::SqliteAnswerCache(std::unique_ptr<SqliteConnection> conn, const volatile void* header,
                                     std::size_t entries)
    : conn_(std::move(conn)), header_(static_cast<const volatile std::uint64_t*>(header)), entries_(entries) {}

SqliteAnswerCache::~SqliteAnswerCache() = default;

std::optional<SqliteAnswerCache::Stamp> SqliteAnswerCache::stamp() const {
  // As SQLite's readers do (walIndexTryHdr): the first copy, a barrier, the second; a writer
  // between the two leaves them different.
  Stamp first, second;
  for (std::size_t i = 0; i < kHeaderWords; ++i) first[i] = header_[i];
  std::atomic_thread_fence(std::memory_order_acquire);
  for (std::size_t i = 0; i < kHeaderWords; ++i) second[i] = header_[kHeaderWords + i];
  if (first != second) return std::nullopt;
  unsigned char bytes[sizeof first];
  std::memcpy(bytes, first.data(), sizeof bytes);
  if (bytes[kIsInitByte] == 0) return std::nullopt;
  return first;
}

std::optional<LocalAnswer> SqliteAnswerCache::get(const std::string& identifier, const Stamp& stamp,
                                                  UnixTime now) {
  auto found = entries_.get(identifier);
  if (!found) return std::nullopt;
  const Entry& entry = **found;
  if (entry.stamp != stamp || now < entry.read_at || now >= entry.valid_until) return std::nullopt;
  hits_.fetch_add(1, std::memory_order_relaxed);
  return entry.answer;
}

void SqliteAnswerCache::put(const std::string& identifier, const Stamp& stamp, UnixTime now,
                            const LocalAnswer& answer) {
  entries_.put(identifier, std::make_shared<const Entry>(Entry{stamp, now, valid_until(answer), answer}));
}

}  // namespace resolver
