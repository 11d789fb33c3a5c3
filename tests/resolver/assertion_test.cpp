// Tests for resolver/assertion.hpp: round trips, tampering, strict parsing, exp capping, and
// interop with jwcrypto, a standard JOSE library (tests/tools/verify_jws.py).
#include "resolver/assertion.hpp"

#include <doctest/doctest.h>

#include <string>

#include "resolver/base64url.hpp"
#include "tests/support/process.hpp"

using namespace resolver;

namespace {

const std::string kSeed(32, '\x07');

struct Fixture {
  Ed25519PrivateKey key = *Ed25519PrivateKey::from_seed(kSeed);
  std::string kid = jwk_thumbprint(key.public_key());
  KeyLookup lookup = [this](const std::string& k) -> std::optional<std::string> {
    if (k == kid) return key.public_key();
    return std::nullopt;
  };

  AssertionClaims claims() const {
    Mapping m;
    m.identifier = "tel:+14155552671";
    m.provider = "chat.example";
    m.user = "mimi://chat.example/u/8c1f3a";
    m.tags = {"personal", "work"};
    m.keys = {{"ed25519", "k1", "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}};
    return claims_for(m, "dp.example", 1'800'000'000, 86'400);
  }
  std::string sign() const { return *sign_assertion(key, kid, claims()); }

  // A JWS with arbitrary header and payload texts, correctly signed, to reach the checks that
  // follow the signature.
  std::string forge(const std::string& header, const std::string& payload) const {
    const std::string input = base64url_encode(header) + "." + base64url_encode(payload);
    return input + "." + base64url_encode(*key.sign(input));
  }
  std::string good_header() const {
    return R"({"alg":"EdDSA","kid":")" + kid + R"(","typ":"mimi-mapping+jwt"})";
  }
};

struct Parts {
  std::string header, payload, signature;
};
Parts split(const std::string& jws) {
  const auto a = jws.find('.');
  const auto b = jws.find('.', a + 1);
  return {jws.substr(0, a), jws.substr(a + 1, b - a - 1), jws.substr(b + 1)};
}

void check_rejected(const Result<AssertionClaims>& r, std::string_view reason = {}) {
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == Code::invalid_request);
  CHECK(r.status().message().back() == '.');
  if (!reason.empty()) CHECK(r.status().message().find(reason) != std::string::npos);
}

}  // namespace

TEST_CASE("assertion: round trip") {
  Fixture f;
  const std::string jws = f.sign();
  const auto parts = split(jws);
  CHECK(*base64url_decode(parts.header) == f.good_header());
  auto claims = verify_assertion(jws, f.lookup);
  REQUIRE(claims.ok());
  const auto want = f.claims();
  CHECK(claims->iss == "dp.example");
  CHECK(claims->sub == want.sub);
  CHECK(claims->provider == want.provider);
  CHECK(claims->user == want.user);
  CHECK(claims->tags == want.tags);
  CHECK(claims->keys == want.keys);
  CHECK(claims->iat == 1'800'000'000);
  CHECK(claims->exp == 1'800'086'400);
}

TEST_CASE("assertion: claims_for caps exp by the mapping's expires_at") {
  Mapping m;
  m.identifier = "mailto:alice@example.com";
  const UnixTime now = 1'800'000'000;
  CHECK(claims_for(m, "dp.example", now, 3600).exp == now + 3600);  // no expiry
  m.expires_at = now + 60;
  auto c = claims_for(m, "dp.example", now, 3600);
  CHECK(c.iat == now);
  CHECK(c.exp == now + 60);
  m.expires_at = now + 7200;
  CHECK(claims_for(m, "dp.example", now, 3600).exp == now + 3600);
  CHECK(claims_for(m, "dp.example", now, 3600).sub == "mailto:alice@example.com");
}

TEST_CASE("assertion: a tampered payload fails") {
  Fixture f;
  auto parts = split(f.sign());
  std::string payload = *base64url_decode(parts.payload);
  payload.replace(payload.find("8c1f3a"), 6, "evil00");
  check_rejected(verify_assertion(parts.header + "." + base64url_encode(payload) + "." + parts.signature,
                                  f.lookup),
                 "does not verify");
}

TEST_CASE("assertion: a tampered header fails, even one that means the same") {
  Fixture f;
  auto parts = split(f.sign());
  const std::string reordered = R"({"typ":"mimi-mapping+jwt","kid":")" + f.kid + R"(","alg":"EdDSA"})";
  check_rejected(verify_assertion(base64url_encode(reordered) + "." + parts.payload + "." + parts.signature,
                                  f.lookup),
                 "does not verify");
}

TEST_CASE("assertion: a wrong key fails, an unknown kid fails") {
  Fixture f;
  const std::string jws = f.sign();
  const auto other = *Ed25519PrivateKey::generate();
  check_rejected(verify_assertion(jws, [&](const std::string&) { return std::optional(other.public_key()); }),
                 "does not verify");
  check_rejected(verify_assertion(jws, [](const std::string&) { return std::optional<std::string>(); }),
                 "kid");
}

TEST_CASE("assertion: alg none and other algs fail") {
  Fixture f;
  const std::string payload = *base64url_decode(split(f.sign()).payload);
  const std::string none = R"({"alg":"none","kid":")" + f.kid + R"(","typ":"mimi-mapping+jwt"})";
  // Unsigned, as an attacker would send it, and "signed" to get past the empty-part check.
  check_rejected(verify_assertion(base64url_encode(none) + "." + base64url_encode(payload) + ".", f.lookup));
  check_rejected(verify_assertion(f.forge(none, payload), f.lookup), "none");
  for (const char* alg : {"HS256", "ES256", "RS256", "eddsa", "Ed25519"}) {
    CAPTURE(alg);
    const std::string header = R"({"alg":")" + std::string(alg) + R"(","kid":")" + f.kid +
                               R"(","typ":"mimi-mapping+jwt"})";
    check_rejected(verify_assertion(f.forge(header, payload), f.lookup), "alg");
  }
}

