// Ed25519 through OpenSSL 3's EVP interface (RFC 8032: "pure" EdDSA, so no digest is named),
// except signing, which libsodium does (the same deterministic signature, much cheaper), and the
// OKP JWK form of its public keys (RFC 8037 §2, thumbprints RFC 7638 §3).
#include "resolver/ed25519.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sodium.h>

#include <cstring>
#include <memory>

#include "resolver/base64url.hpp"

namespace resolver {
namespace {

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

// The one place OpenSSL failures become our codes (STYLE.md habit 9). OpenSSL's own reason is
// appended: it names a library condition, never key material. Drains the thread's error queue.
Status openssl_error(std::string_view what) {
  std::string message = "OpenSSL could not " + std::string(what);
  if (const unsigned long e = ERR_get_error(); e != 0) {
    char reason[256];
    ERR_error_string_n(e, reason, sizeof reason);
    message += " (" + std::string(reason) + ")";
  }
  ERR_clear_error();
  return Status(Code::internal, message + ".");
}

Status invalid_key(std::string reason) { return Status(Code::invalid_request, std::move(reason)); }

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string_view trim(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

// Standard base64 (RFC 4648 §4), padded or not, through the strict base64url decoder.
std::optional<std::string> base64_decode(std::string_view text) {
  std::size_t pad = 0;
  while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  if (pad > 0 && text.size() % 4 != 0) return std::nullopt;
  std::string url(text.substr(0, text.size() - pad));
  for (char& c : url) {
    if (c == '-' || c == '_') return std::nullopt;  // a mix of both alphabets is no encoding at all
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return base64url_decode(url);
}

Result<std::string> raw_key_of_size(std::optional<std::string> raw, std::string_view where) {
  if (!raw) return invalid_key(std::string(where) + " is not valid base64url.");
  if (raw->size() != kEd25519KeyBytes) {
    return invalid_key(std::string(where) + " is " + std::to_string(raw->size()) +
                       " bytes; an Ed25519 public key is 32 bytes.");
  }
  return std::move(*raw);
}

Result<std::string> parse_jwk(std::string_view text) {
  const auto jwk = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (jwk.is_discarded() || !jwk.is_object()) {
    return invalid_key("The public key starts with '{' but is not a JSON object.");
  }
  const auto member = [&](const char* name) -> const nlohmann::json* {
    const auto it = jwk.find(name);
    return it == jwk.end() ? nullptr : &*it;
  };
  const auto* kty = member("kty");
  if (kty == nullptr || *kty != "OKP") return invalid_key("The JWK's kty is not \"OKP\".");
  const auto* crv = member("crv");
  if (crv == nullptr || *crv != "Ed25519") return invalid_key("The JWK's crv is not \"Ed25519\".");
  // A private JWK pasted where a public one belongs would leak the secret into the index.
  if (member("d") != nullptr) return invalid_key("The JWK holds a private key (\"d\"); give the public JWK.");
  if (const auto* alg = member("alg"); alg != nullptr && *alg != "EdDSA") {
    return invalid_key("The JWK's alg is not \"EdDSA\".");
  }
  const auto* x = member("x");
  if (x == nullptr || !x->is_string()) return invalid_key("The JWK has no string member \"x\".");
  return raw_key_of_size(base64url_decode(x->get_ref<const std::string&>()), "The JWK's x");
}

}  // namespace

Ed25519PrivateKey::Ed25519PrivateKey(std::shared_ptr<void> pkey, std::string seed, std::string pub)
    : pkey_(std::move(pkey)), seed_(std::move(seed)), public_(std::move(pub)) {}

Result<Ed25519PrivateKey> Ed25519PrivateKey::generate() {
  std::string seed(kEd25519KeyBytes, '\0');
  if (RAND_priv_bytes(reinterpret_cast<unsigned char*>(seed.data()), static_cast<int>(seed.size())) != 1) {
    return openssl_error("draw random bytes for a new Ed25519 key");
  }
  auto key = from_seed(seed);
  OPENSSL_cleanse(seed.data(), seed.size());
  return key;
}

Result<Ed25519PrivateKey> Ed25519PrivateKey::from_seed(std::string_view seed) {
  if (seed.size() != kEd25519KeyBytes) {
    return Status(Code::invalid_request, "An Ed25519 private key is 32 bytes, this one is " +
                                             std::to_string(seed.size()) + ".");
  }
  PkeyPtr pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, bytes(seed), seed.size()));
  if (!pkey) return openssl_error("load an Ed25519 private key");
  std::string pub(kEd25519KeyBytes, '\0');
  std::size_t pub_len = pub.size();
  if (EVP_PKEY_get_raw_public_key(pkey.get(), reinterpret_cast<unsigned char*>(pub.data()),
                                  &pub_len) != 1 ||
      pub_len != kEd25519KeyBytes) {
    return openssl_error("derive an Ed25519 public key");
  }
  std::shared_ptr<void> shared(pkey.release(), [](void* p) { EVP_PKEY_free(static_cast<EVP_PKEY*>(p)); });
  return Ed25519PrivateKey(std::move(shared), std::string(seed), std::move(pub));
}

Result<std::string> Ed25519PrivateKey::sign(std::string_view data) const {
  // libsodium signs with the expanded secret key seed || public key. RFC 8032's Ed25519 is
  // deterministic, so the signature is the one OpenSSL would make, without the cost of an EVP
  // signing context per signature (most of a private index build's signing time).
  static const int ready = sodium_init();  // idempotent
  (void)ready;
  if (ready >= 0 && seed_.size() == kEd25519KeyBytes && public_.size() == kEd25519KeyBytes) {
    unsigned char sk[crypto_sign_SECRETKEYBYTES];
    static_assert(crypto_sign_SECRETKEYBYTES == 2 * kEd25519KeyBytes);
    std::memcpy(sk, seed_.data(), kEd25519KeyBytes);
    std::memcpy(sk + kEd25519KeyBytes, public_.data(), kEd25519KeyBytes);
    std::string sig(kEd25519SignatureBytes, '\0');
    const int rc = crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr,
                                        bytes(data), data.size(), sk);
    sodium_memzero(sk, sizeof sk);
    if (rc == 0) return sig;
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return openssl_error("allocate a signing context");
  // Ed25519 hashes internally: the digest must be NULL (RFC 8032 §5.1.6; EVP_DigestSignInit(3)).
  if (EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, static_cast<EVP_PKEY*>(pkey_.get())) != 1) {
    return openssl_error("start an Ed25519 signature");
  }
  std::string sig(kEd25519SignatureBytes, '\0');
  std::size_t sig_len = sig.size();
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &sig_len, bytes(data),
                     data.size()) != 1 ||
      sig_len != kEd25519SignatureBytes) {
    return openssl_error("compute an Ed25519 signature");
  }
  return sig;
}

