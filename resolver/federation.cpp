// Federation: fan-out on one short-lived thread per upstream call, waited for with a deadline.
// Threads, not a pool, because calls are few (one per peer per lookup that misses the cache) and
// each is bounded by the peer timeout; the destructor waits for the stragglers.
#include "resolver/federation.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "resolver/circuit_breaker.hpp"
#include "resolver/ed25519.hpp"
#include "resolver/peer_cache.hpp"

namespace resolver {
namespace {

using Steady = std::chrono::steady_clock;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

// What one upstream call gave for one identifier.
struct Outcome {
  PeerStatus status = PeerStatus::error;
  std::string detail;  // PeerResult::detail
  PeerLookup lookup;
  Steady::time_point finished{};
};
using Pending = std::shared_future<Outcome>;

struct KnownPeer {
  Peer peer;
  std::string raw_key;  // the pinned key's 32 bytes; empty when the stored key does not parse
};
using PeerList = std::vector<KnownPeer>;

// For metrics: the status that best explains a call over several identifiers.
int severity(PeerStatus s) {
  switch (s) {
    case PeerStatus::ok: return 0;
    case PeerStatus::bad_signature: return 1;
    case PeerStatus::error: return 2;
    case PeerStatus::timeout: return 3;
    case PeerStatus::skipped: return 4;
  }
  return 2;
}

std::int64_t ms_between(Steady::time_point from, Steady::time_point to) {
  return std::max<std::int64_t>(0, duration_cast<milliseconds>(to - from).count());
}

}  // namespace

class Federation::Impl {
 public:
  Impl(Store& store, PeerClient& client, const Clock& clock, FederationOptions options,
       FederationObserver* observer)
      : store_(store), client_(client), clock_(clock), options_(options), observer_(observer),
        cache_(options.cache_entries), breaker_(options.breaker_failures, options.breaker_cool_down) {}

  ~Impl() {
    std::unique_lock lock(threads_mu_);
    threads_cv_.wait(lock, [&] { return running_ == 0; });
  }

  std::vector<std::vector<PeerResult>> ask(std::span<const std::string> ids) {
    const auto peers = current_peers();
    const auto start = Steady::now();
    const UnixTime now = clock_.now();
    std::vector<std::vector<PeerResult>> out(ids.size());
    std::vector<std::vector<std::optional<Pending>>> pending(peers->size());
    for (std::size_t p = 0; p < peers->size(); ++p) {
      const KnownPeer& kp = (*peers)[p];
      pending[p].resize(ids.size());
      std::vector<std::size_t> missing;
      for (std::size_t i = 0; i < ids.size(); ++i) {
        PeerResult r;
        r.domain = kp.peer.domain;
        auto hit = cache_.get(cache_key(kp, ids[i]), now);
        report([&](FederationObserver& o) { o.peer_cache(kp.peer.domain, hit.has_value()); });
        if (hit) {
          r.status = PeerStatus::ok;
          r.lookup = std::move(*hit);
        } else {
          missing.push_back(i);
        }
        out[i].push_back(std::move(r));
      }
      if (!missing.empty()) start_call(kp, ids, missing, start, pending[p], out, p);
    }
    const auto give_up = start + std::min(options_.peer_timeout, options_.deadline);
    for (std::size_t p = 0; p < peers->size(); ++p) {
      for (std::size_t i = 0; i < ids.size(); ++i) {
        if (!pending[p][i]) continue;
        PeerResult& r = out[i][p];
        if (pending[p][i]->wait_until(give_up) == std::future_status::ready) {
          const Outcome& o = pending[p][i]->get();
          r.status = o.status;
          r.detail = o.detail;
          r.lookup = o.lookup;
          r.ms = ms_between(start, o.finished);
        } else {
          r.status = PeerStatus::timeout;
          r.detail = timeout_reason(std::min(options_.peer_timeout, options_.deadline));
          r.ms = ms_between(start, Steady::now());
        }
      }
    }
    return out;
  }

  bool answers_from_cache(std::span<const std::string> ids) {
    const auto peers = current_peers();
    const UnixTime until = clock_.now() + 2;
    for (const KnownPeer& kp : *peers) {
      for (const std::string& id : ids) {
        if (!cache_.holds(cache_key(kp, id), until)) return false;
      }
    }
    return true;
  }

