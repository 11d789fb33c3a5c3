// Mapping assertions as JWS compact serializations (RFC 7515 §7.1) signed with EdDSA (RFC 8037 §3.1).
// Verification is strict: JWS's flexibility (alg choice, header-supplied keys, duplicate members)
// is where its known attacks live, and we only ever need the one shape DESIGN.md §4.4 fixes.
#include "resolver/assertion.hpp"

#include <cstdint>
#include <limits>
#include <set>
#include <vector>

#include "resolver/base64url.hpp"

namespace resolver {
namespace {

// Far above any real assertion (a few hundred bytes) and far below max_peer_response_bytes, so a
// hostile peer cannot make us decode megabytes per mapping.
constexpr std::size_t kMaxAssertionBytes = 64 * 1024;

Status malformed(std::string reason) { return Status(Code::invalid_request, std::move(reason)); }

// Parses a JSON object, rejecting duplicate member names at any depth: RFC 7515 §5.2 allows
// "last one wins", but then two parsers can read different headers from the same bytes.
std::optional<nlohmann::json> parse_object(std::string_view text) {
  std::vector<std::set<std::string>> open_objects;
  bool duplicate = false;
  const nlohmann::json::parser_callback_t check = [&](int, nlohmann::json::parse_event_t event,
                                                      nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (event == Event::object_start) open_objects.emplace_back();
    if (event == Event::object_end && !open_objects.empty()) open_objects.pop_back();
    if (event == Event::key && !open_objects.empty() &&
        !open_objects.back().insert(parsed.get<std::string>()).second) {
      duplicate = true;
    }
    return true;
  };
  auto json = nlohmann::json::parse(text, check, /*allow_exceptions=*/false);
  if (json.is_discarded() || duplicate || !json.is_object()) return std::nullopt;
  return json;
}

// Reads a base64url segment holding a JSON object; `what` names it in the error.
Result<nlohmann::json> decode_object(std::string_view segment, const char* what) {
  const auto bytes = base64url_decode(segment);
  if (!bytes) return malformed(std::string("The assertion's ") + what + " is not base64url.");
  auto json = parse_object(*bytes);
  if (!json) {
    return malformed(std::string("The assertion's ") + what +
                     " is not a JSON object with unique member names.");
  }
  return std::move(*json);
}

Status check_header(const nlohmann::json& header) {
  for (const auto& [name, value] : header.items()) {
    // Exactly the members DESIGN.md §4.4 defines. In particular "crit" (which RFC 7515 §4.1.11
    // says to reject when not understood) and key-carrying members (jwk, jku, x5u) are refused.
    if (name != "alg" && name != "kid" && name != "typ") {
      return malformed("The assertion's header has a member other than alg, kid and typ.");
    }
  }
  const auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string()) return malformed("The assertion's header has no alg.");
  if (*alg == "none") return malformed("The assertion is unsigned (alg \"none\"); only EdDSA is accepted.");
  if (*alg != "EdDSA") return malformed("The assertion's alg is not EdDSA, the only one accepted.");
  const auto typ = header.find("typ");
  if (typ == header.end() || !typ->is_string() || typ->get_ref<const std::string&>() != kAssertionType) {
    return malformed("The assertion's typ is not mimi-mapping+jwt.");
  }
  const auto kid = header.find("kid");
  if (kid == header.end() || !kid->is_string() || kid->get_ref<const std::string&>().empty()) {
    return malformed("The assertion's header has no kid.");
  }
  return Status::Ok();
}

bool read_string(const nlohmann::json& claims, const char* name, std::string& out) {
  const auto it = claims.find(name);
  if (it == claims.end() || !it->is_string()) return false;
  out = it->get<std::string>();
  return true;
}

// Integral JSON numbers only: 1.5 or 1e9 is not a NumericDate we produce.
bool read_time(const nlohmann::json& claims, const char* name, UnixTime& out) {
  const auto it = claims.find(name);
  if (it == claims.end()) return false;
  if (it->is_number_unsigned()) {
    const auto v = it->get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(std::numeric_limits<UnixTime>::max())) return false;
    out = static_cast<UnixTime>(v);
    return true;
  }
  if (!it->is_number_integer()) return false;
  out = it->get<std::int64_t>();
  return true;
}

