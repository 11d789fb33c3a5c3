// Checking one mapping of an answer: the keys are chosen by the iss the payload names, then
// everything the verdict rests on is read from the verified claims only.
#include "cli/assertion_check.hpp"

#include "resolver/assertion.hpp"
#include "resolver/base64url.hpp"

namespace cli {
namespace {

const std::string* string_member(const nlohmann::json& o, const char* name) {
  const auto it = o.is_object() ? o.find(name) : o.end();
  return it != o.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}

// The part `index` (0 header, 1 payload) of a JWS compact serialization, decoded as JSON.
nlohmann::json unverified_part(const std::string& jws, int index) {
  const auto first = jws.find('.');
  if (first == std::string::npos) return nullptr;
  const auto second = jws.find('.', first + 1);
  const auto part = index == 0 ? jws.substr(0, first) : jws.substr(first + 1, second - first - 1);
  const auto bytes = resolver::base64url_decode(part);
  if (!bytes) return nullptr;
  auto j = nlohmann::json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? nlohmann::json(nullptr) : j;
}

// Whether the mapping's tags and keys are what the claims sign (absent counts as empty).
bool same_tags_and_keys(const nlohmann::json& m, const resolver::AssertionClaims& c) {
  nlohmann::json tags = nlohmann::json::array(), keys = nlohmann::json::array();
  for (const auto& t : c.tags) tags.push_back(t);
  for (const auto& k : c.keys) keys.push_back({{"kind", k.kind}, {"id", k.id}, {"key", k.key}});
  const auto shown = [&](const char* name) {
    const auto it = m.find(name);
    return it == m.end() || it->is_null() ? nlohmann::json::array() : *it;
  };
  return shown("tags") == tags && shown("keys") == keys;
}

}  // namespace

std::string unverified_issuer(const std::string& jws) {
  const auto payload = unverified_part(jws, 1);
  const auto* iss = string_member(payload, "iss");
  return iss ? *iss : std::string();
}

MappingCheck check_mapping(const nlohmann::json& mapping, const std::string& canonical,
                           const std::string& server_issuer, const KeyDirectory& keys,
                           resolver::UnixTime now) {
  MappingCheck out;
  const auto fail = [&out](std::string reason) {
    out.reason = std::move(reason);
    return out;
  };
  const auto* jws = string_member(mapping, "assertion");
  const auto* provider = string_member(mapping, "provider");
  const auto* user = string_member(mapping, "user");
  if (!jws || !provider || !user) return fail("The mapping lacks its provider, user or assertion.");
  out.issuer = unverified_issuer(*jws);
  const nlohmann::json header = unverified_part(*jws, 0);
  if (const auto* kid = string_member(header, "kid")) out.kid = *kid;
  if (out.issuer.empty()) return fail("The assertion's payload names no issuer (iss).");
  const auto* source = string_member(mapping, "source");
  const std::string expected = !source || *source == "local" ? server_issuer : *source;
  if (out.issuer != expected) {
    return fail("The assertion is signed in the name of " + out.issuer + ", but the mapping's source is " +
                expected + ".");
  }
  const IssuerKeys* trusted = keys.find(out.issuer);
  if (!trusted) {
    return fail("No keys are known for the issuer " + out.issuer +
                ": the server does not publish a key for it; pass --issuer-url " + out.issuer + "=URL.");
  }
  const resolver::KeyLookup lookup = [trusted](const std::string& kid) -> std::optional<std::string> {
    if (trusted->any_kid && !trusted->keys.empty()) return trusted->keys.begin()->second;
    auto it = trusted->keys.find(kid);
    if (it == trusted->keys.end()) return std::nullopt;
    return it->second;
  };
  auto claims = resolver::verify_assertion(*jws, lookup);
  if (!claims) return fail(claims.status().message() + " (keys: " + trusted->origin + ")");
  if (claims->iss != out.issuer) return fail("The assertion names another issuer (iss) than the one it was checked for.");
  if (claims->sub != canonical) return fail("The assertion is about another identifier (sub) than the one looked up.");
  if (claims->exp <= now) return fail("The assertion has expired (exp " + resolver::format_rfc3339(claims->exp) + ").");
  if (claims->provider != *provider || claims->user != *user) {
    return fail("The mapping's provider or user differs from what its assertion signs.");
  }
  if (!same_tags_and_keys(mapping, *claims)) return fail("The mapping's tags or keys differ from what its assertion signs.");
  out.ok = true;
  out.origin = trusted->origin;
  out.exp = claims->exp;
  return out;
}

}  // namespace cli
