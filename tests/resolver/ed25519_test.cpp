// Tests for resolver/ed25519.hpp: RFC 8032 §7.1 test 1, RFC 8037 §A.3 thumbprint, key parsing.
#include "resolver/ed25519.hpp"

#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

#include "resolver/base64url.hpp"
#include "resolver/hex.hpp"

using namespace resolver;

namespace {

// A test vector's bytes; a malformed vector throws (bad_optional_access) and fails the test.
std::string from_hex(std::string_view hex) { return hex_decode(hex).value(); }

const std::string kSecret = from_hex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
const std::string kPublic = from_hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
const std::string kSignature = from_hex(
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46b"
    "d25bf5f0595bbe24655141438e7a100b");
// RFC 8037 §A.1 / §A.3.
constexpr const char* kPublicB64url = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
constexpr const char* kThumbprint = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";

}  // namespace

TEST_CASE("ed25519: RFC 8032 test 1 (empty message)") {
  auto key = Ed25519PrivateKey::from_seed(kSecret);
  REQUIRE(key.ok());
  CHECK(key->seed() == kSecret);
  CHECK(key->public_key() == kPublic);
  auto sig = key->sign("");
  REQUIRE(sig.ok());
  CHECK(*sig == kSignature);
  CHECK(ed25519_verify(kPublic, "", kSignature));
}

TEST_CASE("ed25519: verification fails on any change") {
  auto key = Ed25519PrivateKey::generate();
  REQUIRE(key.ok());
  auto sig = key->sign("message");
  REQUIRE(sig.ok());
  CHECK(ed25519_verify(key->public_key(), "message", *sig));
  CHECK_FALSE(ed25519_verify(key->public_key(), "messagE", *sig));
  std::string flipped = *sig;
  flipped[10] ^= 1;
  CHECK_FALSE(ed25519_verify(key->public_key(), "message", flipped));
  CHECK_FALSE(ed25519_verify(kPublic, "message", *sig));
  CHECK_FALSE(ed25519_verify(key->public_key(), "message", sig->substr(0, 63)));
  CHECK_FALSE(ed25519_verify(key->public_key().substr(0, 31), "message", *sig));
}

TEST_CASE("ed25519: generated keys differ and seeds round-trip") {
  auto a = Ed25519PrivateKey::generate();
  auto b = Ed25519PrivateKey::generate();
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(a->seed() != b->seed());
  auto again = Ed25519PrivateKey::from_seed(a->seed());
  REQUIRE(again.ok());
  CHECK(again->public_key() == a->public_key());
}

TEST_CASE("ed25519: one key signs from several threads at once") {
  auto key = Ed25519PrivateKey::from_seed(kSecret);
  REQUIRE(key.ok());
  const std::string want = *key->sign("shared");  // Ed25519 is deterministic (RFC 8032 §5.1.6)
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        auto sig = key->sign("shared");
        if (!sig.ok() || *sig != want) ++mismatches[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(mismatches == std::vector<int>(4, 0));
}

TEST_CASE("ed25519: a seed of the wrong size is invalid_request") {
  CHECK(Ed25519PrivateKey::from_seed(std::string(31, 'a')).status().code() == Code::invalid_request);
  CHECK(Ed25519PrivateKey::from_seed(std::string(64, 'a')).status().code() == Code::invalid_request);
}

TEST_CASE("ed25519: RFC 8037 A.3 thumbprint and the public JWK") {
  CHECK(jwk_thumbprint(kPublic) == kThumbprint);
  const auto jwk = public_jwk(kPublic, kThumbprint);
  CHECK(jwk == nlohmann::json{{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", kPublicB64url},
                              {"kid", kThumbprint}, {"alg", "EdDSA"}, {"use", "sig"}});
}

TEST_CASE("ed25519: parse_public_key accepts base64url, base64 and JWK") {
  const std::string b64url = kPublicB64url;
  std::string b64 = b64url;
  for (char& c : b64) c = c == '-' ? '+' : c == '_' ? '/' : c;
  const std::string cases[] = {
      b64url,
      b64,
      b64 + "=",
      "  " + b64url + "\n",
      R"({"kty":"OKP","crv":"Ed25519","x":")" + b64url + R"("})",
      public_jwk(kPublic, "k1").dump(),
  };
  for (const auto& text : cases) {
    CAPTURE(text);
    auto parsed = parse_public_key(text);
    REQUIRE(parsed.ok());
    CHECK(*parsed == kPublic);
  }
}

TEST_CASE("ed25519: parse_public_key rejects bad keys with invalid_request") {
  const std::string x = kPublicB64url;
  const std::string cases[] = {
      "",
      "   ",
      "not a key!",
      x.substr(0, 42),                           // 31 bytes
      x + "AAAA",                                // 35 bytes
      base64url_encode(std::string(64, 'k')),    // a 64-byte secret key
      x + "==",                                  // padding on an unpadded length
      "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUR+",  // both alphabets
      "{",
      "[1,2]",
      R"({"kty":"EC","crv":"Ed25519","x":")" + x + R"("})",
      R"({"kty":"OKP","crv":"X25519","x":")" + x + R"("})",
      R"({"kty":"OKP","crv":"Ed25519"})",
      R"({"kty":"OKP","crv":"Ed25519","x":5})",
      R"({"kty":"OKP","crv":"Ed25519","x":"!!"})",
      R"({"kty":"OKP","crv":"Ed25519","x":")" + x + R"(","alg":"ES256"})",
      R"({"kty":"OKP","crv":"Ed25519","x":")" + x + R"(","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"})",
  };
  for (const auto& text : cases) {
    CAPTURE(text);
    auto parsed = parse_public_key(text);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.status().code() == Code::invalid_request);
    CHECK_FALSE(parsed.status().message().empty());
    CHECK(parsed.status().message().back() == '.');
  }
}
