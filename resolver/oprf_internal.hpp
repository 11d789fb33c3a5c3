// Helpers shared by oprf.cpp and oprf_proof.cpp: byte views, I2OSP, ristretto255 arithmetic on
// serialized values. Internal to the OPRF; thread-safe free functions.
#pragma once

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/oprf.hpp"

namespace resolver::oprf_internal {

const unsigned char* bytes(std::string_view s);
unsigned char* bytes(std::string& s);
void wipe(std::string& s);
std::string i2osp2(std::size_t n);
// I2OSP(len(s), 2) || s
std::string length_prefixed(std::string_view s);
bool scalar_is_canonical_nonzero(std::string_view scalar);
// REQUIRES: valid scalar and element encodings. The identity comes out as 32 zero bytes.
std::string scalar_mult(std::string_view scalar, std::string_view element);
std::string scalar_mult_base(std::string_view scalar);
std::string add(std::string_view a, std::string_view b);
std::string sha512(std::string_view data);

// GenerateProof (RFC 9497 §2.2.1) with A = G, B = pkS, C = blinded, D = evaluated: c || s.
// `random_scalar` empty draws r; invalid_request when it is not a canonical non-zero scalar.
Result<std::string> generate_proof(const Oprf& oprf, const OprfKeyPair& key,
                                   const std::vector<std::string>& blinded,
                                   const std::vector<std::string>& evaluated,
                                   std::string_view random_scalar);

}  // namespace resolver::oprf_internal
