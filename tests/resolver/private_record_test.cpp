// Tests for resolver/private_record.hpp: key_id, buckets and their width, HKDF tag and key, and
// sealed records that open only under the right key and tag (DESIGN.md §12).
#include "resolver/private_record.hpp"

#include <doctest/doctest.h>

#include <map>

#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/sha.h>

#include "resolver/base64url.hpp"

using namespace resolver;

TEST_CASE("private: key_id is base64url of the first 8 bytes of SHA-256(pkS)") {
  const std::string pk(32, '\7');
  unsigned char digest[32];
  SHA256(reinterpret_cast<const unsigned char*>(pk.data()), pk.size(), digest);
  CHECK(private_key_id(pk) == base64url_encode(std::string(reinterpret_cast<char*>(digest), 8)));
  CHECK(private_key_id(pk).size() == 11);
}

TEST_CASE("private: the bucket is the first B bits of a hash of the input, whatever the key") {
  const std::string id = "tel:+14155552671";
  std::string label = "mimi-discovery private v1 bucket" + id;
  unsigned char digest[32];
  SHA256(reinterpret_cast<const unsigned char*>(label.data()), label.size(), digest);
  CHECK(private_bucket(id, 0) == 0);
  CHECK(private_bucket(id, 8) == digest[0]);
  CHECK(private_bucket(id, 12) == (digest[0] << 4 | digest[1] >> 4));
  CHECK(private_bucket(id, 1) == digest[0] >> 7);
  for (int bits = 0; bits <= kMaxBucketBits; ++bits) {
    CHECK(private_bucket(id, bits) < (std::int64_t{1} << bits));
  }
}

TEST_CASE("private: bucket width keeps about 256 entries or more per bucket") {
  const std::map<std::int64_t, int> table = {{0, 0},   {511, 0},    {512, 1},       {1000, 1},
                                             {1024, 2}, {100000, 8}, {1000000, 11}, {1LL << 40, 24}};
  for (const auto& entry : table) {  // no structured binding: clang 14 cannot capture one in INFO
    const std::int64_t n = entry.first;
    INFO(n, " identifiers");
    CHECK(private_bucket_bits(n) == entry.second);
  }
}

namespace {

// HKDF-SHA256 with no salt by OpenSSL: an implementation independent of the one under test.
std::string openssl_hkdf(const std::string& ikm, const std::string& info, std::size_t length) {
  std::string out(length, '\0');
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr);
  REQUIRE(ctx);
  REQUIRE(EVP_PKEY_derive_init(ctx) > 0);
  REQUIRE(EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()) > 0);
  REQUIRE(EVP_PKEY_CTX_set1_hkdf_key(ctx, reinterpret_cast<const unsigned char*>(ikm.data()),
                                     static_cast<int>(ikm.size())) > 0);
  REQUIRE(EVP_PKEY_CTX_add1_hkdf_info(ctx, reinterpret_cast<const unsigned char*>(info.data()),
                                      static_cast<int>(info.size())) > 0);
  std::size_t n = length;
  REQUIRE(EVP_PKEY_derive(ctx, reinterpret_cast<unsigned char*>(out.data()), &n) > 0);
  EVP_PKEY_CTX_free(ctx);
  return out;
}

}  // namespace

TEST_CASE("private: tag and key are HKDF-SHA256 of the OPRF output with the labels of §12") {
  std::string y(64, '\0');
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = static_cast<char>(i * 7 + 3);
  const PrivateSecrets s = derive_private_secrets(y);
  CHECK(s.tag == openssl_hkdf(y, "mimi-discovery private v1 tag", 16));
  CHECK(s.key == openssl_hkdf(y, "mimi-discovery private v1 key", 32));
}

TEST_CASE("private: a sealed record opens with its own tag and key only") {
  const PrivateSecrets s = derive_private_secrets(std::string(64, 'y'));
  CHECK(s.tag.size() == kPrivateTagBytes);
  CHECK(s.key.size() == kPrivateKeyBytes);
  CHECK(s.tag != s.key.substr(0, 16));
  const std::string plain = R"({"status":"opted_out"})";
  const std::string a = seal_private_record(s, plain);
  const std::string b = seal_private_record(s, plain);
  CHECK(a.size() == 12 + plain.size() + 16);
  CHECK(a.substr(0, 12) != b.substr(0, 12));  // a fresh nonce every time
  CHECK(*open_private_record(s, a) == plain);
  const PrivateSecrets other = derive_private_secrets(std::string(64, 'z'));
  CHECK(open_private_record(other, a).status().code() == Code::invalid_request);
  PrivateSecrets wrong_tag = s;
  wrong_tag.tag[0] ^= 1;  // the tag is the AAD
  CHECK(open_private_record(wrong_tag, a).status().code() == Code::invalid_request);
  std::string flipped = a;
  flipped[20] ^= 1;
  CHECK(open_private_record(s, flipped).status().code() == Code::invalid_request);
  CHECK(open_private_record(s, "short").status().code() == Code::invalid_request);
}
