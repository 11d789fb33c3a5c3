// Test support: the redis-server launcher. The port is found by binding 127.0.0.1:0 and closing
// it; another process could take it in between, which start() would report.
#include "tests/support/redis_server.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace test {
namespace {

// The full path of `name` on PATH (posix_spawn does not search it), or "".
std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string full = dir + "/" + name;
    if (access(full.c_str(), X_OK) == 0) return full;
  }
  return {};
}

std::string program(const std::string& name) {
  std::string full = find_program(name);
  if (full.empty()) {
    throw std::runtime_error(name + " is not installed; run scripts/setup.sh, which installs Debian's "
                             "redis-server and redis-tools packages, then run the tests again.");
  }
  return full;
}

}  // namespace

RedisServer::RedisServer(const std::vector<std::string>& extra) : extra_(extra), port_(free_loopback_port("redis-server")) { start(); }

RedisServer::~RedisServer() = default;

void RedisServer::start() {
  std::vector<std::string> argv = {program("redis-server"), "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                   "--save", "", "--appendonly", "no", "--dir", dir_.path().string(),
                                   "--logfile", dir_.file("redis.log")};
  argv.insert(argv.end(), extra_.begin(), extra_.end());
  process_ = std::make_unique<Process>(argv);
  for (int i = 0; i < 200; ++i) {
    RunResult r = run({program("redis-cli"), "-p", std::to_string(port_), "PING"}, {}, std::chrono::seconds(5));
    if (r.exit_code == 0 && r.out.rfind("PONG", 0) == 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  throw std::runtime_error("redis-server did not answer PING on port " + std::to_string(port_) +
                           " within 5 s; see " + dir_.file("redis.log"));
}

void RedisServer::kill() {
  if (process_) process_->stop(SIGKILL);
  process_.reset();
}

void RedisServer::restart() {
  kill();
  start();
}

std::string RedisServer::cli(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {program("redis-cli"), "-p", std::to_string(port_)};
  argv.insert(argv.end(), args.begin(), args.end());
  RunResult r = run(argv, {}, std::chrono::seconds(20));
  if (r.exit_code != 0) throw std::runtime_error("redis-cli failed: " + r.err);
  return r.out;
}

std::vector<std::string> RedisServer::cli_lines(const std::vector<std::string>& args) const {
  std::vector<std::string> out;
  std::istringstream in(cli(args));
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

}  // namespace test
