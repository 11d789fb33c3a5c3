// HttpPeerClient: PeerClient over cpp-httplib's blocking client (DESIGN.md §5). One identifier is
// GET <url>/v1/lookup?id=..&federate=false, several are one POST <url>/v1/lookup. https:// peers
// are verified against the system CA store, or `ca_file` when set. Thread-safe: each call uses
// its own connection.
#pragma once

#include <cstddef>
#include <string>

#include "resolver/peer_client.hpp"

namespace resolver {

struct HttpPeerClientOptions {
  std::size_t max_response_bytes = 4 * 1024 * 1024;  // DESIGN §9 max_peer_response_bytes
  std::string ca_file;  // PEM bundle trusted for https:// peers; empty: the system store
};

class HttpPeerClient final : public PeerClient {
 public:
  explicit HttpPeerClient(HttpPeerClientOptions options = {});

  PeerReply ask(const Peer& peer, std::span<const std::string> identifiers,
                std::chrono::milliseconds timeout) override;

 private:
  const HttpPeerClientOptions options_;
};

}  // namespace resolver
