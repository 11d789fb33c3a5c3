// Tests of resolver/peer_answer.hpp: the §4.1 shape gives error, every verification failure gives
// bad_signature and drops the whole answer (DESIGN.md §5); each says which in its detail (issue 8).
#include "resolver/peer_answer.hpp"

#include <doctest/doctest.h>

#include <tuple>

#include "tests/resolver/peer_signer.hpp"

using namespace resolver;

namespace {

const std::string kId = "tel:+14155552671";
constexpr UnixTime kNow = 1'800'000'000;

}  // namespace

TEST_CASE("an honest answer is kept with claims from the assertion") {
  test::PeerSigner peer{"dp2.example"};
  auto a = test::PeerSigner::answer(kId, {peer.mapping(peer.claims(kId, "chat.example", "u1", kNow, 100))});
  auto c = check_peer_answer(a, kId, "dp2.example", peer.key.public_key(), kNow);
  REQUIRE(c.status == PeerStatus::ok);
  CHECK(c.detail.empty());
  CHECK(c.lookup.status == LookupStatus::found);
  REQUIRE(c.lookup.mappings.size() == 1);
  CHECK(c.lookup.mappings[0].source == "dp2.example");
  CHECK(c.lookup.mappings[0].mapping.user == "u1");
  CHECK(c.lookup.min_exp == kNow + 100);

  auto none = check_peer_answer(test::PeerSigner::answer(kId, {}), kId, "dp2.example", peer.key.public_key(), kNow);
  CHECK(none.status == PeerStatus::ok);
  CHECK(none.lookup.status == LookupStatus::not_found);
  auto out = check_peer_answer(test::PeerSigner::answer(kId, {}, "opted_out"), kId, "dp2.example",
                               peer.key.public_key(), kNow);
  CHECK(out.status == PeerStatus::ok);
  CHECK(out.lookup.status == LookupStatus::opted_out);
}

TEST_CASE("each verification failure is bad_signature and drops the honest mappings too") {
  test::PeerSigner peer{"dp2.example"};
  test::PeerSigner other{"dp2.example"};  // same domain, another key
  const auto honest = peer.mapping(peer.claims(kId, "chat.example", "u1", kNow));
  auto claims = [&] { return peer.claims(kId, "talk.example", "u2", kNow); };

  const std::string unproved =
      "An assertion from the peer does not verify under its pinned key; if the peer rotated its key, add "
      "the peer again with the new one.";
  const std::string differs = "A mapping from the peer differs from what its assertion signs (provider or user).";
  std::vector<std::tuple<const char*, nlohmann::json, std::string>> forged;
  forged.emplace_back("wrong key", other.mapping(claims()), unproved);
  auto c = claims();
  c.iss = "dp3.example";
  forged.emplace_back("iss is another DP", peer.mapping(c),
                      "An assertion from the peer names another issuer (iss) than the peer's domain.");
  c = claims();
  c.sub = "tel:+14155550000";
  forged.emplace_back("sub is another identifier", peer.mapping(c),
                      "An assertion from the peer is about another identifier (sub) than the one asked.");
  c = claims();
  c.exp = kNow;
  forged.emplace_back("expired", peer.mapping(c),
                      "An assertion from the peer has expired (exp); check the clocks of both DPs.");
  auto m = peer.mapping(claims());
  m["user"] = "someone-else";
  forged.emplace_back("user differs from the claims", m, differs);
  m = peer.mapping(claims());
  m["provider"] = "evil.example";
  forged.emplace_back("provider differs from the claims", m, differs);
  m = peer.mapping(claims());
  std::string jws = m["assertion"];
  jws[jws.find('.') + 5] ^= 1;
  m["assertion"] = jws;
  forged.emplace_back("tampered payload", m, unproved);
  m["assertion"] = "not.a.jws";
  forged.emplace_back("garbage assertion", m, unproved);

  for (const auto& row : forged) {
    // Named locals: clang 14 cannot capture a structured binding in CAPTURE's lambda.
    const auto& name = std::get<0>(row);
    const auto& mapping = std::get<1>(row);
    const auto& detail = std::get<2>(row);
    CAPTURE(name);
    auto a = test::PeerSigner::answer(kId, {honest, mapping});
    auto checked = check_peer_answer(a, kId, "dp2.example", peer.key.public_key(), kNow);
    CHECK(checked.status == PeerStatus::bad_signature);
    CHECK(checked.detail == detail);
    CHECK(checked.lookup.mappings.empty());
  }
}

TEST_CASE("answers not of the 4.1 shape are error") {
  test::PeerSigner peer{"dp2.example"};
  const auto honest = peer.mapping(peer.claims(kId, "chat.example", "u1", kNow));
  const std::string not_lookup = "The peer's answer is not a lookup object (identifier, status, mappings).";
  auto no_mappings = test::PeerSigner::answer(kId, {});
  no_mappings.erase("mappings");
  const std::vector<std::tuple<const char*, nlohmann::json, std::string>> bad = {
      {"a string", "garbage", not_lookup},
      {"an array", nlohmann::json::array(), not_lookup},
      {"no mappings", no_mappings, not_lookup},
      {"another identifier", test::PeerSigner::answer("tel:+14155550000", {honest}),
       "The peer's answer is about another identifier than the one asked."},
      {"unknown status", test::PeerSigner::answer(kId, {honest}, "maybe"),
       "The peer's answer has a status other than found, not_found or opted_out."},
      {"found without mappings", test::PeerSigner::answer(kId, {}, "found"),
       "The peer's answer is found but has no mappings."},
      {"not_found with mappings", test::PeerSigner::answer(kId, {honest}, "not_found"),
       "The peer's answer has mappings with a status other than found."},
      {"mapping without assertion", test::PeerSigner::answer(kId, {{{"provider", "a.example"}, {"user", "u"}}}),
       "A mapping in the peer's answer lacks its provider, user or assertion."},
      {"a batch error entry", {{"query", kId}, {"error", {{"code", "invalid_identifier"}, {"message", "x"}}}},
       "The peer answered an error entry instead of a lookup object."},
  };
  for (const auto& row : bad) {
    // Named locals: clang 14 cannot capture a structured binding in CAPTURE's lambda.
    const auto& name = std::get<0>(row);
    const auto& answer = std::get<1>(row);
    const auto& detail = std::get<2>(row);
    CAPTURE(name);
    auto checked = check_peer_answer(answer, kId, "dp2.example", peer.key.public_key(), kNow);
    CHECK(checked.status == PeerStatus::error);
    CHECK(checked.detail == detail);
  }
}
