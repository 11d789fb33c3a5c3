// Federation: asks every enabled peer DP about canonical identifiers in parallel and returns what
// each one proved (DESIGN.md §5): per-peer timeout inside an overall deadline, verification under
// pinned keys, a cache of verified answers, coalescing of identical concurrent upstream queries and
// a circuit breaker. Thread-safe: ask() may run on any number of threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <string_view>
#include <vector>

#include "resolver/clock.hpp"
#include "resolver/peer_answer.hpp"
#include "resolver/peer_client.hpp"
#include "resolver/store.hpp"

namespace resolver {

struct FederationOptions {
  std::chrono::milliseconds peer_timeout{800};   // DESIGN §9 federation.peer_timeout_ms
  std::chrono::milliseconds deadline{1500};      // federation.deadline_ms, for the whole fan-out
  std::int64_t cache_found_s = 300;              // capped by the earliest assertion expiry
  std::int64_t cache_not_found_s = 30;           // not_found and opted_out answers
  std::size_t cache_entries = 100000;            // bound of the peer answer cache
  int breaker_failures = 5;                      // failed calls in a row that open the breaker
  std::chrono::milliseconds breaker_cool_down{30000};  // how long an open breaker skips a peer
  std::chrono::milliseconds peers_refresh{2000};  // how often the peer list is re-read from the store
};

// Receives what /metrics counts. Called from any thread; implementations must be thread-safe.
class FederationObserver {
 public:
  FederationObserver() = default;
  FederationObserver(const FederationObserver&) = delete;
  FederationObserver& operator=(const FederationObserver&) = delete;
  virtual ~FederationObserver() = default;
  // One upstream call finished with `status` (the worst over its identifiers) after `seconds`;
  // a call the breaker refused is reported as skipped with 0 seconds. `detail` is the sentence
  // of PeerResult::detail that explains `status`; empty when ok.
  virtual void peer_call(std::string_view domain, PeerStatus status, double seconds,
                         std::string_view detail) = 0;
  // One identifier at one peer was answered from the cache (hit) or had to be asked (miss).
  virtual void peer_cache(std::string_view domain, bool hit) = 0;
};

// One peer's part of the answer for one identifier.
struct PeerResult {
  std::string domain;
  PeerStatus status = PeerStatus::error;
  std::int64_t ms = 0;  // time this lookup waited for the peer; 0 from the cache
  // Why the status is not ok, in one sentence with what to check ("The peer answered HTTP 401;
  // ..."); empty when ok. Never an identifier, a token or what the peer sent (DESIGN.md §8).
  std::string detail;
  PeerLookup lookup;  // meaningful when status is ok
};

class Federation {
 public:
  // `store` (for the peer list), `client`, `clock` and `observer` (may be null) must outlive it.
  Federation(Store& store, PeerClient& client, const Clock& clock, FederationOptions options = {},
             FederationObserver* observer = nullptr);
  Federation(const Federation&) = delete;
  Federation& operator=(const Federation&) = delete;
  // Waits for upstream calls still running; each is bounded by the peer timeout.
  ~Federation();

  // For each canonical identifier, in input order: one PeerResult per enabled peer, in the order
  // of the peer list (by domain). Returns within about the deadline whatever the peers do. Never
  // fails: a peer that cannot answer is a status in its PeerResult. An empty peer list gives
  // empty inner vectors.
  std::vector<std::vector<PeerResult>> ask(std::span<const std::string> identifiers);

  // Reports to `observer` (may be null) from now on; once this returns the previous observer is
  // never called again, so set null before destroying it. Lets the owner of the metrics be
  // built after the federation (discoveryd builds its Service last).
  void set_observer(FederationObserver* observer);

  // True when the peer list as last read from the store (re-read when older than peers_refresh)
  // has an enabled peer: a federated lookup would ask someone.
  bool has_peers();

  // True when ask(identifiers) would call no peer: every enabled peer's answer for every one of
  // them is cached and stays so for at least two more seconds (so that an ask() right after
  // finds it; only an eviction by a full cache in between would make that ask() call a peer).
  bool answers_from_cache(std::span<const std::string> identifiers);

  // The enabled peers' domains and pinned keys (raw 32 bytes), by domain, as last read (as
  // has_peers): what discoveryd publishes in its metadata for clients (DESIGN.md §12). A peer
  // whose stored key does not parse is left out.
  std::vector<std::pair<std::string, std::string>> pinned_keys();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace resolver
