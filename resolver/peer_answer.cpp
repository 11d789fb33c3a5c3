// Peer answers: shape first (cheap, gives `error`), then signatures (gives `bad_signature`).
#include "resolver/peer_answer.hpp"

#include "resolver/assertion.hpp"

namespace resolver {
namespace {

bool is_string(const nlohmann::json& o, const char* name) {
  auto it = o.find(name);
  return it != o.end() && it->is_string();
}

std::optional<UnixTime> read_time(const nlohmann::json& o, const char* name) {
  auto it = o.find(name);
  if (it == o.end() || !it->is_string()) return std::nullopt;
  return parse_rfc3339(it->get<std::string>());
}

// Why the assertion `claims` (as verified) does not prove mapping `m` for `canonical` at `domain`;
// null when it does.
const char* disproof(const Result<AssertionClaims>& claims, const nlohmann::json& m,
                     const std::string& canonical, const std::string& domain, UnixTime now) {
  if (!claims) {
    return "An assertion from the peer does not verify under its pinned key; if the peer rotated "
           "its key, add the peer again with the new one.";
  }
  if (claims->iss != domain) return "An assertion from the peer names another issuer (iss) than the peer's domain.";
  if (claims->sub != canonical) return "An assertion from the peer is about another identifier (sub) than the one asked.";
  if (claims->exp <= now) return "An assertion from the peer has expired (exp); check the clocks of both DPs.";
  if (claims->provider != m["provider"].get_ref<const std::string&>() ||
      claims->user != m["user"].get_ref<const std::string&>()) {
    return "A mapping from the peer differs from what its assertion signs (provider or user).";
  }
  return nullptr;
}

}  // namespace

std::string_view peer_status_name(PeerStatus s) {
  switch (s) {
    case PeerStatus::ok: return "ok";
    case PeerStatus::timeout: return "timeout";
    case PeerStatus::error: return "error";
    case PeerStatus::bad_signature: return "bad_signature";
    case PeerStatus::skipped: return "skipped";
  }
  return "error";
}

CheckedPeerAnswer check_peer_answer(const nlohmann::json& answer, const std::string& canonical,
                                    const std::string& domain, const std::string& public_key,
                                    UnixTime now) {
  // The sentences name what was wrong and never echo the peer's values (DESIGN.md §8).
  const auto error = [](const char* detail) { return CheckedPeerAnswer{PeerStatus::error, {}, detail}; };
  if (answer.is_object() && answer.contains("error") && !answer.contains("identifier")) {
    return error("The peer answered an error entry instead of a lookup object.");
  }
  if (!answer.is_object() || !is_string(answer, "identifier") || !is_string(answer, "status")) {
    return error("The peer's answer is not a lookup object (identifier, status, mappings).");
  }
  if (answer["identifier"].get_ref<const std::string&>() != canonical) {
    return error("The peer's answer is about another identifier than the one asked.");
  }
  const auto& status = answer["status"].get_ref<const std::string&>();
  auto mappings = answer.find("mappings");
  if (mappings == answer.end() || !mappings->is_array()) {
    return error("The peer's answer is not a lookup object (identifier, status, mappings).");
  }
  CheckedPeerAnswer out;
  if (status == "found") {
    if (mappings->empty()) return error("The peer's answer is found but has no mappings.");
    out.lookup.status = LookupStatus::found;
  } else if (status == "not_found" || status == "opted_out") {
    if (!mappings->empty()) return error("The peer's answer has mappings with a status other than found.");
    out.lookup.status = status == "not_found" ? LookupStatus::not_found : LookupStatus::opted_out;
  } else {
    return error("The peer's answer has a status other than found, not_found or opted_out.");
  }
  for (const auto& m : *mappings) {
    if (!m.is_object() || !is_string(m, "provider") || !is_string(m, "user") || !is_string(m, "assertion")) {
      return error("A mapping in the peer's answer lacks its provider, user or assertion.");
    }
  }

  // The pinned key is the only trust anchor: the kid is a hint we do not need (one key per peer).
  const KeyLookup pinned = [&](const std::string&) -> std::optional<std::string> { return public_key; };
  for (const auto& m : *mappings) {
    const auto& jws = m["assertion"].get_ref<const std::string&>();
    auto claims = verify_assertion(jws, pinned);
    if (const char* wrong = disproof(claims, m, canonical, domain, now)) {
      return {PeerStatus::bad_signature, {}, wrong};
    }
    ServedMapping served;
    // What the signature covers comes from the claims; only the unsigned times from the JSON.
    served.mapping.identifier = claims->sub;
    served.mapping.provider = claims->provider;
    served.mapping.user = claims->user;
    served.mapping.tags = claims->tags;
    served.mapping.keys = claims->keys;
    served.mapping.updated_at = read_time(m, "updated_at").value_or(claims->iat);
    served.mapping.expires_at = read_time(m, "expires_at");
    served.source = domain;
    served.assertion = jws;
    if (out.lookup.min_exp == 0 || claims->exp < out.lookup.min_exp) out.lookup.min_exp = claims->exp;
    out.lookup.mappings.push_back(std::move(served));
  }
  out.status = PeerStatus::ok;
  return out;
}

}  // namespace resolver
