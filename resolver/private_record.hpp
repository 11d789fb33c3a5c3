// The derivations of DESIGN.md §12 that the DP and its clients share: key_id from a public key,
// the bucket of an identifier, the tag and key of an OPRF output (HKDF-SHA256), and the sealed
// record (ChaCha20-Poly1305, RFC 8439). Free functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "resolver/status.hpp"

namespace resolver {

inline constexpr std::size_t kPrivateTagBytes = 16;
inline constexpr std::size_t kPrivateKeyBytes = 32;
inline constexpr std::size_t kPrivateNonceBytes = 12;
inline constexpr int kMaxBucketBits = 24;

// base64url (no padding) of the first 8 bytes of SHA-256(public_key).
std::string private_key_id(std::string_view public_key);

// The first `bits` bits of SHA-256("mimi-discovery private v1 bucket" || input), big-endian.
// REQUIRES: 0 <= bits <= kMaxBucketBits.
std::int64_t private_bucket(std::string_view input, int bits);

// B for an index of `identifiers` entries: buckets of about 256 entries or more (0 up to 511).
int private_bucket_bits(std::int64_t identifiers);

// tag (16 bytes) and key (32 bytes) of an OPRF output y: HKDF-SHA256(IKM = y, salt = "",
// info = "mimi-discovery private v1 tag" / "... key"). The key is wiped when destroyed.
struct PrivateSecrets {
  PrivateSecrets() = default;
  PrivateSecrets(const PrivateSecrets&) = default;
  PrivateSecrets& operator=(const PrivateSecrets&) = default;
  ~PrivateSecrets();
  std::string tag;
  std::string key;
};
PrivateSecrets derive_private_secrets(std::string_view oprf_output);

// nonce (12 fresh random bytes) || ciphertext || poly1305 tag, AAD = `tag`.
std::string seal_private_record(const PrivateSecrets& secrets, std::string_view plaintext);
// The plaintext; invalid_request when the record is too short or does not authenticate.
Result<std::string> open_private_record(const PrivateSecrets& secrets, std::string_view record);

}  // namespace resolver
