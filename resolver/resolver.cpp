// Resolver: canonicalise, read the local index, filter, sign through the assertion cache.
#include "resolver/resolver.hpp"

#include <algorithm>
#include <set>
#include <thread>
#include <unordered_map>

#include "resolver/assertion.hpp"
#include "resolver/assertion_cache.hpp"
#include "resolver/federation.hpp"
#include "resolver/lookup_json.hpp"

namespace resolver {

std::string_view lookup_status_name(LookupStatus s) {
  switch (s) {
    case LookupStatus::found: return "found";
    case LookupStatus::not_found: return "not_found";
    case LookupStatus::opted_out: return "opted_out";
  }
  return "not_found";
}

class Resolver::Impl {
 public:
  Impl(Store& store, Keyring& keyring, const Clock& clock, ResolverOptions options)
      : store_(store), keyring_(keyring), clock_(clock), options_(options),
        cache_(options.assertion_cache_entries) {}

  Result<std::vector<Result<LookupResult>>> batch(std::vector<Result<Identifier>> parsed,
                                                  const LookupOptions& options) {
    const auto& provider = options.provider;
    const bool federate = options.federate;
    std::vector<std::string> canonical;
    canonical.reserve(parsed.size());
    for (const auto& p : parsed) {
      if (p) canonical.push_back(p->canonical);
    }
    const UnixTime now = clock_.now();
    auto answers = store_.lookup(canonical, now);
    if (!answers) return answers.status();
    auto keys = keyring_.snapshot();
    if (!keys || !keys->active)
      return Status(Code::failed_precondition, "this discovery provider has no signing key; run 'discoveryctl key rotate'");
    // One fan-out for the whole batch: one upstream request per peer (DESIGN §5). Opted-out
    // identifiers are not sent: a local opt-out wins, and asking would leak the query.
    std::vector<std::string> asked;
    std::vector<std::vector<PeerResult>> peer_results;
    std::unordered_map<std::string, std::size_t> asked_at;
    if (federate && options_.federation) {
      for (std::size_t i = 0; i < canonical.size(); ++i) {
        if (!(*answers)[i].opted_out && asked_at.emplace(canonical[i], asked.size()).second) {
          asked.push_back(canonical[i]);
        }
      }
      if (!asked.empty()) peer_results = options_.federation->ask(asked);
    }
    std::vector<Result<LookupResult>> out;
    out.reserve(parsed.size());
    std::vector<ServedMapping*> unsigned_mappings;  // local mappings without a fresh cached assertion
    std::size_t next = 0;
    for (auto& p : parsed) {
      if (!p) {
        out.push_back(p.status());
        continue;
      }
      auto at = asked_at.find(p->canonical);
      const auto* peers = at == asked_at.end() ? nullptr : &peer_results[at->second];
      out.push_back(answer(std::move(*p), std::move((*answers)[next++]), provider, *keys, now, peers));
    }
    // Pointers into `out` stay valid: it is not resized from here on.
    for (auto& r : out) {
      if (!r) continue;
      for (auto& s : r->mappings) {
        if (s.source == "local" && s.assertion.empty()) unsigned_mappings.push_back(&s);
      }
    }
    // Signing failed: an internal fault, not one identifier's.
    if (Status s = sign_all(unsigned_mappings, *keys, now); !s.ok()) return s;
    return out;
  }

 private:
  // The answer for one identifier; a local mapping's assertion is the cached one, or empty when
  // it must be signed (sign_all).
  LookupResult answer(Identifier id, LocalAnswer local, const std::optional<std::string>& provider,
                      const KeyringSnapshot& keys, UnixTime now, const std::vector<PeerResult>* peers) {
    LookupResult r;
    r.identifier = std::move(id);
    if (local.opted_out) {
      r.status = LookupStatus::opted_out;
      return r;
    }
    for (auto& m : local.mappings) {
      if (provider && m.provider != *provider) continue;
      std::string jws = cached(m, keys, now);
      r.mappings.push_back({std::move(m), "local", std::move(jws)});
    }
    if (peers) merge(r, *peers, provider);
    r.status = r.mappings.empty() ? LookupStatus::not_found : LookupStatus::found;
    return r;
  }

