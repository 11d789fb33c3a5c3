// Checking one peer's answer about one identifier (DESIGN.md §5): the §4.1 shape, then every
// mapping's assertion under the peer's pinned key, iss, sub and exp. Free functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "resolver/mapping.hpp"
#include "resolver/resolver.hpp"

namespace resolver {

// A peer's status in a lookup's `peers` list (DESIGN.md §4.1); each equals its wire string.
enum class PeerStatus { ok, timeout, error, bad_signature, skipped };
std::string_view peer_status_name(PeerStatus s);

// One peer's verified answer for one identifier.
struct PeerLookup {
  LookupStatus status = LookupStatus::not_found;
  std::vector<ServedMapping> mappings;  // source = the peer's domain; empty unless found
  UnixTime min_exp = 0;                 // earliest assertion expiry; 0 when no mappings
};

struct CheckedPeerAnswer {
  PeerStatus status = PeerStatus::error;  // ok, error (shape) or bad_signature
  PeerLookup lookup;                      // meaningful when ok
  // When not ok: one sentence on what was wrong, for the lookup's peers entry and the log. Names
  // no identifier and repeats nothing the peer sent (DESIGN.md §8). Empty when ok.
  std::string detail;
};

// Checks `answer` (what the peer sent for `canonical`) and verifies its mappings.
// ok: the answer, every mapping proved. error: not the §4.1 object for `canonical`.
// bad_signature: some assertion does not verify under `public_key` (raw 32 bytes), or its iss is
// not `domain`, its sub not `canonical`, its exp not after `now`, or its provider or user differ
// from the mapping's; the whole answer is then dropped (§5: one forged mapping taints it).
CheckedPeerAnswer check_peer_answer(const nlohmann::json& answer, const std::string& canonical,
                                    const std::string& domain, const std::string& public_key,
                                    UnixTime now);

}  // namespace resolver
