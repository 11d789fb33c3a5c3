// Tests for resolver/oprf.hpp: every ristretto255-SHA512 vector of RFC 9497 Appendix A.1, OPRF
// and VOPRF modes, the batch of 2 included (tests/data/rfc9497_ristretto255.json); rejection of
// non-canonical and identity elements; proofs that must not verify; a random round trip.
#include "resolver/oprf.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "resolver/hex.hpp"

using namespace resolver;

namespace {

// A test vector's bytes; a malformed vector throws (bad_optional_access) and fails the test.
std::string from_hex(std::string_view hex) { return hex_decode(hex).value(); }

std::vector<std::string> hex_list(const nlohmann::json& list) {
  std::vector<std::string> out;
  for (const auto& item : list) out.push_back(from_hex(item.get<std::string>()));
  return out;
}

nlohmann::json mode_vectors(int mode) {
  std::ifstream in(std::string(MIMI_SOURCE_DIR) + "/tests/data/rfc9497_ristretto255.json");
  REQUIRE(in.good());
  const auto doc = nlohmann::json::parse(in);
  for (const auto& m : doc.at("modes")) {
    if (m.at("mode").get<int>() == mode) return m;
  }
  FAIL("no vectors for mode ", mode);
  return {};
}

// Runs every vector of one mode; returns how many vectors (not elements) passed through.
int run_mode(OprfMode mode) {
  const auto m = mode_vectors(static_cast<int>(mode));
  const Oprf oprf(mode);
  auto key = oprf.derive_key_pair(from_hex(m.at("Seed").get<std::string>()),
                                  from_hex(m.at("KeyInfo").get<std::string>()));
  REQUIRE(key.ok());
  CHECK(hex_encode(key->secret) == m.at("skSm").get<std::string>());
  if (m.contains("pkSm")) CHECK(hex_encode(key->public_key) == m.at("pkSm").get<std::string>());
  int count = 0;
  for (const auto& v : m.at("vectors")) {
    INFO(m.at("name").get<std::string>(), ": ", v.at("name").get<std::string>());
    const auto inputs = hex_list(v.at("Input"));
    const auto blinds = hex_list(v.at("Blind"));
    const auto blinded_expected = hex_list(v.at("BlindedElement"));
    const auto evaluated_expected = hex_list(v.at("EvaluationElement"));
    const auto outputs = hex_list(v.at("Output"));
    std::vector<std::string> blinded;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      auto b = oprf.blind(inputs[i], blinds[i]);
      REQUIRE(b.ok());
      CHECK(hex_encode(b->blinded_element) == hex_encode(blinded_expected[i]));
      blinded.push_back(b->blinded_element);
    }
    std::string proof_r;
    if (v.contains("ProofRandomScalar")) proof_r = from_hex(v.at("ProofRandomScalar").get<std::string>());
    auto evaluation = oprf.blind_evaluate(*key, blinded, proof_r);
    REQUIRE(evaluation.ok());
    REQUIRE(evaluation->evaluated.size() == inputs.size());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      CHECK(hex_encode(evaluation->evaluated[i]) == hex_encode(evaluated_expected[i]));
    }
    if (v.contains("Proof")) {
      CHECK(hex_encode(evaluation->proof) == v.at("Proof").get<std::string>());
      CHECK(oprf.verify_proof(key->public_key, blinded, evaluation->evaluated,
                              from_hex(v.at("Proof").get<std::string>()))
                .ok());
    } else {
      CHECK(evaluation->proof.empty());
    }
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      auto out = oprf.finalize(inputs[i], blinds[i], evaluated_expected[i]);
      REQUIRE(out.ok());
      CHECK(hex_encode(*out) == hex_encode(outputs[i]));
      auto direct = oprf.evaluate(*key, inputs[i]);
      REQUIRE(direct.ok());
      CHECK(hex_encode(*direct) == hex_encode(outputs[i]));
    }
    ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("oprf: context strings of RFC 9497 §3.1") {
  CHECK(Oprf(OprfMode::oprf).context_string() == std::string("OPRFV1-\x00-ristretto255-SHA512", 28));
  CHECK(Oprf(OprfMode::voprf).context_string() == std::string("OPRFV1-\x01-ristretto255-SHA512", 28));
}

TEST_CASE("oprf: RFC 9497 A.1.1 ristretto255-SHA512 OPRF mode, every vector") {
  CHECK(run_mode(OprfMode::oprf) == 2);
}

