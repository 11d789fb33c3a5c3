// PeerLog: tells the operator why a peer fails. A FederationObserver that forwards every report
// to another observer (the metrics) and writes one warning line per failing peer call, at most one
// per peer per interval, so a dead peer does not flood the log. Thread-safe: one mutex, held while
// the sink writes, so lines never interleave.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "resolver/clock.hpp"
#include "resolver/federation.hpp"

namespace discovery {

class PeerLog final : public resolver::FederationObserver {
 public:
  // Receives one line, without a program name or a newline.
  using Sink = std::function<void(const std::string& line)>;
  static constexpr std::chrono::seconds kInterval{60};

  // `next` and `clock` must outlive it.
  PeerLog(resolver::FederationObserver& next, const resolver::Clock& clock, Sink sink,
          std::chrono::seconds interval = kInterval);
  PeerLog(const PeerLog&) = delete;
  PeerLog& operator=(const PeerLog&) = delete;

  // Forwards to `next`. When `status` is not ok, writes
  // "peer <domain>: <status>: <detail>", followed by " (N more since)" when N failing
  // calls went unwritten since the peer's last line. A call within `interval` of that line is
  // only counted, and so is a skipped one: the breaker's next probe tells the cause.
  void peer_call(std::string_view domain, resolver::PeerStatus status, double seconds,
                 std::string_view detail) override;
  // Forwards to `next`.
  void peer_cache(std::string_view domain, bool hit) override;

 private:
  struct Quiet {
    std::optional<std::chrono::steady_clock::time_point> last;  // when its last line was written
    int more = 0;                                               // failing calls not written since
  };

  resolver::FederationObserver& next_;
  const resolver::Clock& clock_;
  const Sink sink_;
  const std::chrono::seconds interval_;
  std::mutex mu_;
  std::map<std::string, Quiet, std::less<>> peers_;  // guarded by mu_; by peer domain
};

}  // namespace discovery
