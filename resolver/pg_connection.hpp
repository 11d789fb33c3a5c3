// PgConnection: one libpq connection with its prepared statements, PgResult, and the one function
// that turns libpq failures into our Status (STYLE.md habit 10). Used by one thread at a time.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "resolver/status.hpp"

namespace resolver {

// Maps a failed libpq call to a Status; `what` names the operation ("reading the index"). A lost
// or refused connection and a server shutting down are unavailable; a unique key taken is
// already_exists; the rest is internal with the server's one-line reason (never SQL or values).
Status pg_status(PGconn* conn, const PGresult* result, std::string_view what);

// `message` without the password `uri` may hold, and on one line (libpq's messages span lines).
std::string scrub_message(std::string message, const std::string& uri);
// "postgresql://USER@HOST:PORT/DATABASE" from the libpq URI `uri`: no password, no options;
// "postgresql://(unparsable URI)" when libpq cannot read it.
std::string describe_pg_uri(const std::string& uri);

// One statement parameter: text (or NULL), or raw bytes sent in binary for a bytea column.
struct PgParam {
  PgParam(std::string_view text) : value(text) {}  // NOLINT: implicit by design
  PgParam(const std::string& text) : value(text) {}  // NOLINT
  PgParam(const char* text) : value(text) {}  // NOLINT
  PgParam(std::int64_t v) : value(std::to_string(v)) {}  // NOLINT
  PgParam(std::optional<std::int64_t> v) : value(v ? std::to_string(*v) : std::string()), null(!v) {}  // NOLINT
  static PgParam boolean(bool b) { return PgParam(b ? "t" : "f"); }
  static PgParam bytes(std::string_view raw) {
    PgParam p(raw);
    p.binary = true;
    return p;
  }
  std::string value;
  bool null = false;
  bool binary = false;
};

// The rows of one statement, in libpq's text format; cleared when destroyed.
class PgResult {
 public:
  explicit PgResult(PGresult* r) : r_(r, PQclear) {}
  int rows() const { return PQntuples(r_.get()); }
  // Rows changed by an INSERT, UPDATE or DELETE.
  int affected() const;
  bool is_null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string_view text(int row, int col) const {
    return {PQgetvalue(r_.get(), row, col), static_cast<std::size_t>(PQgetlength(r_.get(), row, col))};
  }
  std::int64_t integer(int row, int col) const;
  std::optional<std::int64_t> optional_integer(int row, int col) const;
  bool boolean(int row, int col) const { return text(row, col) == "t"; }
  // The raw bytes of a bytea column (libpq's text format is "\x" and hex).
  std::string bytes(int row, int col) const;

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> r_;
};

class PgConnection {
 public:
  // Connects to `uri` (a libpq connection URI). unavailable when the server cannot be reached or
  // refuses; the message never repeats the URI. run() waits at most `answer_timeout` an answer.
  static Result<std::unique_ptr<PgConnection>> connect(
      const std::string& uri, std::chrono::milliseconds answer_timeout = std::chrono::seconds(5));
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs `sql` as a statement prepared once per connection (keyed by the literal's address).
  // unavailable when no answer comes within the answer timeout; the connection is then dead.
  Result<PgResult> run(const char* sql, std::initializer_list<PgParam> params, std::string_view what);
  // Runs `sql` once, unprepared, with parameters (for statements a session runs once); waits as
  // long as the statement takes, as exec() and copy_in() do.
  Result<PgResult> run_once(const std::string& sql, std::initializer_list<PgParam> params,
                            std::string_view what);
  // Runs one or more statements without parameters (BEGIN, COMMIT, a migration).
  Status exec(const std::string& sql, std::string_view what);
  // Streams `data` (COPY text format, whole lines) into `copy_sql` ("COPY t (...) FROM STDIN").
  Status copy_in(const std::string& copy_sql, std::string_view data, std::string_view what);

  // False once the server is known to be gone (checked without blocking: a server that shut down
  // has told the socket so); such a connection is dropped, not pooled.
  bool alive();
  // True when no transaction is open (a pooled connection must be).
  bool idle() const { return PQtransactionStatus(conn_) == PQTRANS_IDLE; }

 private:
  PgConnection(PGconn* conn, std::chrono::milliseconds answer_timeout)
      : conn_(conn), answer_timeout_(answer_timeout) {}
  Result<PgResult> check(PGresult* r, std::string_view what);
  // unavailable: an earlier answer never came (every later call on the connection gets this).
  Status timed_out(std::string_view what) const;
  // The result of what was sent (its last, or its first failure), waiting at most answer_timeout_.
  Result<PgResult> await(bool sent, std::string_view what);

  PGconn* conn_;
  const std::chrono::milliseconds answer_timeout_;
  bool timed_out_ = false;  // an answer never came: the connection's state is unknown
  std::map<const char*, std::string> prepared_;  // SQL literal -> statement name
};

}  // namespace resolver
