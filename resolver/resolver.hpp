// Resolver: answers lookups (DESIGN.md §4.1, §4.2) from the local index, signs each mapping with
// this DP's active key through a bounded assertion cache, and merges peer answers (§5): local
// first, then peers in domain order, each (provider, user) once. A local opt-out wins: the peers
// are not asked. A peer's opted_out contributes no mapping and does not make the answer opted_out
// (the opt-out was made at that DP; revealing it here would leak it).
// Thread-safe: lookups may run concurrently from any number of threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "resolver/clock.hpp"
#include "resolver/identifier.hpp"
#include "resolver/keyring.hpp"
#include "resolver/mapping.hpp"
#include "resolver/status.hpp"
#include "resolver/store.hpp"

namespace resolver {

class Federation;

struct ResolverOptions {
  std::int64_t assertion_ttl_s = 86400;       // DESIGN §9 assertion_ttl_s
  std::size_t assertion_cache_entries = 50000;  // bound of the signed-assertion cache (~45 MB)
  // Asks peers for lookups with federate=true; null answers from the local index alone. Must
  // outlive the resolver.
  Federation* federation = nullptr;
};

// How a lookup is answered; a batch shares them (DESIGN §4.2).
struct LookupOptions {
  std::optional<std::string> provider;  // keep only this provider's mappings
  bool federate = true;                 // ask peers too
};

struct LookupQuery {
  std::string input;      // as the caller sent it
  std::string region;     // ISO 3166 alpha-2, or empty
  LookupOptions options;
};

enum class LookupStatus { found, not_found, opted_out };
std::string_view lookup_status_name(LookupStatus s);

struct ServedMapping {
  Mapping mapping;
  std::string source;     // "local" or the peer DP's domain
  std::string assertion;  // JWS compact serialization
};

struct PeerReport {
  std::string domain;
  std::string status;  // ok, timeout, error, bad_signature, skipped
  std::int64_t ms = 0;
  std::string detail;  // why the status is not ok, one sentence (PeerResult::detail); empty when ok
};

struct LookupResult {
  Identifier identifier;
  LookupStatus status = LookupStatus::not_found;
  std::vector<ServedMapping> mappings;
  bool complete = true;
  std::vector<PeerReport> peers;
};

// The JSON object of DESIGN §4.1, as a tree (for the CLI and tests; the service writes the text
// with resolver/lookup_json.hpp).
nlohmann::json to_json(const LookupResult& r);

class Resolver {
 public:
  // `store`, `keyring` and `clock` must outlive the resolver. REQUIRES: keyring loaded.
  Resolver(Store& store, Keyring& keyring, const Clock& clock, ResolverOptions options = {});
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;
  ~Resolver();

  // One identifier. invalid_identifier when it does not parse; unavailable/internal when the
  // index cannot be read or signing fails. not_found and opted_out are results, not errors.
  Result<LookupResult> lookup(const LookupQuery& query);

  // Many identifiers, parsed by the caller (once: the service charges the rate limiter with the
  // same canonical forms), with one store round trip; one entry per input in input order. An
  // entry that failed to parse keeps its status. The whole call fails (unavailable/internal)
  // only when the index cannot be read or signing fails.
  Result<std::vector<Result<LookupResult>>> lookup_batch(std::vector<Result<Identifier>> parsed,
                                                        const LookupOptions& options);

  // True when a federated lookup would ask at least one peer, i.e. may wait on the network.
  bool has_peers();
  // True when a federated lookup of these canonical identifiers would ask no peer: every peer's
  // answer is cached (Federation::answers_from_cache), or there is no federation.
  bool federation_cached(std::span<const std::string> identifiers);

  // The peers' domains and pinned keys (Federation::pinned_keys); empty without a federation.
  std::vector<std::pair<std::string, std::string>> pinned_keys();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace resolver
