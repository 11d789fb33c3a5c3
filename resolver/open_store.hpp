// open_store: the one place that turns a --db value (or DISCOVERY_DB) into a Store (DESIGN.md
// §10): "postgresql://..." and "postgres://..." name a PostgreSQL index, anything else an SQLite
// file ("sqlite:PATH" or a plain path). Stateless functions; safe from any thread.
#pragma once

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

// Opens the index `spec` names, as SqliteStore::open does for an SQLite file (its codes: not_found
// when `mode` is must_exist and the file is missing, unavailable, failed_precondition).
// invalid_request when `spec` names no file (empty, or "sqlite:" alone) and, until PgStore
// exists, for a PostgreSQL URI. Messages never repeat a URI, which may hold a password.
Result<std::unique_ptr<Store>> open_store(const std::string& spec, OpenMode mode);

}  // namespace resolver