TEST_CASE("assertion: malformed inputs are rejected") {
  Fixture f;
  const std::string h = f.good_header();
  const std::string kid = f.kid;
  const std::string p = *base64url_decode(split(f.sign()).payload);
  const auto with = [&](std::string text, const std::string& from, const std::string& to) {
    text.replace(text.find(from), from.size(), to);
    return text;
  };
  const auto sig = split(f.sign()).signature;
  const auto hb = split(f.sign()).header;
  const auto pb = split(f.sign()).payload;
  const struct {
    std::string jws;
    const char* reason;
  } cases[] = {
      {"", "three parts"},
      {"abc", "three parts"},
      {hb + "." + pb, "three parts"},
      {hb + "." + pb + "." + sig + ".", "three parts"},
      {"..", "empty part"},
      {hb + ".." + sig, "empty part"},
      {"." + pb + "." + sig, "empty part"},
      {hb + "." + pb + ".", "empty part"},
      {hb + "=." + pb + "." + sig, "header is not base64url"},
      {hb + "." + pb + "." + sig + "A", "signature is not 64"},
      {hb + "." + pb + "." + sig.substr(0, 40), "signature is not 64"},
      {hb + "." + pb + "." + with(sig, sig.substr(0, 1), "*"), "signature is not 64"},
      {std::string(70'000, 'A') + "." + pb + "." + sig, "longer than"},
      {f.forge("not json", p), "header is not a JSON object"},
      {f.forge("[1]", p), "header is not a JSON object"},
      {f.forge(R"({"alg":"EdDSA","alg":"EdDSA","kid":")" + kid + R"(","typ":"mimi-mapping+jwt"})", p), "header is not a JSON object"},
      {f.forge(R"({"kid":")" + kid + R"(","typ":"mimi-mapping+jwt"})", p), "no alg"},
      {f.forge(R"({"alg":5,"kid":")" + kid + R"(","typ":"mimi-mapping+jwt"})", p), "no alg"},
      {f.forge(R"({"alg":"EdDSA","kid":")" + kid + R"("})", p), "typ"},
      {f.forge(with(h, "mimi-mapping+jwt", "JWT"), p), "typ"},
      {f.forge(with(h, "\"" + kid + "\"", "7"), p), "no kid"},
      {f.forge(with(h, "\"" + kid + "\"", "\"\""), p), "no kid"},
      {f.forge(with(h, "{", R"({"crit":["exp"],)"), p), "other than alg"},
      {f.forge(with(h, "{", R"({"jku":"https://evil.example/jwks",)"), p), "other than alg"},
      {f.forge(h, "not json"), "payload is not a JSON object"},
      {f.forge(h, "[]"), "payload is not a JSON object"},
      {f.forge(h, "{\"iss\":\"a\",\"iss\":\"b\"," + p.substr(1)), "payload is not a JSON object"},
      {f.forge(h, with(p, R"("iss":"dp.example",)", "")), "iss"},
      {f.forge(h, with(p, R"("sub":"tel:+14155552671")", R"("sub":14155552671)")), " sub"},
      {f.forge(h, with(p, R"("user":"mimi://chat.example/u/8c1f3a")", R"("user":null)")), "user"},
      {f.forge(h, with(p, R"("tags":["personal","work"])", R"("tags":"personal")")), "tags is not"},
      {f.forge(h, with(p, R"("tags":["personal","work"])", R"("tags":["personal",3])")), "tags holds"},
      {f.forge(h, with(p, R"(,"key":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo")", "")), "keys holds"},
      {f.forge(h, with(p, R"("keys":[)", R"("keys":["k",)")), "keys holds"},
      {f.forge(h, with(p, R"("iat":1800000000)", R"("iat":1800000000.5)")), "iat"},
      {f.forge(h, with(p, R"("exp":1800086400)", R"("exp":"1800086400")")), "exp"},
      {f.forge(h, with(p, R"(,"exp":1800086400)", "")), "exp"},
      {f.forge(h, with(p, R"("exp":1800086400)", R"("exp":18446744073709551615)")), "exp"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.jws.substr(0, 200));
    check_rejected(verify_assertion(c.jws, f.lookup), c.reason);
  }
}

TEST_CASE("assertion: text that is not UTF-8 cannot be signed") {
  Fixture f;
  auto claims = f.claims();
  claims.user = "mimi://chat.example/u/\xff";
  auto jws = sign_assertion(f.key, f.kid, claims);
  REQUIRE_FALSE(jws.ok());
  CHECK(jws.status().code() == Code::invalid_request);
}

TEST_CASE("assertion: jwcrypto (a standard JOSE library) verifies our assertions") {
  const std::string python = "/usr/bin/python3";
  const auto probe = test::run({python, "-c", "import jwcrypto"});
  if (probe.exit_code != 0) {
    FAIL("python3-jwcrypto is missing: apt-get install -y python3-jwcrypto");
  }
  Fixture f;
  test::TempDir dir;
  const nlohmann::json jwks = {{"keys", {public_jwk(f.key.public_key(), f.kid)}}};
  test::write_file(dir.file("jwks.json"), jwks.dump());
  const std::string script = std::string(MIMI_SOURCE_DIR) + "/tests/tools/verify_jws.py";

  const std::string jws = f.sign();
  test::write_file(dir.file("good.jws"), jws);
  const auto good = test::run({python, script, dir.file("jwks.json"), dir.file("good.jws")});
  INFO(good.err);
  REQUIRE(good.exit_code == 0);
  const auto payload = nlohmann::json::parse(good.out);
  CHECK(payload["sub"] == "tel:+14155552671");
  CHECK(payload["iss"] == "dp.example");
  CHECK(payload["exp"] == 1'800'086'400);

  auto parts = split(jws);
  std::string tampered = *base64url_decode(parts.payload);
  tampered.replace(tampered.find("chat.example"), 12, "evil.example");
  test::write_file(dir.file("bad.jws"),
                   parts.header + "." + base64url_encode(tampered) + "." + parts.signature);
  const auto bad = test::run({python, script, dir.file("jwks.json"), dir.file("bad.jws")});
  CHECK(bad.exit_code == 1);
}
