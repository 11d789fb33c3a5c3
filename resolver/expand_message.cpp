// expand_message_xmd(SHA-512), written from RFC 9380 §5.3.1 on libsodium's SHA-512.
#include "resolver/expand_message.hpp"

#include <sodium.h>

#include <array>

namespace resolver {

namespace {

constexpr std::size_t kHashBytes = crypto_hash_sha512_BYTES;  // b_in_bytes = 64
constexpr std::size_t kBlockBytes = 128;                      // r_in_bytes of SHA-512

void update(crypto_hash_sha512_state& state, std::string_view bytes) {
  crypto_hash_sha512_update(&state, reinterpret_cast<const unsigned char*>(bytes.data()),
                            bytes.size());
}

void update(crypto_hash_sha512_state& state, const unsigned char* bytes, std::size_t size) {
  crypto_hash_sha512_update(&state, bytes, size);
}

}  // namespace

Result<std::string> expand_message_xmd_sha512(std::string_view msg, std::string_view dst,
                                              std::size_t len_in_bytes) {
  const std::size_t ell = (len_in_bytes + kHashBytes - 1) / kHashBytes;
  if (ell > 255 || len_in_bytes > 65535) {
    return Status(Code::invalid_request, "expand_message_xmd: len_in_bytes is too large");
  }
  if (dst.size() > 255) {
    return Status(Code::invalid_request, "expand_message_xmd: the DST is longer than 255 bytes");
  }
  const unsigned char dst_len = static_cast<unsigned char>(dst.size());
  const unsigned char lib_str[2] = {static_cast<unsigned char>(len_in_bytes >> 8),
                                    static_cast<unsigned char>(len_in_bytes & 0xff)};
  const std::array<unsigned char, kBlockBytes> z_pad{};

  // b_0 = H(Z_pad || msg || l_i_b_str || I2OSP(0, 1) || DST_prime)
  std::array<unsigned char, kHashBytes> b0{};
  crypto_hash_sha512_state state;
  crypto_hash_sha512_init(&state);
  update(state, z_pad.data(), z_pad.size());
  update(state, msg);
  update(state, lib_str, 2);
  const unsigned char zero = 0;
  update(state, &zero, 1);
  update(state, dst);
  update(state, &dst_len, 1);
  crypto_hash_sha512_final(&state, b0.data());

  std::string out;
  out.reserve(ell * kHashBytes);
  std::array<unsigned char, kHashBytes> previous{};  // b_(i-1); zeros so that b_1 = H(b_0 || ...)
  for (std::size_t i = 1; i <= ell; ++i) {
    // b_i = H(strxor(b_0, b_(i-1)) || I2OSP(i, 1) || DST_prime), with b_0 itself for i = 1.
    std::array<unsigned char, kHashBytes> input{};
    for (std::size_t k = 0; k < kHashBytes; ++k) input[k] = b0[k] ^ previous[k];
    const unsigned char counter = static_cast<unsigned char>(i);
    crypto_hash_sha512_init(&state);
    update(state, input.data(), input.size());
    update(state, &counter, 1);
    update(state, dst);
    update(state, &dst_len, 1);
    crypto_hash_sha512_final(&state, previous.data());
    out.append(reinterpret_cast<const char*>(previous.data()), previous.size());
  }
  out.resize(len_in_bytes);
  return out;
}

}  // namespace resolver
