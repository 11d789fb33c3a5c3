// End-to-end fixture: a temporary demo index made by the real discoveryctl (init, import, tokens)
// and a running discoveryd on 127.0.0.1:0 over it, plus an httplib client and a raw-socket helper.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <httplib.h>

#include "tests/support/process.hpp"

namespace test {

inline std::string last_line(const std::string& out) {
  std::string s = out;
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  auto nl = s.rfind('\n');
  return nl == std::string::npos ? s : s.substr(nl + 1);
}

// The demo index (data/demo.jsonl) with an admin and a client token, in an SQLite file of a
// temporary folder or, given a --db value (a PostgreSQL URI), there.
class DemoIndex {
 public:
  explicit DemoIndex(const std::string& db_spec = {})
      : db(db_spec.empty() ? dir.file("index.db") : db_spec) {
    ctl({"init", "--issuer", "dp.example"});
    ctl({"import", source_path("data/demo.jsonl")});
    admin = last_line(ctl({"token", "create", "--role", "admin"}));
    client = last_line(ctl({"token", "create", "--role", "client"}));
  }
  std::string ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {bin("discoveryctl"), "--db", db});
    RunResult r = run(args);
    if (r.exit_code != 0) throw std::runtime_error("discoveryctl failed: " + r.err);
    return r.out;
  }
  // A config file with `json` in the temporary folder; returns {"--config", path}.
  std::vector<std::string> config(const std::string& json) {
    std::string path = dir.file("config.json");
    write_file(path, json);
    return {"--config", path};
  }

  TempDir dir;
  std::string db;
  std::string admin, client;
};

inline std::unique_ptr<httplib::Client> client_for(const Server& server) {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", server.port());
  c->set_connection_timeout(5, 0);
  c->set_read_timeout(10, 0);
  c->set_write_timeout(10, 0);
  return c;
}

inline httplib::Headers bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

// Sends `bytes` on a fresh connection (stopping early if the server closes) and returns what the
// server answered before it closed the connection or `wait` passed.
inline std::string raw_exchange(int port, const std::string& bytes,
                                std::chrono::milliseconds wait = std::chrono::seconds(5));

// What arrives on `fd` until the peer closes it, `wait` passes, or `until` (when not empty) has
// arrived.
inline std::string receive(int fd, std::chrono::milliseconds wait, std::string_view until = {}) {
  std::string got;
  auto deadline = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!until.empty() && got.find(until) != std::string::npos) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}

// A TCP connection to 127.0.0.1:port (the caller closes it); throws when it cannot connect.
inline int connect_loopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("connect failed");
  }
  return fd;
}

inline std::string raw_exchange(int port, const std::string& bytes, std::chrono::milliseconds wait) {
  int fd = connect_loopback(port);
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server closed: read what it said
    sent += static_cast<std::size_t>(n);
  }
  std::string got = receive(fd, wait);
  ::close(fd);
  return got;
}

}  // namespace test
