// The OPRF of RFC 9497 with the ristretto255-SHA512 suite (DESIGN.md §12), on libsodium: key pairs,
// the server's BlindEvaluate (with the batch DLEQ proof of RFC 9497 §2.2) and unblinded Evaluate,
// and the client's Blind, VerifyProof and Finalize. An Oprf is immutable; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/status.hpp"

namespace resolver {

inline constexpr std::size_t kOprfElementBytes = 32;  // Ne
inline constexpr std::size_t kOprfScalarBytes = 32;   // Ns
inline constexpr std::size_t kOprfProofBytes = 64;    // c || s
inline constexpr std::size_t kOprfOutputBytes = 64;   // Nh

// RFC 9497 §3.1 modes; this DP serves only `voprf` (DESIGN.md §12), `oprf` is here for the vectors.
enum class OprfMode : unsigned char { oprf = 0x00, voprf = 0x01 };

// A serialized key pair: `secret` is skS (a secret: wiped when destroyed), `public_key` is pkS.
struct OprfKeyPair {
  OprfKeyPair(std::string secret_in, std::string public_key_in);
  OprfKeyPair(const OprfKeyPair&) = default;
  OprfKeyPair& operator=(const OprfKeyPair&) = default;
  ~OprfKeyPair();
  std::string secret;
  std::string public_key;
};

// Blind's output: `blind` is the client's secret scalar (wiped when destroyed).
struct OprfBlinded {
  OprfBlinded(std::string blind_in, std::string blinded_element_in);
  OprfBlinded(const OprfBlinded&) = default;
  OprfBlinded& operator=(const OprfBlinded&) = default;
  ~OprfBlinded();
  std::string blind;
  std::string blinded_element;
};

// BlindEvaluate's output: one evaluated element per blinded element, in order, and one proof
// (empty in mode oprf).
struct OprfEvaluation {
  std::vector<std::string> evaluated;
  std::string proof;
};

class Oprf {
 public:
  explicit Oprf(OprfMode mode);

  OprfMode mode() const { return mode_; }
  // "OPRFV1-" || I2OSP(mode, 1) || "-ristretto255-SHA512"
  const std::string& context_string() const { return context_; }

  // --- keys ---------------------------------------------------------------------------------
  // DeriveKeyPair (RFC 9497 §3.2.1); invalid_request when info is over 65535 bytes, internal when
  // no non-zero scalar comes out in 256 tries.
  Result<OprfKeyPair> derive_key_pair(std::string_view seed, std::string_view info) const;
  // A fresh random key pair.
  OprfKeyPair generate_key_pair() const;
  // The pair of a stored skS; invalid_request unless it is a canonical non-zero scalar.
  Result<OprfKeyPair> key_pair_from_secret(std::string_view secret) const;

  // --- server -------------------------------------------------------------------------------
  // BlindEvaluate of every element and, in mode voprf, one batch DLEQ proof (RFC 9497 §2.2).
  // `proof_random_scalar` is for test vectors; empty draws a fresh one.
  // invalid_request when the batch is empty or an element is not 32 bytes, not a canonical
  // encoding or the identity (the whole batch fails); invalid_request for a bad scalar.
  Result<OprfEvaluation> blind_evaluate(const OprfKeyPair& key,
                                        const std::vector<std::string>& blinded,
                                        std::string_view proof_random_scalar = {}) const;
  // The unblinded PRF output (64 bytes) of `input`, as the client's Finalize computes it.
  // invalid_request when the input is over 65535 bytes or hashes to the identity.
  Result<std::string> evaluate(const OprfKeyPair& key, std::string_view input) const;

  // --- client -------------------------------------------------------------------------------
  // Blind (RFC 9497 §3.3.1). `blind` is for test vectors; empty draws a fresh non-zero scalar.
  // invalid_request when the input is over 65535 bytes or hashes to the identity, or `blind` is
  // not a canonical non-zero scalar.
  Result<OprfBlinded> blind(std::string_view input, std::string_view blind = {}) const;
  // VerifyProof (RFC 9497 §2.2.2) for a batch: ok, or invalid_request when the public key or an
  // element is invalid or the identity, the counts differ, the proof is malformed or it does not
  // verify.
  Status verify_proof(std::string_view public_key, const std::vector<std::string>& blinded,
                      const std::vector<std::string>& evaluated, std::string_view proof) const;
  // Finalize (RFC 9497 §3.3.1): the 64-byte output. invalid_request when the evaluated element
  // is invalid or the identity, the blind is not a canonical non-zero scalar, or the input is
  // over 65535 bytes. In mode voprf, call verify_proof first.
  Result<std::string> finalize(std::string_view input, std::string_view blind,
                               std::string_view evaluated) const;

  // --- building blocks (RFC 9497 §4.1) --------------------------------------------------------
  // HashToGroup with DST "HashToGroup-" || contextString: a serialized element.
  Result<std::string> hash_to_group(std::string_view input) const;
  // HashToScalar with DST "HashToScalar-" || contextString, or `dst` when given.
  std::string hash_to_scalar(std::string_view input, std::string_view dst = {}) const;

 private:
  OprfMode mode_;
  std::string context_;
};

// True when `element` is the canonical encoding of a ristretto255 element other than the identity.
bool oprf_element_is_valid(std::string_view element);

}  // namespace resolver
