// HMAC-SHA256 through OpenSSL 3's EVP_MAC. Keying an HMAC context costs two SHA-256 blocks plus a
// fetch; duplicating a keyed template skips both, which matters on the lookup hot path.
#include "discovery/keyed_hash.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstring>
#include <stdexcept>

namespace discovery {

KeyedHash::KeyedHash(std::string key) : key_(std::move(key)) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (!mac) throw std::runtime_error("OpenSSL has no HMAC");
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  EVP_MAC_free(mac);  // the context keeps its own reference
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  if (!ctx || EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key_.data()), key_.size(),
                           params) != 1) {
    EVP_MAC_CTX_free(ctx);
    throw std::runtime_error("cannot key HMAC-SHA256");
  }
  template_ = ctx;
}

KeyedHash::~KeyedHash() { EVP_MAC_CTX_free(static_cast<EVP_MAC_CTX*>(template_)); }

std::array<std::uint8_t, 32> KeyedHash::mac(std::string_view text) const {
  std::array<std::uint8_t, 32> out{};
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(static_cast<EVP_MAC_CTX*>(template_));
  std::size_t len = 0;
  // With a keyed SHA-256 context these fail only on allocation failure; the caller then sees an
  // all-zero hash, which at worst merges entries (never admits more than the limits).
  if (ctx) {
    EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(text.data()), text.size());
    EVP_MAC_final(ctx, out.data(), &len, out.size());
    EVP_MAC_CTX_free(ctx);
  }
  return out;
}

std::uint64_t KeyedHash::hash64(std::string_view text) const {
  auto m = mac(text);
  std::uint64_t v = 0;
  std::memcpy(&v, m.data(), sizeof v);
  return v;
}

std::array<std::uint8_t, 16> KeyedHash::hash128(std::string_view text) const {
  auto m = mac(text);
  std::array<std::uint8_t, 16> v{};
  std::memcpy(v.data(), m.data(), v.size());
  return v;
}

}  // namespace discovery
