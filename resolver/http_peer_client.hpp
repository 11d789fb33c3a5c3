// HttpPeerClient: PeerClient over cpp-httplib's blocking client (DESIGN.md §5). One identifier is
// GET <url>/v1/lookup?id=..&federate=false, several are one POST <url>/v1/lookup. https:// peers
// are verified against the system CA store, or `ca_file` when set. Thread-safe: each call uses
// its own connection.
#pragma once

#include <cstddef>
#include <string>

#include "resolver/http_fetch.hpp"
#include "resolver/peer_client.hpp"
#include "resolver/status.hpp"

namespace resolver {

struct HttpPeerClientOptions {
  std::size_t max_response_bytes = 4 * 1024 * 1024;  // DESIGN §9 max_peer_response_bytes
  std::string ca_file;  // PEM bundle trusted for https:// peers; empty: the system store
};

// Ok when `path` can be read and holds at least one PEM certificate: federation.ca_file is checked
// at start, as the TLS files are, rather than failing every https:// peer later. invalid_request
// naming the file and what is wrong with it otherwise.
Status check_ca_file(const std::string& path);

class HttpPeerClient final : public PeerClient {
 public:
  explicit HttpPeerClient(HttpPeerClientOptions options = {});

  PeerReply ask(const Peer& peer, std::span<const std::string> identifiers,
                std::chrono::milliseconds timeout) override;

  // Fetches <peer.url>/.well-known/mimi-discovery (without credentials, DESIGN.md §12) and checks
  // that its issuer is peer.domain and that peer.public_key (base64url) is among its keys: the
  // check of `discoveryctl peer add --check`. Ok when both hold; unavailable with the reason
  // when the document cannot be fetched or read; failed_precondition naming what differs.
  Status check_pinned_key(const Peer& peer, std::chrono::milliseconds timeout);

 private:
  HttpFetchReply fetch(const HttpFetchRequest& request, std::chrono::milliseconds timeout) const;
  // The sentence for a request that got no HTTP answer (res.failure is not none).
  std::string failure_reason(const HttpFetchReply& res, std::chrono::milliseconds timeout) const;

  const HttpPeerClientOptions options_;
};

}  // namespace resolver
