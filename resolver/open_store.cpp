// open_store: picks the Store implementation from the --db value (DESIGN.md §10).
#include "resolver/open_store.hpp"

#include "resolver/pg_connection.hpp"
#include "resolver/pg_store.hpp"
#include "resolver/sqlite_store.hpp"

namespace resolver {
namespace {

constexpr std::string_view kSqlitePrefix = "sqlite:";

}  // namespace

StoreKind store_kind(std::string_view spec) {
  // The two URI prefixes libpq accepts (libpq "Connection URIs"); it reads them case-sensitively.
  if (spec.starts_with("postgresql://") || spec.starts_with("postgres://"))
    return StoreKind::postgresql;
  return StoreKind::sqlite;
}

std::string sqlite_path(std::string_view spec) {
  if (store_kind(spec) == StoreKind::postgresql) return {};
  if (spec.starts_with(kSqlitePrefix)) spec.remove_prefix(kSqlitePrefix.size());
  return std::string(spec);
}

std::string describe_store(const std::string& spec) {
  if (store_kind(spec) == StoreKind::postgresql) return describe_pg_uri(spec);
  return std::string(kSqlitePrefix) + sqlite_path(spec);
}

Result<std::unique_ptr<Store>> open_store(const std::string& spec, OpenMode mode,
                                          const StoreOptions& options) {
  if (store_kind(spec) == StoreKind::postgresql) {
    auto store = PgStore::open(spec, mode, options);
    if (!store) return store.status();
    return std::unique_ptr<Store>(std::move(*store));
  }
  // SqliteStore::open answers an empty path ("" or "sqlite:" alone) with invalid_request.
  auto store = SqliteStore::open(sqlite_path(spec), mode, options.answer_cache_entries);
  if (!store) return store.status();
  return std::unique_ptr<Store>(std::move(*store));
}

}  // namespace resolver
