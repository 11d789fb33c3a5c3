// Test support: a throwaway PostgreSQL 15 cluster (initdb + postgres) per test process.
#include "tests/support/postgres_server.hpp"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>
#include <thread>

namespace test {
namespace {

// Debian's PostgreSQL 15; MIMI_POSTGRES_BIN (a folder ending in '/') names another.
std::string bin_dir() {
  const char* dir = std::getenv("MIMI_POSTGRES_BIN");
  return dir && *dir ? dir : "/usr/lib/postgresql/15/bin/";
}

std::string tail(const std::string& text) {
  return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

// True once `pid` has ended (a zombie not yet reaped counts), from /proc/PID/stat.
bool exited(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  const std::size_t paren = stat.rfind(") ");
  return paren == std::string::npos || stat[paren + 2] == 'Z';
}

}  // namespace

PostgresServer::PostgresServer() : bin_(bin_dir()) {
  if (access((bin_ + "postgres").c_str(), X_OK) != 0 || access((bin_ + "initdb").c_str(), X_OK) != 0)
    throw std::runtime_error("PostgreSQL 15 is not installed (" + bin_ +
                             "postgres is missing); run scripts/setup.sh, which installs the "
                             "postgresql package, then run the tests again");
  if (geteuid() == 0) {
    // PostgreSQL refuses to run as root: the cluster belongs to the `postgres` user.
    const passwd* pw = getpwnam("postgres");
    if (!pw || chown(dir_.path().c_str(), pw->pw_uid, pw->pw_gid) != 0)
      throw std::runtime_error("the tests run as root but there is no `postgres` user to run PostgreSQL "
                               "as; install the postgresql package (scripts/setup.sh)");
  }
  data_ = dir_.file("data");
  RunResult init = run(as_postgres({bin_ + "initdb", "-D", data_, "-A", "trust", "-U", "postgres",
                                    "--no-sync", "-E", "UTF8", "--locale=C", "--no-instructions"}));
  if (init.exit_code != 0) throw std::runtime_error("initdb failed: " + tail(init.err + init.out));
  // Another process may take the free port before the server binds it: then try another.
  for (int attempt = 1;; ++attempt) {
    port_ = free_loopback_port("PostgreSQL");
    try {
      start();
      return;
    } catch (const std::runtime_error&) {
      if (attempt == 3) throw;
    }
  }
}

PostgresServer::~PostgresServer() {
  // An immediate shutdown: nothing of the cluster is kept, so nothing needs a checkpoint.
  if (server_) server_->stop(SIGQUIT);
  server_.reset();
}

PostgresServer& PostgresServer::shared() {
  static PostgresServer server;
  return server;
}

std::vector<std::string> PostgresServer::as_postgres(std::vector<std::string> argv) const {
  // setpriv execs in place, so the server is our child; --pdeathsig makes it quit if this test
  // process dies without its destructor (a crash), so that no cluster is left running.
  std::vector<std::string> out = {"/usr/bin/setpriv"};
  if (geteuid() == 0) out.insert(out.end(), {"--reuid=postgres", "--regid=postgres", "--init-groups"});
  out.insert(out.end(), {"--pdeathsig", "SIGQUIT", "--"});
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

void PostgresServer::start() {
  const std::size_t logged_before = log().size();  // a restart appends to the same log
  server_ = std::make_unique<Process>(
      as_postgres({bin_ + "postgres", "-D", data_, "-p", std::to_string(port_), "-k",
                   dir_.path().string(), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                   "-c", "full_page_writes=off", "-c", "max_connections=200"}),
      dir_.file("postgres.log"));
  const std::string conninfo = uri("postgres") + "?connect_timeout=2";
  for (int i = 0; i < 300; ++i) {
    if (PQping(conninfo.c_str()) == PQPING_OK) return;
    if (exited(server_->pid())) {  // e.g. another process took the port first
      server_.reset();
      throw std::runtime_error("PostgreSQL did not start: " + tail(log().substr(logged_before)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  server_.reset();
  throw std::runtime_error("PostgreSQL did not start within 30 s: " + tail(log()));
}

void PostgresServer::stop() {
  if (server_) server_->stop(SIGINT, std::chrono::seconds(30));
  server_.reset();
}

std::string PostgresServer::uri(const std::string& database) const {
  return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
}

std::string PostgresServer::query(const std::string& database, const std::string& sql) const {
  PGconn* conn = PQconnectdb(uri(database).c_str());
  std::string out, error;
  if (PQstatus(conn) != CONNECTION_OK) {
    error = PQerrorMessage(conn);
  } else {
    PGresult* r = PQexec(conn, sql.c_str());
    const ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) error = PQresultErrorMessage(r);
    for (int row = 0; s == PGRES_TUPLES_OK && row < PQntuples(r); ++row)
      out += std::string(PQgetvalue(r, row, 0)) + "\n";
    PQclear(r);
  }
  PQfinish(conn);
  if (!error.empty()) throw std::runtime_error("PostgreSQL test query failed: " + error);
  return out;
}

std::string PostgresServer::create_database() {
  const std::string name = "t" + std::to_string(getpid()) + "_" + std::to_string(++databases_);
  query("postgres", "CREATE DATABASE " + name);
  return uri(name);
}

}  // namespace test