  // Appends the peers' reports and their verified mappings not already present.
  static void merge(LookupResult& r, const std::vector<PeerResult>& peers,
                    const std::optional<std::string>& provider) {
    std::set<std::pair<std::string, std::string>> seen;
    for (const auto& s : r.mappings) seen.emplace(s.mapping.provider, s.mapping.user);
    for (const auto& p : peers) {
      r.peers.push_back({p.domain, std::string(peer_status_name(p.status)), p.ms, p.detail});
      if (p.status != PeerStatus::ok) {
        r.complete = false;
        continue;
      }
      for (const auto& s : p.lookup.mappings) {
        if (provider && s.mapping.provider != *provider) continue;
        if (seen.emplace(s.mapping.provider, s.mapping.user).second) r.mappings.push_back(s);
      }
    }
  }

  // The cached assertion while it has at least half its lifetime left (DESIGN §4.4), else "".
  std::string cached(const Mapping& m, const KeyringSnapshot& keys, UnixTime now) {
    if (auto hit = cache_.get(AssertionCache::key_for(m, keys.active_kid))) {
      const UnixTime half_life = (hit->exp - hit->iat) / 2;
      if (now < hit->exp && now - hit->iat <= half_life) return std::move(hit->jws);
    }
    return {};
  }

  Status sign(ServedMapping& s, const KeyringSnapshot& keys, UnixTime now) {
    AssertionClaims claims = claims_for(s.mapping, keys.issuer, now, options_.assertion_ttl_s);
    auto jws = sign_assertion(*keys.active, keys.active_kid, claims);
    if (!jws) return jws.status();
    cache_.put(AssertionCache::key_for(s.mapping, keys.active_kid), {*jws, claims.iat, claims.exp});
    s.assertion = std::move(*jws);
    return Status::Ok();
  }

  // Signs `todo` on every core when there are enough of them to be worth a thread (a cold batch:
  // signing is most of its cost); otherwise on the calling thread. The first failure wins.
  Status sign_all(const std::vector<ServedMapping*>& todo, const KeyringSnapshot& keys, UnixTime now) {
    // hardware_concurrency() reads /sys on every call (three system calls): only a batch that
    // could use a second thread asks.
    const std::size_t threads =
        todo.size() < 2 * kSignsPerThread
            ? 1
            : std::min<std::size_t>(std::max(1u, std::thread::hardware_concurrency()), todo.size() / kSignsPerThread);
    auto sign_range = [&](std::size_t first, std::size_t step) {
      for (std::size_t i = first; i < todo.size(); i += step) {
        if (Status s = sign(*todo[i], keys, now); !s.ok()) return s;
      }
      return Status::Ok();
    };
    if (threads <= 1) return sign_range(0, 1);
    std::vector<Status> results(threads);
    {
      std::vector<std::jthread> helpers;
      for (std::size_t t = 1; t < threads; ++t) {
        helpers.emplace_back([&, t] { results[t] = sign_range(t, threads); });
      }
      results[0] = sign_range(0, threads);
    }  // joins the helpers
    for (const Status& s : results) {
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }

  // Below this many signatures per thread (about 30 µs each), a thread costs more than it saves.
  static constexpr std::size_t kSignsPerThread = 32;

 public:
  bool has_peers() { return options_.federation && options_.federation->has_peers(); }
  bool federation_cached(std::span<const std::string> ids) {
    return !options_.federation || options_.federation->answers_from_cache(ids);
  }
  std::vector<std::pair<std::string, std::string>> pinned_keys() {
    if (!options_.federation) return {};
    return options_.federation->pinned_keys();
  }

 private:
  Store& store_;
  Keyring& keyring_;
  const Clock& clock_;
  const ResolverOptions options_;
  AssertionCache cache_;
};

Resolver::Resolver(Store& store, Keyring& keyring, const Clock& clock, ResolverOptions options)
    : impl_(std::make_unique<Impl>(store, keyring, clock, options)) {}
Resolver::~Resolver() = default;

Result<LookupResult> Resolver::lookup(const LookupQuery& query) {
  std::vector<Result<Identifier>> parsed;
  parsed.push_back(parse_identifier(query.input, query.region));
  auto r = impl_->batch(std::move(parsed), query.options);
  if (!r) return r.status();
  return std::move(r->front());
}

Result<std::vector<Result<LookupResult>>> Resolver::lookup_batch(
    std::vector<Result<Identifier>> parsed, const LookupOptions& options) {
  return impl_->batch(std::move(parsed), options);
}

bool Resolver::has_peers() { return impl_->has_peers(); }

bool Resolver::federation_cached(std::span<const std::string> identifiers) {
  return impl_->federation_cached(identifiers);
}

std::vector<std::pair<std::string, std::string>> Resolver::pinned_keys() { return impl_->pinned_keys(); }

nlohmann::json to_json(const LookupResult& r) {
  std::string text;
  append_json(text, r);
  return nlohmann::json::parse(text);
}

}  // namespace resolver
