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
  CheckedPeerAnswer out;  // status error until proved otherwise
  if (!answer.is_object() || !is_string(answer, "identifier") || !is_string(answer, "status")) return out;
  if (answer["identifier"].get_ref<const std::string&>() != canonical) return out;
  const auto& status = answer["status"].get_ref<const std::string&>();
  auto mappings = answer.find("mappings");
  if (mappings == answer.end() || !mappings->is_array()) return out;
  if (status == "found") {
    if (mappings->empty()) return out;
    out.lookup.status = LookupStatus::found;
  } else if (status == "not_found" || status == "opted_out") {
    if (!mappings->empty()) return out;
    out.lookup.status = status == "not_found" ? LookupStatus::not_found : LookupStatus::opted_out;
  } else {
    return out;
  }
  for (const auto& m : *mappings) {
    if (!m.is_object() || !is_string(m, "provider") || !is_string(m, "user") || !is_string(m, "assertion")) {
      out.lookup = {};
      return out;
    }
  }

  // The pinned key is the only trust anchor: the kid is a hint we do not need (one key per peer).
  const KeyLookup pinned = [&](const std::string&) -> std::optional<std::string> { return public_key; };
  for (const auto& m : *mappings) {
    const auto& jws = m["assertion"].get_ref<const std::string&>();
    auto claims = verify_assertion(jws, pinned);
    if (!claims || claims->iss != domain || claims->sub != canonical || claims->exp <= now ||
        claims->provider != m["provider"].get_ref<const std::string&>() ||
        claims->user != m["user"].get_ref<const std::string&>()) {
      return {PeerStatus::bad_signature, {}};
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
