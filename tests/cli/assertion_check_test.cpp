// check_mapping: a table of honest and tampered mappings, each with its exact reason.
#include "cli/assertion_check.hpp"

#include <doctest/doctest.h>

#include "resolver/assertion.hpp"
#include "resolver/ed25519.hpp"

using nlohmann::json;

namespace {

constexpr resolver::UnixTime kNow = 1'800'000'000;
const std::string kId = "tel:+14155552671";

struct Dp {
  std::string domain;
  resolver::Ed25519PrivateKey key = resolver::Ed25519PrivateKey::generate().value();
  std::string kid = resolver::jwk_thumbprint(key.public_key());

  json mapping(const std::string& source, resolver::AssertionClaims claims) const {
    auto jws = resolver::sign_assertion(key, kid, claims).value();
    return {{"provider", claims.provider}, {"user", claims.user}, {"tags", claims.tags},
            {"keys", json::array()}, {"source", source}, {"assertion", jws}};
  }
  resolver::AssertionClaims claims(std::string iss = "") const {
    return {iss.empty() ? domain : iss, kId, "chat.example", "mimi://chat.example/u/1", {"personal"}, {}, kNow - 10, kNow + 3600};
  }
};

}  // namespace

TEST_CASE("check_mapping verifies honest mappings and names what is wrong with tampered ones") {
  const Dp self{"dp.example"}, peer{"dp2.example"}, stranger{"dp9.example"};
  cli::KeyDirectory keys;
  keys.add({self.domain, {{self.kid, self.key.public_key()}}, false, "the JWKS of dp.example"});
  keys.add({peer.domain, {{"pinned", peer.key.public_key()}}, true, "the key pinned for dp2.example"});

  const auto local = self.mapping("local", self.claims());
  auto ok = cli::check_mapping(local, kId, self.domain, keys, kNow);
  CHECK(ok.ok);
  CHECK(ok.issuer == "dp.example");
  CHECK(ok.kid == self.kid);
  CHECK(ok.origin == "the JWKS of dp.example");
  CHECK(ok.exp == kNow + 3600);
  // A pinned key proves the peer's assertion whatever its kid, as the federation does.
  CHECK(cli::check_mapping(peer.mapping("dp2.example", peer.claims()), kId, self.domain, keys, kNow).ok);

  auto expired = self.claims();
  expired.exp = kNow;
  auto other_sub = self.claims();
  other_sub.sub = "tel:+14155550000";
  json changed_user = local, changed_tags = local, no_assertion = local, forged_source = local;
  changed_user["user"] = "mimi://evil.example/u/2";
  changed_tags["tags"] = json::array({"work"});
  no_assertion.erase("assertion");
  forged_source["source"] = "dp2.example";
  const std::string jws = local["assertion"];
  json bad_signature = local;
  std::string flipped = jws;
  char& c = flipped[flipped.size() - 10];  // inside the signature, away from its last character's padding bits
  c = c == 'A' ? 'B' : 'A';
  bad_signature["assertion"] = flipped;

  const struct {
    const char* name;
    json mapping;
    std::string reason;
  } cases[] = {
      {"signature", bad_signature, "The assertion's signature does not verify. (keys: the JWKS of dp.example)"},
      {"user", changed_user, "The mapping's provider or user differs from what its assertion signs."},
      {"tags", changed_tags, "The mapping's tags or keys differ from what its assertion signs."},
      {"expired", self.mapping("local", expired), "The assertion has expired (exp 2027-01-15T08:00:00Z)."},
      {"sub", self.mapping("local", other_sub), "The assertion is about another identifier (sub) than the one looked up."},
      {"missing", no_assertion, "The mapping lacks its provider, user or assertion."},
      {"source", forged_source, "The assertion is signed in the name of dp.example, but the mapping's source is dp2.example."},
      {"unknown issuer", stranger.mapping("dp9.example", stranger.claims()),
       "No keys are known for the issuer dp9.example: the server does not publish a key for it; pass --issuer-url dp9.example=URL."},
      {"wrong key", stranger.mapping("dp2.example", stranger.claims("dp2.example")),
       "The assertion's signature does not verify. (keys: the key pinned for dp2.example)"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto r = cli::check_mapping(c.mapping, kId, self.domain, keys, kNow);
    CHECK_FALSE(r.ok);
    CHECK(r.reason == c.reason);
  }
}