bool ed25519_verify(std::string_view public_key, std::string_view data, std::string_view signature) {
  if (public_key.size() != kEd25519KeyBytes || signature.size() != kEd25519SignatureBytes) return false;
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes(public_key), public_key.size()));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  const bool valid =
      pkey && ctx &&
      EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(), bytes(data), data.size()) == 1;
  // A bad signature is an expected outcome, not an error: leave nothing in the error queue.
  if (!valid) ERR_clear_error();
  return valid;
}

std::string jwk_thumbprint(std::string_view public_key) {
  // RFC 7638 §3.2: the required members only, in lexicographic order, no whitespace.
  const std::string canonical =
      R"({"crv":"Ed25519","kty":"OKP","x":")" + base64url_encode(public_key) + R"("})";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  // SHA-256 of a short buffer fails only when OpenSSL cannot allocate. The empty result never
  // matches a kid, and create_signing_key treats it as an internal failure.
  if (EVP_Digest(canonical.data(), canonical.size(), digest, &digest_len, EVP_sha256(), nullptr) != 1) {
    ERR_clear_error();
    return {};
  }
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(digest), digest_len));
}

nlohmann::json public_jwk(std::string_view public_key, const std::string& kid) {
  return {{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", base64url_encode(public_key)},
          {"kid", kid},   {"alg", "EdDSA"},   {"use", "sig"}};
}

Result<std::string> parse_public_key(std::string_view text) {
  text = trim(text);
  if (text.empty()) return invalid_key("The public key is empty.");
  if (text.front() == '{') return parse_jwk(text);
  const bool standard = text.find_first_of("+/=") != std::string_view::npos;
  auto raw = standard ? base64_decode(text) : base64url_decode(text);
  if (!raw) return invalid_key("The public key is neither base64url, base64 nor a JWK.");
  return raw_key_of_size(std::move(raw), "The public key");
}

}  // namespace resolver
