// open_store: the one place that turns a --db value (or DISCOVERY_DB) into a Store (DESIGN.md
// §10): "postgresql://..." and "postgres://..." name a PostgreSQL index, anything else an SQLite
// file ("sqlite:PATH" or a plain path). Stateless functions; safe from any thread.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "resolver/status.hpp"
#include "resolver/store.hpp"

namespace resolver {

enum class StoreKind { sqlite, postgresql };

// postgresql for a libpq URI ("postgresql://" or "postgres://", lower case as libpq reads them);
// sqlite for anything else.
StoreKind store_kind(std::string_view spec);

// The SQLite file `spec` names: PATH for "sqlite:PATH", `spec` itself for a plain path; empty for
// a PostgreSQL URI, which names no local file.
std::string sqlite_path(std::string_view spec);

// `spec` for a log line: "sqlite:PATH", or "postgresql://USER@HOST:PORT/DATABASE" with no
// password or other options (the parts libpq would use; empty parts left out).
std::string describe_store(const std::string& spec);

// Opens the index `spec` names: an SQLite file as SqliteStore::open does (not_found when `mode`
// is must_exist and the file is missing, unavailable, failed_precondition), a PostgreSQL URI as
// PgStore::open does (unavailable when it cannot be reached, not_found when must_exist and the
// database holds no index, failed_precondition). invalid_request when `spec` names no file (empty,
// or "sqlite:" alone). Messages never repeat a URI, which may hold a password.
Result<std::unique_ptr<Store>> open_store(const std::string& spec, OpenMode mode,
                                          const StoreOptions& options = {});

}  // namespace resolver
