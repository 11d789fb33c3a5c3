// Tests of resolver/connect_failure.hpp: the errno table, and the diagnosis of a loopback port
// that refuses and of one that accepts.
#include "resolver/connect_failure.hpp"

#include <doctest/doctest.h>

#include <cerrno>
#include <utility>
#include <vector>

#include "tests/e2e/fake_peer.hpp"

using namespace resolver;
using namespace std::chrono_literals;

TEST_CASE("a failed connect's errno is refused, unreachable or unknown") {
  const std::vector<std::pair<int, ConnectFailure>> table = {
      {ECONNREFUSED, ConnectFailure::refused},     {ENETUNREACH, ConnectFailure::unreachable},
      {EHOSTUNREACH, ConnectFailure::unreachable}, {ENETDOWN, ConnectFailure::unreachable},
      {EHOSTDOWN, ConnectFailure::unreachable},    {ETIMEDOUT, ConnectFailure::unknown},
      {EACCES, ConnectFailure::unknown},           {0, ConnectFailure::unknown},
  };
  for (const auto& row : table) {
    // Named locals: clang 14 cannot capture a structured binding in CAPTURE's lambda.
    const int err = row.first;
    const ConnectFailure failure = row.second;
    CAPTURE(err);
    CHECK(connect_failure_for_errno(err) == failure);
  }
}

TEST_CASE("a closed loopback port is refused, a listening one is no failure we can name") {
  CHECK(diagnose_connect("127.0.0.1", test::FakePeer::closed_port(), 1s) == ConnectFailure::refused);
  CHECK(diagnose_connect("localhost", test::FakePeer::closed_port(), 1s) == ConnectFailure::refused);
  test::FakePeer listening(test::FakePeer::Kind::garbage, "dp2.example");
  const int port = std::stoi(listening.url().substr(listening.url().rfind(':') + 1));
  CHECK(diagnose_connect("127.0.0.1", port, 1s) == ConnectFailure::unknown);
}
