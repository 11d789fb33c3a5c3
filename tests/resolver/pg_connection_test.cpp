// Tests for resolver/pg_connection.hpp: messages without the URI's password, and libpq failures
// mapped to exact codes on a real PostgreSQL (tests/support/postgres_server.hpp).
#include "resolver/pg_connection.hpp"

#include <doctest/doctest.h>

#include "tests/support/postgres_server.hpp"

using namespace resolver;

TEST_CASE("scrub_message removes the URI and its password and keeps one line") {
  const std::string uri = "postgresql://dp:hunter2@db.internal:5432/discovery";
  CHECK(scrub_message("bad conninfo \"" + uri + "\"\n", uri) == "bad conninfo \"***\"");
  CHECK(scrub_message("password hunter2 refused\n\tagain hunter2\n", uri) ==
        "password *** refused  again ***");
  CHECK(scrub_message("no secret here", "postgresql://db.internal/d") == "no secret here");
}

TEST_CASE("PgConnection: connecting where nothing listens is unavailable, without the password") {
  auto c = PgConnection::connect("postgresql://dp:hunter2@127.0.0.1:1/discovery");
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().code() == Code::unavailable);
  CHECK(c.status().message().starts_with("connecting to PostgreSQL failed: "));
  CHECK(c.status().message().find("hunter2") == std::string::npos);
  CHECK(c.status().message().find('\n') == std::string::npos);
}

TEST_CASE("PgConnection: statements, parameters, bytes, and failures with exact codes") {
  auto c = PgConnection::connect(test::PostgresServer::shared().create_database());
  REQUIRE(c.ok());
  PgConnection& pg = **c;
  REQUIRE(pg.exec("CREATE TABLE t (k text PRIMARY KEY, b bytea, n bigint)", "creating").ok());
  const std::string raw("\x00\xff\x10", 3);
  for (int i = 0; i < 2; ++i) {  // the second run reuses the prepared statement
    auto put = pg.run("INSERT INTO t (k, b, n) VALUES ($1, $2, $3)",
                      {"k" + std::to_string(i), PgParam::bytes(raw), std::optional<std::int64_t>()},
                      "inserting");
    REQUIRE(put.ok());
    CHECK(put->affected() == 1);
  }
  auto rows = pg.run("SELECT k, b, n FROM t ORDER BY k", {}, "reading");
  REQUIRE(rows.ok());
  REQUIRE(rows->rows() == 2);
  CHECK(rows->bytes(0, 1) == raw);
  CHECK_FALSE(rows->optional_integer(0, 2).has_value());
  CHECK(pg.run("INSERT INTO t (k) VALUES ($1)", {"k0"}, "inserting").status().code() ==
        Code::already_exists);
  const Status missing = pg.exec("SELECT * FROM absent", "reading the index");
  CHECK(missing.code() == Code::failed_precondition);
  CHECK(missing.message().find("init --issuer") != std::string::npos);
  CHECK(pg.copy_in("COPY t (k, n) FROM STDIN", "k9\t5\nk10\tnot a number\n", "streaming").code() ==
        Code::internal);
  CHECK(pg.run("SELECT COUNT(*) FROM t", {}, "counting")->integer(0, 0) == 2);  // COPY kept nothing
  CHECK(pg.idle());
  CHECK(pg.alive());
}
