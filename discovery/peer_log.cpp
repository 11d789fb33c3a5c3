// PeerLog: forwards first, so the metrics count exactly what they counted without it; then a
// per-peer quiet period, keyed by the peer's domain (a handful of peers, so a plain map).
#include "discovery/peer_log.hpp"

namespace discovery {

PeerLog::PeerLog(resolver::FederationObserver& next, const resolver::Clock& clock, Sink sink,
                 std::chrono::seconds interval)
    : next_(next), clock_(clock), sink_(std::move(sink)), interval_(interval) {}

void PeerLog::peer_call(std::string_view domain, resolver::PeerStatus status, double seconds,
                        std::string_view detail) {
  next_.peer_call(domain, status, seconds, detail);
  if (status == resolver::PeerStatus::ok) return;
  std::lock_guard lock(mu_);
  auto it = peers_.find(domain);
  if (it == peers_.end()) it = peers_.emplace(std::string(domain), Quiet{}).first;
  Quiet& q = it->second;
  const auto now = clock_.steady_now();
  if (status == resolver::PeerStatus::skipped || (q.last && now - *q.last < interval_)) {
    ++q.more;
    return;
  }
  std::string line = "peer ";
  line.append(domain).append(": ").append(resolver::peer_status_name(status)).append(": ").append(detail);
  if (q.more > 0) line += " (" + std::to_string(q.more) + " more since)";
  q = {now, 0};
  sink_(line);
}

void PeerLog::peer_cache(std::string_view domain, bool hit) { next_.peer_cache(domain, hit); }

}  // namespace discovery
