// DESIGN.md §12's shared derivations on libsodium: SHA-256, HKDF-SHA256 on its HMAC-SHA256
// (libsodium 1.0.18 has no HKDF), ChaCha20-Poly1305.
#include "resolver/private_record.hpp"

#include <sodium.h>


#include "resolver/base64url.hpp"

namespace resolver {
namespace {

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// HKDF-SHA256 (RFC 5869) with salt = "" (HashLen zero bytes) on libsodium's HMAC-SHA256:
// PRK = HMAC(zeros, IKM) once, then T(1) = HMAC(PRK, info || 0x01) for each output of at most 32
// bytes. Written out rather than through OpenSSL's EVP_PKEY HKDF, whose context set-up per call
// costs more than the hashing when the private index is built.
std::string hkdf_prk(std::string_view ikm) {
  unsigned char salt[crypto_auth_hmacsha256_BYTES] = {};
  unsigned char prk[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, salt, sizeof salt);
  crypto_auth_hmacsha256_update(&state, bytes(ikm), ikm.size());
  crypto_auth_hmacsha256_final(&state, prk);
  std::string out(reinterpret_cast<char*>(prk), sizeof prk);
  sodium_memzero(prk, sizeof prk);
  return out;
}

// REQUIRES: length <= 32.
std::string hkdf_expand(std::string_view prk, std::string_view info, std::size_t length) {
  unsigned char t[crypto_auth_hmacsha256_BYTES];
  const unsigned char counter = 1;
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, bytes(prk), prk.size());
  crypto_auth_hmacsha256_update(&state, bytes(info), info.size());
  crypto_auth_hmacsha256_update(&state, &counter, 1);
  crypto_auth_hmacsha256_final(&state, t);
  std::string out(reinterpret_cast<char*>(t), length);
  sodium_memzero(t, sizeof t);
  return out;
}

}  // namespace

std::string private_key_id(std::string_view public_key) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, bytes(public_key), public_key.size());
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(digest), 8));
}

std::int64_t private_bucket(std::string_view input, int bits) {
  static constexpr std::string_view kLabel = "mimi-discovery private v1 bucket";
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  crypto_hash_sha256_update(&state, bytes(kLabel), kLabel.size());
  crypto_hash_sha256_update(&state, bytes(input), input.size());
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state, digest);
  std::uint64_t first = 0;
  for (int i = 0; i < 8; ++i) first = first << 8 | digest[i];
  return bits == 0 ? 0 : static_cast<std::int64_t>(first >> (64 - bits));
}

int private_bucket_bits(std::int64_t identifiers) {
  int bits = 0;
  while (bits < kMaxBucketBits && (identifiers >> (bits + 1)) >= 256) ++bits;
  return bits;
}

PrivateSecrets::~PrivateSecrets() {
  if (!key.empty()) sodium_memzero(key.data(), key.size());
}

PrivateSecrets derive_private_secrets(std::string_view oprf_output) {
  PrivateSecrets s;
  std::string prk = hkdf_prk(oprf_output);
  s.tag = hkdf_expand(prk, "mimi-discovery private v1 tag", kPrivateTagBytes);
  s.key = hkdf_expand(prk, "mimi-discovery private v1 key", kPrivateKeyBytes);
  sodium_memzero(prk.data(), prk.size());
  return s;
}

std::string seal_private_record(const PrivateSecrets& secrets, std::string_view plaintext) {
  static const int ready = sodium_init();  // idempotent; randombytes needs it
  (void)ready;
  std::string record(kPrivateNonceBytes + plaintext.size() + crypto_aead_chacha20poly1305_ietf_ABYTES,
                     '\0');
  auto* out = reinterpret_cast<unsigned char*>(record.data());
  randombytes_buf(out, kPrivateNonceBytes);
  unsigned long long written = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(out + kPrivateNonceBytes, &written, bytes(plaintext),
                                            plaintext.size(), bytes(secrets.tag), secrets.tag.size(),
                                            nullptr, out, bytes(secrets.key));
  record.resize(kPrivateNonceBytes + written);
  return record;
}

Result<std::string> open_private_record(const PrivateSecrets& secrets, std::string_view record) {
  if (record.size() < kPrivateNonceBytes + crypto_aead_chacha20poly1305_ietf_ABYTES) {
    return Status(Code::invalid_request, "the private record is too short to hold a sealed answer");
  }
  std::string plain(record.size() - kPrivateNonceBytes - crypto_aead_chacha20poly1305_ietf_ABYTES, '\0');
  unsigned long long length = 0;
  const auto* in = bytes(record);
  if (crypto_aead_chacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plain.data()), &length, nullptr, in + kPrivateNonceBytes,
          record.size() - kPrivateNonceBytes, bytes(secrets.tag), secrets.tag.size(), in,
          bytes(secrets.key)) != 0) {
    return Status(Code::invalid_request, "the private record does not decrypt under this key");
  }
  plain.resize(length);
  return plain;
}

}  // namespace resolver