Result<AssertionClaims> read_claims(const nlohmann::json& payload) {
  AssertionClaims c;
  const std::pair<const char*, std::string*> strings[] = {
      {"iss", &c.iss}, {"sub", &c.sub}, {"provider", &c.provider}, {"user", &c.user}};
  for (const auto& [name, field] : strings) {
    if (!read_string(payload, name, *field)) {
      return malformed(std::string("The assertion's claim ") + name + " is missing or not a string.");
    }
  }
  const auto tags = payload.find("tags");
  if (tags == payload.end() || !tags->is_array()) return malformed("The assertion's claim tags is not an array.");
  for (const auto& tag : *tags) {
    if (!tag.is_string()) return malformed("The assertion's claim tags holds a non-string.");
    c.tags.push_back(tag.get<std::string>());
  }
  const auto keys = payload.find("keys");
  if (keys == payload.end() || !keys->is_array()) return malformed("The assertion's claim keys is not an array.");
  for (const auto& key : *keys) {
    UserKey k;
    if (!key.is_object() || !read_string(key, "kind", k.kind) || !read_string(key, "id", k.id) ||
        !read_string(key, "key", k.key)) {
      return malformed("The assertion's claim keys holds an entry without string kind, id and key.");
    }
    c.keys.push_back(std::move(k));
  }
  if (!read_time(payload, "iat", c.iat)) return malformed("The assertion's claim iat is not an integer.");
  if (!read_time(payload, "exp", c.exp)) return malformed("The assertion's claim exp is not an integer.");
  return c;
}

}  // namespace

AssertionClaims claims_for(const Mapping& m, const std::string& iss, UnixTime now, std::int64_t ttl_s) {
  UnixTime exp = now + ttl_s;
  if (m.expires_at && *m.expires_at < exp) exp = *m.expires_at;
  return AssertionClaims{iss, m.identifier, m.provider, m.user, m.tags, m.keys, now, exp};
}

Result<std::string> sign_assertion(const Ed25519PrivateKey& key, const std::string& kid,
                                   const AssertionClaims& claims) {
  // nlohmann::json orders members by name, which gives exactly alg, kid, typ.
  const nlohmann::json header = {{"alg", "EdDSA"}, {"kid", kid}, {"typ", kAssertionType}};
  // ordered_json keeps DESIGN.md §4.4's order, which reads better when decoded by hand.
  nlohmann::ordered_json keys = nlohmann::ordered_json::array();
  for (const auto& k : claims.keys) keys.push_back({{"kind", k.kind}, {"id", k.id}, {"key", k.key}});
  const nlohmann::ordered_json payload = {
      {"iss", claims.iss},   {"sub", claims.sub},   {"provider", claims.provider},
      {"user", claims.user}, {"tags", claims.tags}, {"keys", std::move(keys)},
      {"iat", claims.iat},   {"exp", claims.exp}};
  // dump() throws on invalid UTF-8; the strict handler replaces nothing, so catch and report.
  std::string signing_input;
  try {
    signing_input = base64url_encode(header.dump()) + "." + base64url_encode(payload.dump());
  } catch (const nlohmann::json::exception&) {
    return Status(Code::invalid_request, "The mapping holds text that is not valid UTF-8.");
  }
  auto signature = key.sign(signing_input);
  if (!signature) return signature.status();
  signing_input += '.';
  signing_input += base64url_encode(*signature);
  return signing_input;
}

Result<AssertionClaims> verify_assertion(std::string_view jws, const KeyLookup& keys) {
  if (jws.size() > kMaxAssertionBytes) return malformed("The assertion is longer than 65536 bytes.");
  const auto first = jws.find('.');
  const auto second = first == std::string_view::npos ? first : jws.find('.', first + 1);
  if (second == std::string_view::npos || jws.find('.', second + 1) != std::string_view::npos) {
    return malformed("The assertion is not a JWS compact serialization of three parts.");
  }
  const auto header_b64 = jws.substr(0, first);
  const auto payload_b64 = jws.substr(first + 1, second - first - 1);
  const auto signature_b64 = jws.substr(second + 1);
  if (header_b64.empty() || payload_b64.empty() || signature_b64.empty()) {
    return malformed("The assertion has an empty part.");
  }

  auto header = decode_object(header_b64, "header");
  if (!header) return header.status();
  if (Status s = check_header(*header); !s.ok()) return s;
  const auto public_key = keys((*header)["kid"].get<std::string>());
  if (!public_key) return malformed("The assertion's kid is not a known key of its issuer.");

  const auto signature = base64url_decode(signature_b64);
  if (!signature || signature->size() != kEd25519SignatureBytes) {
    return malformed("The assertion's signature is not 64 bytes of base64url.");
  }
  // RFC 7515 §5.2 step 8: over the ASCII of the received header and payload segments, as sent.
  if (!ed25519_verify(*public_key, jws.substr(0, second), *signature)) {
    return malformed("The assertion's signature does not verify.");
  }
  // Only now, with the bytes authenticated, is the payload parsed.
  auto payload = decode_object(payload_b64, "payload");
  if (!payload) return payload.status();
  return read_claims(*payload);
}

}  // namespace resolver
