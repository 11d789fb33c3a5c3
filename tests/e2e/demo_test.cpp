// End-to-end tests of scripts/demo.sh (issue 14): it refuses a taken port and an index that a
// running discoveryd has open, before deleting anything, and otherwise builds the index and serves.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <signal.h>

#include "server_fixture.hpp"

namespace {

// A loopback port nothing listens on right now.
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

// The demo script with its index at `db`, serving on 127.0.0.1:port, without the set-up step.
std::vector<std::string> demo(const std::string& db, int port) {
  return {"/usr/bin/env", "DEMO_SKIP_SETUP=1", "DEMO_DB=" + db, "BUILD_DIR=" + std::string(MIMI_BINARY_DIR),
          "LISTEN=127.0.0.1:" + std::to_string(port), "bash", test::source_path("scripts/demo.sh")};
}

ino_t inode(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_ino;
}

}  // namespace

TEST_CASE("issue 14: the demo refuses a taken port and an index in use, and deletes nothing") {
  test::DemoIndex index;
  test::Server server(index.db);
  const ino_t before = inode(index.db);

  auto taken = test::run(demo(index.db, server.port()));
  CHECK(taken.exit_code == 1);
  CHECK(taken.err.find("127.0.0.1:" + std::to_string(server.port()) + " is already in use") != std::string::npos);

  auto open = test::run(demo(index.db, free_port()));
  CHECK(open.exit_code == 1);
  CHECK(open.err.find(index.db + " is open in process " + std::to_string(server.process().pid())) !=
        std::string::npos);

  CHECK(inode(index.db) == before);  // the running server's index was not deleted
  auto c = test::client_for(server);
  auto r = c->Get("/v1/lookup?id=%2B14155552671");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body.find("\"found\"") != std::string::npos);
}

TEST_CASE("the demo builds its index and serves it") {
  test::TempDir dir;
  const int port = free_port();
  auto args = demo(dir.file("demo.db"), port);
  test::Process p(args);
  REQUIRE(!p.wait_for_line("listening on http://127.0.0.1:" + std::to_string(port)).empty());
  httplib::Client c("127.0.0.1", port);
  auto r = c.Get("/v1/lookup?id=%2B14155552671");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK((std::filesystem::status(dir.file("demo.db")).permissions() & std::filesystem::perms::others_all) ==
        std::filesystem::perms::none);
  CHECK(p.stop(SIGTERM) == 0);
}