  std::shared_ptr<const PeerList> current_peers() {
    std::lock_guard lock(peers_mu_);
    const auto t = clock_.steady_now();
    if (!peers_ || t - peers_at_ >= options_.peers_refresh) {
      // A failed read keeps the last list and is retried at the next refresh.
      if (auto list = store_.list_peers()) {
        auto fresh = std::make_shared<PeerList>();
        for (auto& p : *list) {
          if (!p.enabled) continue;
          auto key = parse_public_key(p.public_key);
          fresh->push_back({std::move(p), key ? *key : std::string()});
        }
        std::sort(fresh->begin(), fresh->end(),
                  [](const KnownPeer& a, const KnownPeer& b) { return a.peer.domain < b.peer.domain; });
        peers_ = std::move(fresh);
      } else if (!peers_) {
        peers_ = std::make_shared<PeerList>();
      }
      peers_at_ = t;
    }
    return peers_;
  }

 private:
  // The detail of a peer the circuit breaker skips.
  std::string skipped_detail() const {
    return "Skipped: the peer failed " + std::to_string(options_.breaker_failures) +
           " times in a row; retrying after the cool-down.";
  }

  // The pinned key is part of the key: re-adding a peer with another key forgets what it proved.
  static std::string cache_key(const KnownPeer& kp, const std::string& id) {
    return kp.peer.domain + '\n' + kp.raw_key + '\n' + id;
  }

  // Joins identical upstream queries in flight, asks the breaker, and starts one call for the rest.
  void start_call(const KnownPeer& kp, std::span<const std::string> ids,
                  const std::vector<std::size_t>& missing, Steady::time_point start,
                  std::vector<std::optional<Pending>>& pending,
                  std::vector<std::vector<PeerResult>>& out, std::size_t p) {
    std::vector<std::string> own;
    std::vector<std::shared_ptr<std::promise<Outcome>>> promises;
    bool skipped = false;
    {
      std::lock_guard lock(inflight_mu_);
      std::vector<std::size_t> fresh;
      for (std::size_t i : missing) {
        auto it = inflight_.find(cache_key(kp, ids[i]));
        if (it != inflight_.end()) pending[i] = it->second;
        else fresh.push_back(i);
      }
      if (fresh.empty()) return;
      if (!breaker_.allow(kp.peer.domain, clock_.steady_now())) {
        for (std::size_t i : fresh) {
          out[i][p].status = PeerStatus::skipped;
          out[i][p].detail = skipped_detail();
        }
        skipped = true;
      } else {
        for (std::size_t i : fresh) {
          const std::string key = cache_key(kp, ids[i]);
          if (auto it = inflight_.find(key); it != inflight_.end()) {  // the same id twice in a batch
            pending[i] = it->second;
            continue;
          }
          auto promise = std::make_shared<std::promise<Outcome>>();
          pending[i] = inflight_[key] = promise->get_future().share();
          own.push_back(ids[i]);
          promises.push_back(std::move(promise));
        }
      }
    }
    if (skipped) {
      const std::string detail = skipped_detail();
      report([&](FederationObserver& o) { o.peer_call(kp.peer.domain, PeerStatus::skipped, 0, detail); });
      return;
    }
    const auto left = options_.deadline - duration_cast<milliseconds>(Steady::now() - start);
    const auto timeout = std::max(milliseconds(1), std::min(options_.peer_timeout, left));
    {
      std::lock_guard lock(threads_mu_);
      ++running_;
    }
    std::thread([this, kp, own = std::move(own), promises = std::move(promises), timeout] {
      call(kp, own, promises, timeout);
      std::lock_guard lock(threads_mu_);
      --running_;
      threads_cv_.notify_all();
    }).detach();
  }

