// Tests of resolver/peer_answer.hpp: the §4.1 shape gives error, every verification failure gives
// bad_signature and drops the whole answer (DESIGN.md §5).
#include "resolver/peer_answer.hpp"

#include <doctest/doctest.h>

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

  std::vector<std::pair<const char*, nlohmann::json>> forged;
  forged.emplace_back("wrong key", other.mapping(claims()));
  auto c = claims();
  c.iss = "dp3.example";
  forged.emplace_back("iss is another DP", peer.mapping(c));
  c = claims();
  c.sub = "tel:+14155550000";
  forged.emplace_back("sub is another identifier", peer.mapping(c));
  c = claims();
  c.exp = kNow;
  forged.emplace_back("expired", peer.mapping(c));
  auto m = peer.mapping(claims());
  m["user"] = "someone-else";
  forged.emplace_back("user differs from the claims", m);
  m = peer.mapping(claims());
  m["provider"] = "evil.example";
  forged.emplace_back("provider differs from the claims", m);
  m = peer.mapping(claims());
  std::string jws = m["assertion"];
  jws[jws.find('.') + 5] ^= 1;
  m["assertion"] = jws;
  forged.emplace_back("tampered payload", m);
  m["assertion"] = "not.a.jws";
  forged.emplace_back("garbage assertion", m);

  for (const auto& [name, mapping] : forged) {
    CAPTURE(name);
    auto a = test::PeerSigner::answer(kId, {honest, mapping});
    auto checked = check_peer_answer(a, kId, "dp2.example", peer.key.public_key(), kNow);
    CHECK(checked.status == PeerStatus::bad_signature);
    CHECK(checked.lookup.mappings.empty());
  }
}

TEST_CASE("answers not of the 4.1 shape are error") {
  test::PeerSigner peer{"dp2.example"};
  const auto honest = peer.mapping(peer.claims(kId, "chat.example", "u1", kNow));
  std::vector<std::pair<const char*, nlohmann::json>> bad = {
      {"a string", "garbage"},
      {"an array", nlohmann::json::array()},
      {"another identifier", test::PeerSigner::answer("tel:+14155550000", {honest})},
      {"unknown status", test::PeerSigner::answer(kId, {honest}, "maybe")},
      {"found without mappings", test::PeerSigner::answer(kId, {}, "found")},
      {"not_found with mappings", test::PeerSigner::answer(kId, {honest}, "not_found")},
      {"mapping without assertion", test::PeerSigner::answer(kId, {{{"provider", "a.example"}, {"user", "u"}}})},
      {"a batch error entry", {{"query", kId}, {"error", {{"code", "invalid_identifier"}, {"message", "x"}}}}},
  };
  for (const auto& [name, answer] : bad) {
    CAPTURE(name);
    CHECK(check_peer_answer(answer, kId, "dp2.example", peer.key.public_key(), kNow).status == PeerStatus::error);
  }
}
