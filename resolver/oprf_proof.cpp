// The batch DLEQ proof of RFC 9497 §2.2: ComputeComposites (the server's fast form, with skS, and
// the client's), GenerateProof and VerifyProof, for A = the generator and B = pkS.
#include <sodium.h>

#include "resolver/oprf.hpp"
#include "resolver/oprf_internal.hpp"

namespace resolver {

using namespace oprf_internal;

namespace {

struct Composites {
  std::string m;
  std::string z;
};

// The d_i of ComputeComposites: seed = Hash(I2OSP(len(Bm), 2) || Bm || I2OSP(len(seedDST), 2) ||
// seedDST), d_i = HashToScalar(I2OSP(len(seed), 2) || seed || I2OSP(i, 2) || Ci || Di ||
// "Composite"), each element length-prefixed.
std::vector<std::string> composite_scalars(const Oprf& oprf, std::string_view public_key,
                                           const std::vector<std::string>& c,
                                           const std::vector<std::string>& d) {
  const std::string seed =
      sha512(length_prefixed(public_key) + length_prefixed("Seed-" + oprf.context_string()));
  std::vector<std::string> scalars;
  scalars.reserve(c.size());
  for (std::size_t i = 0; i < c.size(); ++i) {
    scalars.push_back(oprf.hash_to_scalar(length_prefixed(seed) + i2osp2(i) +
                                          length_prefixed(c[i]) + length_prefixed(d[i]) +
                                          "Composite"));
  }
  return scalars;
}

std::string weighted_sum(const std::vector<std::string>& scalars,
                         const std::vector<std::string>& elements) {
  std::string sum(kOprfElementBytes, '\0');  // the identity
  for (std::size_t i = 0; i < elements.size(); ++i) {
    sum = add(scalar_mult(scalars[i], elements[i]), sum);
  }
  return sum;
}

// challengeTranscript: Bm, M, Z, t2, t3 each length-prefixed, then "Challenge".
std::string challenge(const Oprf& oprf, std::string_view public_key, const Composites& mz,
                      std::string_view t2, std::string_view t3) {
  return oprf.hash_to_scalar(length_prefixed(public_key) + length_prefixed(mz.m) +
                             length_prefixed(mz.z) + length_prefixed(t2) + length_prefixed(t3) +
                             "Challenge");
}

}  // namespace

namespace oprf_internal {

Result<std::string> generate_proof(const Oprf& oprf, const OprfKeyPair& key,
                                   const std::vector<std::string>& blinded,
                                   const std::vector<std::string>& evaluated,
                                   std::string_view random_scalar) {
  if (!random_scalar.empty() && !scalar_is_canonical_nonzero(random_scalar)) {
    return Status(Code::invalid_request, "GenerateProof: r is not a canonical non-zero scalar");
  }
  // ComputeCompositesFast: M = sum d_i * C_i, Z = skS * M.
  Composites mz;
  mz.m = weighted_sum(composite_scalars(oprf, key.public_key, blinded, evaluated), blinded);
  mz.z = scalar_mult(key.secret, mz.m);

  std::string r(kOprfScalarBytes, '\0');
  if (random_scalar.empty()) {
    crypto_core_ristretto255_scalar_random(bytes(r));
  } else {
    r.assign(random_scalar);
  }
  const std::string t2 = scalar_mult_base(r);
  const std::string t3 = scalar_mult(r, mz.m);
  const std::string c = challenge(oprf, key.public_key, mz, t2, t3);

  // s = r - c * skS
  std::string ck(kOprfScalarBytes, '\0');
  std::string s(kOprfScalarBytes, '\0');
  crypto_core_ristretto255_scalar_mul(bytes(ck), bytes(c), bytes(key.secret));
  crypto_core_ristretto255_scalar_sub(bytes(s), bytes(r), bytes(ck));
  wipe(ck);
  wipe(r);
  return c + s;
}

}  // namespace oprf_internal

Status Oprf::verify_proof(std::string_view public_key, const std::vector<std::string>& blinded,
                          const std::vector<std::string>& evaluated, std::string_view proof) const {
  if (!oprf_element_is_valid(public_key)) {
    return Status(Code::invalid_request, "the public key is not a valid non-identity element");
  }
  if (blinded.empty() || blinded.size() != evaluated.size()) {
    return Status(Code::invalid_request, "the numbers of blinded and evaluated elements differ");
  }
  for (std::size_t i = 0; i < blinded.size(); ++i) {
    if (!oprf_element_is_valid(blinded[i]) || !oprf_element_is_valid(evaluated[i])) {
      return Status(Code::invalid_request, "element " + std::to_string(i) +
                                               " is not a valid non-identity ristretto255 element");
    }
  }
  if (proof.size() != kOprfProofBytes) {
    return Status(Code::invalid_request, "the proof is not 64 bytes");
  }
  const std::string_view c = proof.substr(0, kOprfScalarBytes);
  const std::string_view s = proof.substr(kOprfScalarBytes);
  // DeserializeScalar: canonical (zero is a canonical scalar, and s may legitimately be zero).
  for (std::string_view scalar : {c, s}) {
    unsigned char wide[crypto_core_ristretto255_NONREDUCEDSCALARBYTES] = {};
    unsigned char reduced[crypto_core_ristretto255_SCALARBYTES];
    std::memcpy(wide, scalar.data(), kOprfScalarBytes);
    crypto_core_ristretto255_scalar_reduce(reduced, wide);
    if (sodium_memcmp(reduced, scalar.data(), kOprfScalarBytes) != 0) {
      return Status(Code::invalid_request, "the proof holds a non-canonical scalar");
    }
  }
  // ComputeComposites: M = sum d_i * C_i, Z = sum d_i * D_i.
  const auto scalars = composite_scalars(*this, public_key, blinded, evaluated);
  Composites mz;
  mz.m = weighted_sum(scalars, blinded);
  mz.z = weighted_sum(scalars, evaluated);
  const std::string t2 = add(scalar_mult_base(s), scalar_mult(c, public_key));
  const std::string t3 = add(scalar_mult(s, mz.m), scalar_mult(c, mz.z));
  const std::string expected = challenge(*this, public_key, mz, t2, t3);
  if (sodium_memcmp(expected.data(), c.data(), kOprfScalarBytes) != 0) {
    return Status(Code::invalid_request, "the DLEQ proof does not verify");
  }
  return Status::Ok();
}

}  // namespace resolver
