// Test support: a real PostgreSQL 15 from Debian's packages (docs/DEPENDENCIES.md), started in a
// temporary folder on a free loopback port, as the `postgres` user when the tests run as root
// (PostgreSQL refuses root), and stopped with its folder removed when destroyed. No mock stands in
// for it. Each object belongs to one test thread; shared() is the one server of a test process.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace test {

class PostgresServer {
 public:
  // initdb (trust on 127.0.0.1 only, fsync off), then starts the server and waits until it
  // answers. Throws std::runtime_error with what to do when the binaries are missing (install
  // the `postgresql` package: scripts/setup.sh) or the server does not start. The binaries are
  // Debian's PostgreSQL 15 unless MIMI_POSTGRES_BIN names another folder.
  // REQUIRES: called (as is start()) on a thread that outlives the server, such as the test's
  // main thread: the server quits when the thread that started it ends.
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // The server of this test process, started on first use (about 2 s) and stopped at exit.
  static PostgresServer& shared();

  // Creates an empty database with a name used once; returns its URI.
  std::string create_database();
  // "postgresql://postgres@127.0.0.1:PORT/NAME"
  std::string uri(const std::string& database) const;
  int port() const { return port_; }
  // What the server has logged so far (its stderr).
  std::string log() const { return read_file(dir_.file("postgres.log")); }

  // Stops the server (a fast shutdown: sessions are cut, committed data stays) / starts it again
  // on the same port and data.
  void stop();
  void start();
  // Runs `sql` in `database`; returns the first column of its rows, one a line (throws when it
  // fails).
  std::string query(const std::string& database, const std::string& sql) const;

 private:
  // argv run as the `postgres` user when this process is root.
  std::vector<std::string> as_postgres(std::vector<std::string> argv) const;

  const std::string bin_;  // the folder of initdb and postgres, ending in '/'
  TempDir dir_;
  std::string data_;
  int port_ = 0;
  int databases_ = 0;
  std::unique_ptr<Process> server_;
};

}  // namespace test
