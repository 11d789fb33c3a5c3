// What peers send (resolver/peer_answer.hpp, resolver/assertion.hpp), under a pinned key made from a
// fixed seed (32 bytes of 0x2a; the seeds of fuzz/corpus/fuzz_peer_answer are signed with it).
// Input: one byte, then the text. The byte's value mod 4 chooses what the text is:
//   0 a peer's answer (JSON) for tel:+14155552671 from peer.example -> check_peer_answer
//   1 a JWS -> verify_assertion (kid "k1" is the pinned key, any other kid is unknown)
//   2 an assertion payload, signed here so that the claims are read -> verify_assertion, then
//     check_peer_answer of an answer holding it (the fuzzer cannot forge signatures itself)
//   3 a public key as peers are added (base64url or JWK) -> parse_public_key
// Beyond "no crash": an answer that passes is consistent (found <=> mappings, each for the
// identifier asked, from the peer, unexpired).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "resolver/assertion.hpp"
#include "resolver/base64url.hpp"
#include "resolver/ed25519.hpp"
#include "resolver/peer_answer.hpp"

namespace {

const std::string kCanonical = "tel:+14155552671";
const std::string kDomain = "peer.example";
constexpr resolver::UnixTime kNow = 1'800'000'000;

const resolver::Ed25519PrivateKey& key() {
  static const auto k = *resolver::Ed25519PrivateKey::from_seed(std::string(32, '\x2a'));
  return k;
}

std::optional<std::string> pinned(const std::string& kid) {
  if (kid == "k1") return key().public_key();
  return std::nullopt;
}

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_peer_answer: %s\n", what);
  std::abort();
}

void check(const nlohmann::json& answer) {
  auto checked = resolver::check_peer_answer(answer, kCanonical, kDomain, key().public_key(), kNow);
  if (checked.status != resolver::PeerStatus::ok) {
    if (checked.detail.empty()) fail("a refused answer without a sentence");
    return;
  }
  const auto& lookup = checked.lookup;
  if ((lookup.status == resolver::LookupStatus::found) == lookup.mappings.empty()) fail("found <=> mappings broken");
  for (const auto& m : lookup.mappings) {
    if (m.mapping.identifier != kCanonical || m.source != kDomain) fail("a mapping about something else");
  }
  if (!lookup.mappings.empty() && lookup.min_exp <= kNow) fail("an expired mapping passed");
}

// A JWS over `payload` with the header our peers send, signed with the pinned key.
std::string sign(std::string_view payload) {
  std::string jws = resolver::base64url_encode(R"({"alg":"EdDSA","kid":"k1","typ":"mimi-mapping+jwt"})");
  jws += '.';
  jws += resolver::base64url_encode(payload);
  auto signature = key().sign(jws);
  if (!signature) fail("signing failed");
  jws += '.';
  jws += resolver::base64url_encode(*signature);
  return jws;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {
      auto answer = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
      if (!answer.is_discarded()) check(answer);
      break;
    }
    case 1:
      (void)resolver::verify_assertion(text, pinned);
      break;
    case 2: {
      const std::string jws = sign(text);
      auto claims = resolver::verify_assertion(jws, pinned);
      if (!claims) break;
      check({{"identifier", kCanonical},
             {"status", "found"},
             {"mappings", {{{"provider", claims->provider}, {"user", claims->user}, {"assertion", jws}}}}});
      break;
    }
    case 3:
      (void)resolver::parse_public_key(text);
      break;
  }
  return 0;
}
