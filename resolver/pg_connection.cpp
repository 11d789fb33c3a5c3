// libpq connections and results, and the single place libpq failures become our codes.
#include "resolver/pg_connection.hpp"

#include <poll.h>

#include <cerrno>
#include <charconv>
#include <vector>

namespace resolver {
namespace {

// Connection parameters set before the URI's own, so that the URI may override them.
constexpr const char* kConnectTimeoutS = "5";  // a reachable server answers far sooner

std::string one_line(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char& c : s)
    if (c == '\n' || c == '\t') c = ' ';
  return s;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return 0;
}

}  // namespace

std::string scrub_message(std::string message, const std::string& uri) {
  PQconninfoOption* options = PQconninfoParse(uri.c_str(), nullptr);
  std::string password;
  for (PQconninfoOption* o = options; o && o->keyword; ++o)
    if (std::string_view(o->keyword) == "password" && o->val) password = o->val;
  PQconninfoFree(options);
  for (const std::string& secret : {uri, password}) {
    if (secret.empty()) continue;
    for (std::size_t at = message.find(secret); at != std::string::npos; at = message.find(secret, at))
      message.replace(at, secret.size(), "***");
  }
  return one_line(std::move(message));
}

std::string describe_pg_uri(const std::string& uri) {
  PQconninfoOption* options = PQconninfoParse(uri.c_str(), nullptr);
  if (!options) return "postgresql://(unparsable URI)";
  std::string user, host, port, dbname;
  for (PQconninfoOption* o = options; o->keyword; ++o) {
    if (!o->val) continue;
    const std::string_view k = o->keyword;
    if (k == "user") user = o->val;
    else if (k == "host") host = o->val;
    else if (k == "port") port = o->val;
    else if (k == "dbname") dbname = o->val;
  }
  PQconninfoFree(options);
  return "postgresql://" + (user.empty() ? "" : user + "@") + host + (port.empty() ? "" : ":" + port) + "/" +
         dbname;
}

Status pg_status(PGconn* conn, const PGresult* result, std::string_view what) {
  const std::string prefix = std::string(what) + " failed: ";
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = state ? state : "";
  if (!result || PQstatus(conn) == CONNECTION_BAD || sqlstate.starts_with("08") ||
      sqlstate.starts_with("57P") || sqlstate.starts_with("53"))
    return Status(Code::unavailable, prefix + "PostgreSQL cannot be reached (" +
                                         one_line(PQerrorMessage(conn)) + "); try again");
  if (sqlstate == "40001" || sqlstate == "40P01")
    return Status(Code::unavailable, prefix + "a concurrent write got in the way; try again");
  if (sqlstate == "23505")
    return Status(Code::already_exists, prefix + "a record with the same key already exists");
  if (sqlstate == "42P01")
    return Status(Code::failed_precondition,
                  prefix + "the database holds no index; run 'discoveryctl --db postgresql://... init "
                           "--issuer DOMAIN'");
  // SQL text and values never reach a message (STYLE.md): the primary message only, no DETAIL.
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  return Status(Code::internal, prefix + (primary ? primary : "PostgreSQL gave no reason") +
                                    (sqlstate.empty() ? "" : " (SQLSTATE " + sqlstate + ")"));
}

int PgResult::affected() const {
  const char* n = PQcmdTuples(r_.get());
  int v = 0;
  std::from_chars(n, n + std::char_traits<char>::length(n), v);
  return v;
}

std::int64_t PgResult::integer(int row, int col) const {
  std::string_view t = text(row, col);
  std::int64_t v = 0;
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}

std::optional<std::int64_t> PgResult::optional_integer(int row, int col) const {
  if (is_null(row, col)) return std::nullopt;
  return integer(row, col);
}

std::string PgResult::bytes(int row, int col) const {
  std::string_view t = text(row, col);
  if (t.starts_with("\\x")) t.remove_prefix(2);
  std::string out;
  out.reserve(t.size() / 2);
  for (std::size_t i = 0; i + 1 < t.size(); i += 2)
    out.push_back(static_cast<char>(hex_digit(t[i]) << 4 | hex_digit(t[i + 1])));
  return out;
}

Result<std::unique_ptr<PgConnection>> PgConnection::connect(const std::string& uri,
                                                            std::chrono::milliseconds answer_timeout) {
  const char* keywords[] = {"connect_timeout", "application_name", "client_encoding", "dbname", nullptr};
  const char* values[] = {kConnectTimeoutS, "mimi-discovery", "UTF8", uri.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keywords, values, /*expand_dbname=*/1);
  if (!conn) return Status(Code::unavailable, "connecting to PostgreSQL failed: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string why = scrub_message(PQerrorMessage(conn), uri);
    PQfinish(conn);
    return Status(Code::unavailable, "connecting to PostgreSQL failed: " + why);
  }
  // libpq prints a server's message that arrives between statements (a shutdown's FATAL) on
  // stderr; the next call on the connection reports it as a Status instead.
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<PgConnection>(new PgConnection(conn, answer_timeout));
}

PgConnection::~PgConnection() { PQfinish(conn_); }

