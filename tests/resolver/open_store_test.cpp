// Tests for resolver/open_store.hpp: which store a --db value names, and the codes of bad ones.
#include "resolver/open_store.hpp"

#include <doctest/doctest.h>

#include <filesystem>

#include "tests/support/postgres_server.hpp"
#include "tests/support/process.hpp"

using namespace resolver;

namespace {

// A --db value, the kind of store it names and its SQLite file.
struct Spec {
  const char* value;
  StoreKind kind;
  const char* path;
};

}  // namespace

TEST_CASE("store_kind and sqlite_path read the --db value") {
  const Spec specs[] = {
      {"data/discovery.db", StoreKind::sqlite, "data/discovery.db"},
      {"/var/lib/dp/index.db", StoreKind::sqlite, "/var/lib/dp/index.db"},
      {"sqlite:data/discovery.db", StoreKind::sqlite, "data/discovery.db"},
      {"sqlite:/var/lib/dp/index.db", StoreKind::sqlite, "/var/lib/dp/index.db"},
      {"sqlite:", StoreKind::sqlite, ""},
      {"", StoreKind::sqlite, ""},
      {"postgresql://dp@db.internal:5432/discovery", StoreKind::postgresql, ""},
      {"postgres://db.internal/discovery", StoreKind::postgresql, ""},
      {"postgresql:discovery.db", StoreKind::sqlite, "postgresql:discovery.db"},  // not a URI
  };
  for (const Spec& spec : specs) {
    CAPTURE(spec.value);
    CHECK(store_kind(spec.value) == spec.kind);
    CHECK(sqlite_path(spec.value) == spec.path);
  }
}

TEST_CASE("open_store opens an SQLite index by path or sqlite:PATH") {
  test::TempDir dir;
  const std::string path = dir.file("index.db");
  struct Case {
    std::string spec;
    OpenMode mode;
  };
  const Case cases[] = {
      {"sqlite:" + path, OpenMode::create_if_missing},
      {path, OpenMode::must_exist},
      {"sqlite:" + path, OpenMode::must_exist},
  };
  for (const Case& c : cases) {
    CAPTURE(c.spec);
    auto store = open_store(c.spec, c.mode);
    REQUIRE(store.ok());
    CHECK((*store)->check().ok());
  }
  CHECK(std::filesystem::exists(path));
}

TEST_CASE("open_store refuses what names no index it can open, with exact codes") {
  test::TempDir dir;
  const std::string missing = dir.file("missing.db");
  struct Case {
    std::string spec;
    OpenMode mode;
    Code code;
  };
  const Case cases[] = {
      {"", OpenMode::must_exist, Code::invalid_request},
      {"", OpenMode::create_if_missing, Code::invalid_request},
      {"sqlite:", OpenMode::create_if_missing, Code::invalid_request},
      {missing, OpenMode::must_exist, Code::not_found},
      {"sqlite:" + missing, OpenMode::must_exist, Code::not_found},
      // Port 1 on the loopback refuses: PostgreSQL cannot be reached.
      {"postgresql://dp:hunter2@127.0.0.1:1/discovery", OpenMode::must_exist, Code::unavailable},
      {"postgres://dp:hunter2@127.0.0.1:1/discovery", OpenMode::create_if_missing,
       Code::unavailable},
      {"postgresql://dp:hunter2@127.0.0.1:notaport/discovery", OpenMode::must_exist,
       Code::unavailable},
  };
  for (const Case& c : cases) {
    CAPTURE(c.spec);
    auto store = open_store(c.spec, c.mode);
    REQUIRE_FALSE(store.ok());
    CHECK(store.status().code() == c.code);
    CHECK(store.status().message().find("hunter2") == std::string::npos);  // a URI's password
  }
  CHECK_FALSE(std::filesystem::exists(missing));
  CHECK_FALSE(std::filesystem::exists("postgres:"));  // no file made of a URI
}

TEST_CASE("open_store opens a PostgreSQL index by URI, and says to run init when there is none") {
  const std::string uri = test::PostgresServer::shared().create_database();
  auto missing = open_store(uri, OpenMode::must_exist);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == Code::not_found);
  CHECK(missing.status().message() ==
        "the PostgreSQL database holds no index; create it with 'discoveryctl --db "
        "postgresql://... init --issuer DOMAIN'");
  auto created = open_store(uri, OpenMode::create_if_missing, {.pool_size = 2});
  REQUIRE(created.ok());
  REQUIRE((*created)->set_issuer("dp.example").ok());
  auto opened = open_store(uri, OpenMode::must_exist);
  REQUIRE(opened.ok());
  CHECK(*(*opened)->issuer() == "dp.example");
}
