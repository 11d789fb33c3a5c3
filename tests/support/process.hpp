// Test support: run the real binaries, start discoveryd on a free loopback port, temporary folders.
// Each object belongs to one test thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace test {

// The build's binary path, e.g. bin("discoveryctl").
std::string bin(const std::string& name);
// A file under the source tree, e.g. source_path("tests/data/demo.jsonl").
std::string source_path(const std::string& relative);

struct RunResult {
  int exit_code = -1;  // -1 when killed by a signal
  std::string out;
  std::string err;
};

// Runs argv[0] with `argv`, feeding `input` on stdin, and waits (at most `timeout`).
RunResult run(const std::vector<std::string>& argv, const std::string& input = {},
              std::chrono::seconds timeout = std::chrono::seconds(120));

// A temporary folder removed with everything in it when destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Writes `text` to `path`.
void write_file(const std::string& path, const std::string& text);
std::string read_file(const std::string& path);

// A child process running in the background, killed (SIGTERM, then SIGKILL) when destroyed.
class Process {
 public:
  // Starts argv; stdout is a pipe read by wait_for_line, stderr goes to `stderr_path` ("" inherits).
  explicit Process(const std::vector<std::string>& argv, const std::string& stderr_path = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Reads stdout until a line starting with `prefix` arrives; returns the line or "" on timeout/EOF.
  std::string wait_for_line(const std::string& prefix,
                            std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Sends `signal` and waits up to `timeout` for the exit; returns the exit code, or -1.
  int stop(int signal, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  std::string buffered_;
  bool exited_ = false;
  int exit_code_ = -1;
};

// A running discoveryd on 127.0.0.1:<free port> over `db`; extra args are appended.
class Server {
 public:
  explicit Server(const std::string& db, const std::vector<std::string>& extra = {});
  const std::string& base_url() const { return base_url_; }  // "http://127.0.0.1:PORT"
  int port() const { return port_; }
  Process& process() { return *process_; }

 private:
  std::unique_ptr<Process> process_;
  std::string base_url_;
  int port_ = 0;
};

// A loopback TCP port free at the time of the call, for a server a test starts (PostgreSQL,
// redis-server); throws naming `server` when there is none.
int free_loopback_port(const std::string& server);

}  // namespace test