Status PgConnection::timed_out(std::string_view what) const {
  return Status(Code::unavailable, std::string(what) + " failed: PostgreSQL did not answer within " +
                                       std::to_string(answer_timeout_.count()) + " ms; try again");
}

Result<PgResult> PgConnection::check(PGresult* r, std::string_view what) {
  const ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) return PgResult(r);
  Status failed = pg_status(conn_, r, what);
  PQclear(r);
  return failed;
}

namespace {

// The arrays PQexecParams and PQexecPrepared take, pointing into `params`.
struct ParamArrays {
  explicit ParamArrays(std::initializer_list<PgParam> params) {
    for (const PgParam& p : params) {
      values.push_back(p.null ? nullptr : p.value.c_str());
      lengths.push_back(static_cast<int>(p.value.size()));
      formats.push_back(p.binary ? 1 : 0);
    }
  }
  int size() const { return static_cast<int>(values.size()); }
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
};

}  // namespace

Result<PgResult> PgConnection::run(const char* sql, std::initializer_list<PgParam> params,
                                   std::string_view what) {
  if (timed_out_) return timed_out(what);
  auto it = prepared_.find(sql);
  if (it == prepared_.end()) {
    std::string name = "s" + std::to_string(prepared_.size() + 1);
    auto made = await(PQsendPrepare(conn_, name.c_str(), sql, 0, nullptr) == 1, what);
    if (!made) return made.status();
    it = prepared_.emplace(sql, std::move(name)).first;
  }
  ParamArrays a(params);
  return await(PQsendQueryPrepared(conn_, it->second.c_str(), a.size(), a.values.data(),
                                   a.lengths.data(), a.formats.data(), 0) == 1,
               what);
}

Result<PgResult> PgConnection::await(bool sent, std::string_view what) {
  if (!sent) return pg_status(conn_, nullptr, what);
  const auto deadline = std::chrono::steady_clock::now() + answer_timeout_;
  PGresult* answer = nullptr;
  for (;;) {
    while (PQisBusy(conn_)) {
      using std::chrono::milliseconds;
      const auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{PQsocket(conn_), POLLIN, 0};
      const int ready = left.count() > 0 ? poll(&p, 1, static_cast<int>(left.count())) : 0;
      if (ready < 0 && errno == EINTR) continue;
      if (ready == 0) {
        // A hung or overloaded server: give up on this connection (alive() now says no) rather
        // than hold a request thread; the pool makes a fresh one for the next call.
        timed_out_ = true;
        PQclear(answer);
        return timed_out(what);
      }
      if (ready < 0 || PQconsumeInput(conn_) != 1) {
        PQclear(answer);
        return pg_status(conn_, nullptr, what);
      }
    }
    PGresult* r = PQgetResult(conn_);
    if (!r) break;
    // The first failure is the answer; otherwise the last result (one per statement sent).
    const ExecStatusType s = answer ? PQresultStatus(answer) : PGRES_COMMAND_OK;
    if (answer && s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
      PQclear(r);
      continue;
    }
    PQclear(answer);
    answer = r;
  }
  return check(answer, what);
}

Result<PgResult> PgConnection::run_once(const std::string& sql, std::initializer_list<PgParam> params,
                                        std::string_view what) {
  if (timed_out_) return timed_out(what);
  ParamArrays a(params);
  return check(PQexecParams(conn_, sql.c_str(), a.size(), nullptr, a.values.data(), a.lengths.data(),
                            a.formats.data(), 0),
               what);
}

Status PgConnection::exec(const std::string& sql, std::string_view what) {
  if (timed_out_) return timed_out(what);
  auto r = check(PQexec(conn_, sql.c_str()), what);
  return r ? Status::Ok() : r.status();
}

Status PgConnection::copy_in(const std::string& copy_sql, std::string_view data, std::string_view what) {
  if (timed_out_) return timed_out(what);
  PGresult* started = PQexec(conn_, copy_sql.c_str());
  if (!started || PQresultStatus(started) != PGRES_COPY_IN) {
    auto r = check(started, what);
    return r ? Status(Code::internal, std::string(what) + " failed: COPY did not start") : r.status();
  }
  PQclear(started);
  // libpq buffers and sends; a piece larger than its buffer is sent in parts.
  bool sent = PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) == 1;
  sent = PQputCopyEnd(conn_, sent ? nullptr : "the client failed to send rows") == 1 && sent;
  Status s = Status::Ok();
  // Every result of the COPY is read, so the connection is ready for the next statement.
  while (PGresult* r = PQgetResult(conn_)) {
    auto checked = check(r, what);
    if (!checked && s.ok()) s = checked.status();
  }
  if (s.ok() && !sent) return pg_status(conn_, nullptr, what);
  return s;
}

bool PgConnection::alive() {
  if (timed_out_) return false;
  // A server that ends a session (a shutdown, pg_terminate_backend) sends a FATAL message and
  // then closes: the first read may take only the message, the second sees the close. Both are
  // non-blocking reads that find nothing on a healthy idle connection.
  return PQconsumeInput(conn_) == 1 && PQconsumeInput(conn_) == 1 && PQstatus(conn_) == CONNECTION_OK;
}

}  // namespace resolver
