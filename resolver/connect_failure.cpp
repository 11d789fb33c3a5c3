// ConnectFailure: getaddrinfo, then one non-blocking connect per address, bounded by poll().
#include "resolver/connect_failure.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <memory>

namespace resolver {
namespace {

using Steady = std::chrono::steady_clock;

// The errno of one connect to `ai` that gives up at `deadline`: 0 when it connected, ETIMEDOUT
// when time ran out first.
int try_connect(const addrinfo& ai, Steady::time_point deadline) {
  const int fd = ::socket(ai.ai_family, ai.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai.ai_protocol);
  if (fd < 0) return errno;
  int err = ::connect(fd, ai.ai_addr, ai.ai_addrlen) == 0 ? 0 : errno;
  if (err == EINPROGRESS) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Steady::now()).count();
    pollfd p{fd, POLLOUT, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::max<std::int64_t>(left, 0)));
    socklen_t len = sizeof err;
    if (ready <= 0) err = ready == 0 ? ETIMEDOUT : errno;
    else if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  }
  ::close(fd);
  return err;
}

}  // namespace

ConnectFailure connect_failure_for_errno(int err) {
  switch (err) {
    case ECONNREFUSED:
      return ConnectFailure::refused;
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ENETDOWN:
    case EHOSTDOWN:
      return ConnectFailure::unreachable;
    default:
      return ConnectFailure::unknown;
  }
}

ConnectFailure diagnose_connect(const std::string& host, int port, std::chrono::milliseconds timeout) {
  const auto deadline = Steady::now() + timeout;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) {
    return ConnectFailure::unresolved;
  }
  const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owned(found, &::freeaddrinfo);
  ConnectFailure out = ConnectFailure::unknown;
  for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    const int err = try_connect(*ai, deadline);
    if (err == 0) return ConnectFailure::unknown;  // it works now: the failure was transient
    const ConnectFailure f = connect_failure_for_errno(err);
    if (f == ConnectFailure::refused) return f;
    if (f == ConnectFailure::unreachable) out = f;
  }
  return out;
}

}  // namespace resolver
