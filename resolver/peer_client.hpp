// PeerClient: the seam through which the federation asks one peer DP about canonical identifiers
// (DESIGN.md §5). HttpPeerClient speaks HTTP; FakePeerClient answers from memory in tests.
// Implementations are thread-safe: ask() may run on many threads at once.
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "resolver/peer.hpp"

namespace resolver {

// Why a peer gave no usable answer; each equals the peer status of DESIGN.md §4.1.
enum class PeerFailure { timeout, error };
std::string_view peer_failure_name(PeerFailure f);
// The reason of a peer that did not answer within `waited`: "The peer did not answer within 800 ms."
std::string timeout_reason(std::chrono::milliseconds waited);
// The reason of a peer that answered `got` results for `asked` identifiers.
std::string count_reason(std::size_t got, std::size_t asked);

struct PeerReply {
  std::optional<PeerFailure> failure;  // nullopt: the peer answered
  // When failed: one sentence on what failed and what to check, shown to callers and operators
  // (PeerResult::detail). Never an identifier, a token or what the peer sent (DESIGN.md §8).
  std::string reason;
  // When answered: one JSON value per asked identifier, in input order, as the peer sent it (the
  // object of §4.1, or a batch error entry). Not yet checked against the §4.1 shape.
  std::vector<nlohmann::json> answers;
};

class PeerClient {
 public:
  PeerClient() = default;
  PeerClient(const PeerClient&) = delete;
  PeerClient& operator=(const PeerClient&) = delete;
  virtual ~PeerClient() = default;

  // Asks `peer` about `identifiers` (canonical; REQUIRES: at least one) with federate=false, in one
  // upstream request, and returns within about `timeout`.
  // Success: answers holds exactly one value per identifier.
  // Failure: timeout when the peer did not answer in time; error when it could not be reached,
  // answered with a non-200 status, a body over the size bound, not JSON, or the wrong count.
  // Either way `reason` says which.
  virtual PeerReply ask(const Peer& peer, std::span<const std::string> identifiers,
                        std::chrono::milliseconds timeout) = 0;
};

}  // namespace resolver