  // One upstream call: ask, check, cache, record, then wake everyone waiting for these ids.
  void call(const KnownPeer& kp, const std::vector<std::string>& ids,
            const std::vector<std::shared_ptr<std::promise<Outcome>>>& promises, milliseconds timeout) {
    const auto t0 = Steady::now();
    PeerReply reply;
    if (kp.raw_key.empty()) {
      reply = {PeerFailure::error,
               "The peer's pinned key is not an Ed25519 public key; add the peer again with its key "
               "(discoveryctl peer add --key).",
               {}};
    } else {
      try {
        reply = client_.ask(kp.peer, ids, timeout);
      } catch (const std::exception&) {  // the client's contract is no throw; a bug is an error
        reply = {PeerFailure::error, "The peer client failed unexpectedly.", {}};
      }
    }
    const auto finished = Steady::now();
    const UnixTime now = clock_.now();
    PeerStatus worst = PeerStatus::ok;
    std::string_view worst_detail;  // into outcomes, which stay in place until the promises are set
    std::vector<Outcome> outcomes(ids.size());
    for (std::size_t j = 0; j < ids.size(); ++j) {
      Outcome& o = outcomes[j];
      o.finished = finished;
      if (reply.failure) {
        o.status = *reply.failure == PeerFailure::timeout ? PeerStatus::timeout : PeerStatus::error;
        o.detail = reply.reason;
      } else if (reply.answers.size() != ids.size()) {
        o.status = PeerStatus::error;
        o.detail = count_reason(reply.answers.size(), ids.size());
      } else {
        auto checked = check_peer_answer(reply.answers[j], ids[j], kp.peer.domain, kp.raw_key, now);
        o.status = checked.status;
        o.detail = std::move(checked.detail);
        o.lookup = std::move(checked.lookup);
        if (o.status == PeerStatus::ok) {
          const bool found = o.lookup.status == LookupStatus::found;
          UnixTime expires = now + (found ? options_.cache_found_s : options_.cache_not_found_s);
          if (found) expires = std::min(expires, o.lookup.min_exp);
          cache_.put(cache_key(kp, ids[j]), o.lookup, expires, now);
        }
      }
      if (severity(o.status) > severity(worst)) {
        worst = o.status;
        worst_detail = o.detail;
      }
    }
    breaker_.record(kp.peer.domain, reply.failure.has_value(), clock_.steady_now());
    report([&](FederationObserver& o) {
      o.peer_call(kp.peer.domain, worst, std::chrono::duration<double>(finished - t0).count(), worst_detail);
    });
    {
      std::lock_guard lock(inflight_mu_);
      for (const auto& id : ids) inflight_.erase(cache_key(kp, id));
    }
    for (std::size_t j = 0; j < ids.size(); ++j) promises[j]->set_value(std::move(outcomes[j]));
  }

  Store& store_;
  PeerClient& client_;
  const Clock& clock_;
  const FederationOptions options_;

 public:
  // After set_observer returns, the old observer is never called again (calls hold the lock).
  void set_observer(FederationObserver* observer) {
    std::lock_guard lock(observer_mu_);
    observer_ = observer;
  }

 private:
  template <typename F>
  void report(F&& f) {
    std::lock_guard lock(observer_mu_);
    if (observer_) f(*observer_);
  }
  std::mutex observer_mu_;
  FederationObserver* observer_;  // guarded by observer_mu_
  PeerCache cache_;
  CircuitBreaker breaker_;

  std::mutex peers_mu_;
  std::shared_ptr<const PeerList> peers_;           // guarded by peers_mu_
  std::chrono::steady_clock::time_point peers_at_;  // guarded by peers_mu_

  std::mutex inflight_mu_;
  std::map<std::string, Pending> inflight_;  // guarded by inflight_mu_; cache key -> call result

  std::mutex threads_mu_;
  std::condition_variable threads_cv_;
  int running_ = 0;  // guarded by threads_mu_; upstream calls still running
};

Federation::Federation(Store& store, PeerClient& client, const Clock& clock,
                       FederationOptions options, FederationObserver* observer)
    : impl_(std::make_unique<Impl>(store, client, clock, options, observer)) {}
Federation::~Federation() = default;

std::vector<std::vector<PeerResult>> Federation::ask(std::span<const std::string> identifiers) {
  return impl_->ask(identifiers);
}

void Federation::set_observer(FederationObserver* observer) { impl_->set_observer(observer); }

bool Federation::has_peers() { return !impl_->current_peers()->empty(); }

bool Federation::answers_from_cache(std::span<const std::string> identifiers) {
  return impl_->answers_from_cache(identifiers);
}

std::vector<std::pair<std::string, std::string>> Federation::pinned_keys() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& p : *impl_->current_peers()) {
    if (!p.raw_key.empty()) out.emplace_back(p.peer.domain, p.raw_key);
  }
  return out;
}

}  // namespace resolver