TEST_CASE("oprf: RFC 9497 A.1.2 ristretto255-SHA512 VOPRF mode, every vector (batch of 2 included)") {
  CHECK(run_mode(OprfMode::voprf) == 3);
}

TEST_CASE("oprf: BlindEvaluate rejects non-canonical, identity and malformed elements") {
  const Oprf oprf(OprfMode::voprf);
  const auto key = oprf.generate_key_pair();
  auto good = oprf.blind("tel:+14155552671");
  REQUIRE(good.ok());
  // The identity, a non-canonical encoding (p + 0, the field prime itself), a negative s (odd
  // low bit), a wrong size, and a good element followed by a bad one: the batch fails whole.
  const std::string identity(32, '\0');
  const std::string p_itself = from_hex("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
  const std::string negative = from_hex("0100000000000000000000000000000000000000000000000000000000000000");
  const std::vector<std::vector<std::string>> bad = {
      {identity}, {p_itself}, {negative}, {std::string(31, 'x')}, {good->blinded_element, identity}, {}};
  for (const auto& batch : bad) {
    auto r = oprf.blind_evaluate(key, batch);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::invalid_request);
  }
  CHECK_FALSE(oprf_element_is_valid(identity));
  CHECK_FALSE(oprf_element_is_valid(p_itself));
  CHECK(oprf_element_is_valid(good->blinded_element));
}

TEST_CASE("oprf: a random VOPRF round trip matches Evaluate, and altered proofs do not verify") {
  const Oprf oprf(OprfMode::voprf);
  const auto key = oprf.generate_key_pair();
  const std::vector<std::string> inputs = {"tel:+14155552671", "mailto:alice@example.com",
                                           "handle:@bob"};
  std::vector<OprfBlinded> blinds;
  std::vector<std::string> blinded;
  for (const auto& input : inputs) {
    auto b = oprf.blind(input);
    REQUIRE(b.ok());
    blinded.push_back(b->blinded_element);
    blinds.push_back(*b);
  }
  auto evaluation = oprf.blind_evaluate(key, blinded);
  REQUIRE(evaluation.ok());
  CHECK(oprf.verify_proof(key.public_key, blinded, evaluation->evaluated, evaluation->proof).ok());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    auto out = oprf.finalize(inputs[i], blinds[i].blind, evaluation->evaluated[i]);
    REQUIRE(out.ok());
    CHECK(*out == *oprf.evaluate(key, inputs[i]));
  }
  // Another key's public key, swapped elements, a flipped proof bit, a short batch.
  const auto other = oprf.generate_key_pair();
  CHECK(oprf.verify_proof(other.public_key, blinded, evaluation->evaluated, evaluation->proof).code() ==
        Code::invalid_request);
  auto swapped = evaluation->evaluated;
  std::swap(swapped[0], swapped[1]);
  CHECK_FALSE(oprf.verify_proof(key.public_key, blinded, swapped, evaluation->proof).ok());
  std::string flipped = evaluation->proof;
  flipped[3] = static_cast<char>(flipped[3] ^ 1);
  CHECK_FALSE(oprf.verify_proof(key.public_key, blinded, evaluation->evaluated, flipped).ok());
  auto fewer = evaluation->evaluated;
  fewer.pop_back();
  CHECK_FALSE(oprf.verify_proof(key.public_key, blinded, fewer, evaluation->proof).ok());
  CHECK_FALSE(oprf.verify_proof(std::string(32, '\0'), blinded, evaluation->evaluated,
                                evaluation->proof)
                  .ok());
  // An identity evaluated element is refused by Finalize.
  CHECK(oprf.finalize(inputs[0], blinds[0].blind, std::string(32, '\0')).status().code() ==
        Code::invalid_request);
}

TEST_CASE("oprf: stored secrets must be canonical non-zero scalars") {
  const Oprf oprf(OprfMode::voprf);
  const auto key = oprf.generate_key_pair();
  auto again = oprf.key_pair_from_secret(key.secret);
  REQUIRE(again.ok());
  CHECK(again->public_key == key.public_key);
  CHECK(oprf.key_pair_from_secret(std::string(32, '\0')).status().code() == Code::invalid_request);
  CHECK(oprf.key_pair_from_secret(std::string(32, '\xff')).status().code() == Code::invalid_request);
  CHECK(oprf.key_pair_from_secret("short").status().code() == Code::invalid_request);
}
