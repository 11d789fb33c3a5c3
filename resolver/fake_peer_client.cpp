// FakePeerClient: scripted answers; the sleep happens outside the lock so calls overlap.
#include "resolver/fake_peer_client.hpp"

#include <thread>

namespace resolver {

void FakePeerClient::set_answer(const std::string& domain, const std::string& identifier,
                                nlohmann::json answer) {
  std::lock_guard lock(mu_);
  peers_[domain].answers[identifier] = std::move(answer);
}

void FakePeerClient::set_delay(const std::string& domain, std::chrono::milliseconds delay) {
  std::lock_guard lock(mu_);
  peers_[domain].delay = delay;
}

void FakePeerClient::set_failure(const std::string& domain, std::optional<PeerFailure> failure,
                                 std::string reason) {
  std::lock_guard lock(mu_);
  peers_[domain].failure = failure;
  peers_[domain].reason = std::move(reason);
}

int FakePeerClient::calls(const std::string& domain) const {
  std::lock_guard lock(mu_);
  auto it = peers_.find(domain);
  return it == peers_.end() ? 0 : it->second.calls;
}

int FakePeerClient::identifiers_asked(const std::string& domain) const {
  std::lock_guard lock(mu_);
  auto it = peers_.find(domain);
  return it == peers_.end() ? 0 : it->second.identifiers;
}

PeerReply FakePeerClient::ask(const Peer& peer, std::span<const std::string> identifiers,
                              std::chrono::milliseconds timeout) {
  std::chrono::milliseconds delay;
  std::optional<PeerFailure> failure;
  std::string reason;
  PeerReply reply;
  {
    std::lock_guard lock(mu_);
    Script& s = peers_[peer.domain];
    ++s.calls;
    s.identifiers += static_cast<int>(identifiers.size());
    delay = s.delay;
    failure = s.failure;
    reason = s.reason;
    for (const auto& id : identifiers) {
      auto it = s.answers.find(id);
      reply.answers.push_back(it != s.answers.end()
                                  ? it->second
                                  : nlohmann::json{{"identifier", id}, {"type", "phone"},
                                                   {"status", "not_found"},
                                                   {"mappings", nlohmann::json::array()},
                                                   {"complete", true},
                                                   {"peers", nlohmann::json::array()}});
    }
  }
  if (delay >= timeout) {
    std::this_thread::sleep_for(timeout);
    return {PeerFailure::timeout, timeout_reason(timeout), {}};
  }
  std::this_thread::sleep_for(delay);
  if (failure) return {*failure, std::move(reason), {}};
  return reply;
}

}  // namespace resolver
