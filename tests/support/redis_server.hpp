// Test support: a real redis-server from Debian's package on a free loopback port in a temporary
// folder, no persistence, stopped when destroyed (DESIGN.md §10: no mock stands in for Redis).
// Each object belongs to one test thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace test {

class RedisServer {
 public:
  // Starts redis-server and waits until it answers PING; `extra` is appended to its arguments
  // (e.g. {"--maxmemory-policy", "allkeys-lru"}). Throws, failing the test, with a sentence saying
  // to run scripts/setup.sh when redis-server is not installed, or when it does not start.
  explicit RedisServer(const std::vector<std::string>& extra = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  // Kills it (SIGKILL: as a crash or a network cut looks to a client).
  void kill();
  // Starts it again on the same port, empty (no persistence), and waits until it answers.
  void restart();
  // Runs redis-cli against it with `args`; returns its stdout. Throws when redis-cli fails.
  std::string cli(const std::vector<std::string>& args) const;
  // As cli, split into its non-empty lines (e.g. the keys of {"--scan"}).
  std::vector<std::string> cli_lines(const std::vector<std::string>& args) const;

 private:
  void start();

  TempDir dir_;
  std::vector<std::string> extra_;
  int port_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace test
