// FakePeerClient: the in-memory PeerClient for tests (STYLE.md "every seam has a fake"). Each peer
// domain answers scripted JSON after an optional real delay, or fails. Thread-safe: one mutex.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "resolver/peer_client.hpp"

namespace resolver {

class FakePeerClient final : public PeerClient {
 public:
  FakePeerClient() = default;

  // `domain` answers `answer` (any JSON, checked or not) for `identifier`. Identifiers without a
  // scripted answer get the §4.1 not_found object.
  void set_answer(const std::string& domain, const std::string& identifier, nlohmann::json answer);
  // `domain` sleeps `delay` (real time) before answering; past the caller's timeout it sleeps the
  // timeout and fails with timeout, as a real client would.
  void set_delay(const std::string& domain, std::chrono::milliseconds delay);
  // `domain` fails with `failure` and `reason` (nullopt: answers again).
  void set_failure(const std::string& domain, std::optional<PeerFailure> failure,
                   std::string reason = "The fake peer is scripted to fail.");

  // Upstream requests made to `domain` so far, and the identifiers they carried in all.
  int calls(const std::string& domain) const;
  int identifiers_asked(const std::string& domain) const;

  PeerReply ask(const Peer& peer, std::span<const std::string> identifiers,
                std::chrono::milliseconds timeout) override;

 private:
  struct Script {
    std::map<std::string, nlohmann::json> answers;
    std::chrono::milliseconds delay{0};
    std::optional<PeerFailure> failure;
    std::string reason;
    int calls = 0;
    int identifiers = 0;
  };
  mutable std::mutex mu_;
  std::map<std::string, Script> peers_;  // guarded by mu_
};

}  // namespace resolver
