// The OPRF of RFC 9497 (ristretto255-SHA512) on libsodium: keys, Blind, BlindEvaluate, Evaluate
// and Finalize. The DLEQ proof is in oprf_proof.cpp. Secret scalars live in std::string buffers
// that are wiped with sodium_memzero when they go.
#include "resolver/oprf.hpp"

#include <sodium.h>

#include <stdexcept>

#include "resolver/expand_message.hpp"
#include "resolver/oprf_internal.hpp"

namespace resolver {

namespace oprf_internal {

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

unsigned char* bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

void wipe(std::string& s) {
  if (!s.empty()) sodium_memzero(s.data(), s.size());
}

std::string i2osp2(std::size_t n) {
  return std::string{static_cast<char>((n >> 8) & 0xff), static_cast<char>(n & 0xff)};
}

std::string length_prefixed(std::string_view s) { return i2osp2(s.size()) + std::string(s); }

bool scalar_is_canonical_nonzero(std::string_view scalar) {
  if (scalar.size() != kOprfScalarBytes) return false;
  // A scalar is canonical when reducing it mod L leaves it unchanged (RFC 9496 §4.4 bound).
  unsigned char wide[crypto_core_ristretto255_NONREDUCEDSCALARBYTES] = {};
  unsigned char reduced[crypto_core_ristretto255_SCALARBYTES];
  std::memcpy(wide, scalar.data(), kOprfScalarBytes);
  crypto_core_ristretto255_scalar_reduce(reduced, wide);
  const bool canonical = sodium_memcmp(reduced, scalar.data(), kOprfScalarBytes) == 0;
  const bool nonzero = !sodium_is_zero(reduced, sizeof reduced);
  sodium_memzero(wide, sizeof wide);
  sodium_memzero(reduced, sizeof reduced);
  return canonical && nonzero;
}

std::string scalar_mult(std::string_view scalar, std::string_view element) {
  // Both inputs are valid here; libsodium's -1 then only means the product is the identity,
  // whose encoding (all zeros) is what `out` holds.
  std::string out(kOprfElementBytes, '\0');
  const int identity = crypto_scalarmult_ristretto255(bytes(out), bytes(scalar), bytes(element));
  (void)identity;
  return out;
}

std::string scalar_mult_base(std::string_view scalar) {
  std::string out(kOprfElementBytes, '\0');
  const int identity = crypto_scalarmult_ristretto255_base(bytes(out), bytes(scalar));
  (void)identity;  // only for a zero scalar; `out` then holds the identity's encoding
  return out;
}

std::string add(std::string_view a, std::string_view b) {
  std::string out(kOprfElementBytes, '\0');
  const int invalid = crypto_core_ristretto255_add(bytes(out), bytes(a), bytes(b));
  (void)invalid;  // REQUIRES valid encodings, so it cannot fail
  return out;
}

std::string sha512(std::string_view data) {
  std::string out(crypto_hash_sha512_BYTES, '\0');
  crypto_hash_sha512(bytes(out), bytes(data), data.size());
  return out;
}

}  // namespace oprf_internal

using namespace oprf_internal;

namespace {

void ensure_sodium() {
  static const int ready = sodium_init();
  if (ready < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::string random_scalar() {
  std::string s(kOprfScalarBytes, '\0');
  crypto_core_ristretto255_scalar_random(bytes(s));  // canonical and non-zero
  return s;
}

}  // namespace

OprfKeyPair::OprfKeyPair(std::string secret_in, std::string public_key_in)
    : secret(std::move(secret_in)), public_key(std::move(public_key_in)) {}
OprfKeyPair::~OprfKeyPair() { wipe(secret); }

OprfBlinded::OprfBlinded(std::string blind_in, std::string blinded_element_in)
    : blind(std::move(blind_in)), blinded_element(std::move(blinded_element_in)) {}
OprfBlinded::~OprfBlinded() { wipe(blind); }

bool oprf_element_is_valid(std::string_view element) {
  return element.size() == kOprfElementBytes &&
         crypto_core_ristretto255_is_valid_point(bytes(element)) == 1 &&
         !sodium_is_zero(bytes(element), kOprfElementBytes);
}

Oprf::Oprf(OprfMode mode) : mode_(mode) {
  ensure_sodium();
  context_ = "OPRFV1-";
  context_.push_back(static_cast<char>(mode));
  context_ += "-ristretto255-SHA512";
}

std::string Oprf::hash_to_scalar(std::string_view input, std::string_view dst) const {
  const std::string dst_used = dst.empty() ? "HashToScalar-" + context_ : std::string(dst);
  auto uniform = expand_message_xmd_sha512(input, dst_used, 64);
  // REQUIRES: dst_used is at most 255 bytes (ours are), so expand_message_xmd cannot fail.
  std::string out(kOprfScalarBytes, '\0');
  crypto_core_ristretto255_scalar_reduce(bytes(out), bytes(*uniform));
  wipe(*uniform);
  return out;
}

Result<std::string> Oprf::hash_to_group(std::string_view input) const {
  auto uniform = expand_message_xmd_sha512(input, "HashToGroup-" + context_, 64);
  if (!uniform.ok()) return uniform.status();
  std::string out(kOprfElementBytes, '\0');
  crypto_core_ristretto255_from_hash(bytes(out), bytes(*uniform));
  return out;
}

Result<OprfKeyPair> Oprf::derive_key_pair(std::string_view seed, std::string_view info) const {
  if (info.size() > 65535) return Status(Code::invalid_request, "DeriveKeyPair: info is too long");
  std::string derive_input = std::string(seed) + length_prefixed(info);
  const std::string dst = "DeriveKeyPair" + context_;
  for (unsigned counter = 0; counter <= 255; ++counter) {
    std::string input = derive_input + static_cast<char>(counter);
    std::string sk = hash_to_scalar(input, dst);
    wipe(input);
    if (!sodium_is_zero(bytes(sk), sk.size())) {
      wipe(derive_input);
      std::string pk = scalar_mult_base(sk);
      return OprfKeyPair(std::move(sk), std::move(pk));
    }
  }
  wipe(derive_input);
  return Status(Code::internal, "DeriveKeyPair: no non-zero scalar in 256 tries");
}

OprfKeyPair Oprf::generate_key_pair() const {
  std::string sk = random_scalar();
  std::string pk = scalar_mult_base(sk);
  return OprfKeyPair(std::move(sk), std::move(pk));
}

Result<OprfKeyPair> Oprf::key_pair_from_secret(std::string_view secret) const {
  if (!scalar_is_canonical_nonzero(secret)) {
    return Status(Code::invalid_request, "the OPRF secret key is not a canonical non-zero scalar");
  }
  std::string sk(secret);
  std::string pk = scalar_mult_base(sk);
  return OprfKeyPair(std::move(sk), std::move(pk));
}

Result<OprfBlinded> Oprf::blind(std::string_view input, std::string_view blind) const {
  if (input.size() > 65535) return Status(Code::invalid_request, "Blind: the input is too long");
  if (!blind.empty() && !scalar_is_canonical_nonzero(blind)) {
    return Status(Code::invalid_request, "Blind: the blind is not a canonical non-zero scalar");
  }
  auto element = hash_to_group(input);
  if (!element.ok()) return element.status();
  if (sodium_is_zero(bytes(*element), kOprfElementBytes)) {
    return Status(Code::invalid_request, "Blind: the input maps to the identity element");
  }
  std::string r = blind.empty() ? random_scalar() : std::string(blind);
  std::string blinded = scalar_mult(r, *element);
  return OprfBlinded(std::move(r), std::move(blinded));
}

Result<OprfEvaluation> Oprf::blind_evaluate(const OprfKeyPair& key,
                                            const std::vector<std::string>& blinded,
                                            std::string_view proof_random_scalar) const {
  if (blinded.empty()) return Status(Code::invalid_request, "BlindEvaluate: no elements");
  for (std::size_t i = 0; i < blinded.size(); ++i) {
    if (!oprf_element_is_valid(blinded[i])) {
      return Status(Code::invalid_request, "blinded element " + std::to_string(i) +
                                               " is not a valid non-identity ristretto255 element");
    }
  }
  OprfEvaluation out;
  out.evaluated.reserve(blinded.size());
  for (const auto& element : blinded) out.evaluated.push_back(scalar_mult(key.secret, element));
  if (mode_ == OprfMode::oprf) return out;
  auto proof = generate_proof(*this, key, blinded, out.evaluated, proof_random_scalar);
  if (!proof.ok()) return proof.status();
  out.proof = std::move(*proof);
  return out;
}

namespace {

// I2OSP(len(input), 2) || input || I2OSP(len(element), 2) || element || "Finalize"
std::string finalize_hash(std::string_view input, std::string_view element) {
  return sha512(length_prefixed(input) + length_prefixed(element) + "Finalize");
}

}  // namespace

Result<std::string> Oprf::evaluate(const OprfKeyPair& key, std::string_view input) const {
  if (input.size() > 65535) return Status(Code::invalid_request, "Evaluate: the input is too long");
  auto element = hash_to_group(input);
  if (!element.ok()) return element.status();
  if (sodium_is_zero(bytes(*element), kOprfElementBytes)) {
    return Status(Code::invalid_request, "Evaluate: the input maps to the identity element");
  }
  std::string issued = scalar_mult(key.secret, *element);
  std::string out = finalize_hash(input, issued);
  wipe(issued);
  return out;
}

Result<std::string> Oprf::finalize(std::string_view input, std::string_view blind,
                                   std::string_view evaluated) const {
  if (input.size() > 65535) return Status(Code::invalid_request, "Finalize: the input is too long");
  if (!oprf_element_is_valid(evaluated)) {
    return Status(Code::invalid_request,
                  "the evaluated element is not a valid non-identity ristretto255 element");
  }
  if (!scalar_is_canonical_nonzero(blind)) {
    return Status(Code::invalid_request, "Finalize: the blind is not a canonical non-zero scalar");
  }
  std::string inverse(kOprfScalarBytes, '\0');
  if (crypto_core_ristretto255_scalar_invert(bytes(inverse), bytes(blind)) != 0) {
    return Status(Code::invalid_request, "Finalize: the blind has no inverse");
  }
  std::string unblinded = scalar_mult(inverse, evaluated);
  wipe(inverse);
  std::string out = finalize_hash(input, unblinded);
  wipe(unblinded);
  return out;
}

}  // namespace resolver
