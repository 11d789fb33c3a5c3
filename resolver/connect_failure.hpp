// ConnectFailure: why a TCP connection to a peer fails, found by trying once more. cpp-httplib
// reports every failed connect as Error::Connection without its errno, but an operator needs to
// know whether the peer refused or cannot be reached at all. Free functions; thread-safe.
#pragma once

#include <chrono>
#include <string>

namespace resolver {

enum class ConnectFailure {
  unresolved,   // the host name does not resolve (or DNS failed)
  refused,      // an address answered but nothing listens on the port
  unreachable,  // no route to the network or host
  unknown,      // none of those: another errno, no time left, or the connection worked this time
};

// Resolves `host` and connects to each address on `port` (non-blocking, within about `timeout`
// in all); refused wins over unreachable (the host is up). Does not send a byte. The name lookup
// is the system resolver's and has its own timeouts, like cpp-httplib's.
ConnectFailure diagnose_connect(const std::string& host, int port, std::chrono::milliseconds timeout);

// The one mapping of a failed connect()'s errno (STYLE.md habit 10).
ConnectFailure connect_failure_for_errno(int err);

}  // namespace resolver
