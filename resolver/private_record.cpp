// DESIGN.md §12's shared derivations: SHA-256 and ChaCha20-Poly1305 from libsodium, HKDF-SHA256
// from OpenSSL (libsodium 1.0.18 has no HKDF).
#include "resolver/private_record.hpp"

#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <sodium.h>

#include <stdexcept>

#include "resolver/base64url.hpp"

namespace resolver {
namespace {

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// salt = "" (RFC 5869: no salt is HashLen zero bytes, which is what OpenSSL uses when none is set).
std::string hkdf_sha256(std::string_view ikm, std::string_view info, std::size_t length) {
  std::string out(length, '\0');
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr);
  std::size_t out_len = length;
  const bool ok = ctx && EVP_PKEY_derive_init(ctx) > 0 &&
                  EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()) > 0 &&
                  EVP_PKEY_CTX_set1_hkdf_key(ctx, bytes(ikm), static_cast<int>(ikm.size())) > 0 &&
                  EVP_PKEY_CTX_add1_hkdf_info(ctx, bytes(info), static_cast<int>(info.size())) > 0 &&
                  EVP_PKEY_derive(ctx, reinterpret_cast<unsigned char*>(out.data()), &out_len) > 0;
  EVP_PKEY_CTX_free(ctx);
  // Only an allocation failure makes HKDF fail; the callers have no way to recover from it.
  if (!ok || out_len != length) throw std::runtime_error("HKDF-SHA256 failed");
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
  s.tag = hkdf_sha256(oprf_output, "mimi-discovery private v1 tag", kPrivateTagBytes);
  s.key = hkdf_sha256(oprf_output, "mimi-discovery private v1 key", kPrivateKeyBytes);
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
