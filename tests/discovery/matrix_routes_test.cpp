// Unit tests of the Matrix identity surface (DESIGN.md §11) without sockets: the readers of user
// URIs and plain addresses, the pepper's grace period, the timer, and the routes over a Service
// with a manual clock (rotation, the admin API keeping the hashes, the error shape).
#include "discovery/matrix_routes.hpp"

#include <doctest/doctest.h>

#include "discovery/pepper_rotator.hpp"
#include "service_fixture.hpp"

using discovery::matrix_user_id;
using discovery::pepper_accepted;
using discovery::plain_address_identifier;
using resolver::Pepper;

TEST_CASE("matrix: user ids of matrix:u/ URIs, and nothing for other users") {
  CHECK(matrix_user_id("matrix:u/alice:matrix.example") == std::optional<std::string>("@alice:matrix.example"));
  CHECK(matrix_user_id("matrix:u/alice:matrix.example?action=chat") ==
        std::optional<std::string>("@alice:matrix.example"));
  CHECK(matrix_user_id("matrix:u/al%69ce:matrix.example:8448") ==
        std::optional<std::string>("@alice:matrix.example:8448"));
  for (const char* bad : {"mimi://chat.example/u/1", "matrix:r/room:matrix.example", "matrix:u/alice",
                          "matrix:u/:matrix.example", "matrix:u/alice:", "matrix:u/a%2Fb:matrix.example",
                          "https://matrix.to/#/@alice:matrix.example"}) {
    CAPTURE(bad);
    CHECK_FALSE(matrix_user_id(bad).has_value());
  }
}

TEST_CASE("matrix: plain addresses of the none algorithm") {
  resolver::IdentifierCache cache(16);
  struct Good { const char* address; const char* canonical; };
  for (const Good& g : {Good{"alice@example.com email", "mailto:alice@example.com"},
                        Good{"Alice@Example.COM email", "mailto:alice@example.com"},
                        Good{"carol@b\xc3\xbc" "cher.example email", "mailto:carol@xn--bcher-kva.example"},
                        Good{"14155552671 msisdn", "tel:+14155552671"}}) {
    CAPTURE(g.address);
    auto id = plain_address_identifier(g.address, cache);
    REQUIRE(id.ok());
    CHECK(*id == g.canonical);
  }
  for (const char* bad : {"alice@example.com", "alice@example.com phone", "+14155552671 msisdn",
                          "1415 555 2671 msisdn", "12 msisdn", "not-an-email email", " msisdn", ""}) {
    CAPTURE(bad);
    auto id = plain_address_identifier(bad, cache);
    REQUIRE_FALSE(id.ok());
    CHECK(id.status().code() == resolver::Code::invalid_identifier);
  }
}

TEST_CASE("matrix: the current pepper and retired ones within the grace period are accepted") {
  std::vector<Pepper> peppers = {{"new", 1000, std::nullopt}, {"old", 500, 1000}};
  CHECK(pepper_accepted(peppers, "new", 5000, 600));
  CHECK(pepper_accepted(peppers, "old", 1599, 600));
  CHECK_FALSE(pepper_accepted(peppers, "old", 1600, 600));
  CHECK_FALSE(pepper_accepted(peppers, "old", 1000, 0));
  CHECK_FALSE(pepper_accepted(peppers, "other", 1000, 600));
  CHECK_FALSE(pepper_accepted({}, "", 1000, 600));
}

TEST_CASE("matrix: the timer makes the first pepper, rotates when due, and drops expired hashes") {
  test::ServiceFixture f;
  discovery::MatrixConfig config;
  config.pepper_rotation_s = 100;
  config.pepper_grace_s = 10;
  std::vector<std::pair<discovery::log::Level, std::string>> log;
  discovery::PepperRotator rotator(f.store(), f.clock(), config,
                                   [&](discovery::log::Level level, const std::string& s) { log.emplace_back(level, s); });
  REQUIRE(rotator.tick().ok());
  auto first = f.store().peppers();
  REQUIRE(first->size() == 1);
  REQUIRE(rotator.tick().ok());
  CHECK(f.store().peppers()->front().value == first->front().value);  // not due yet
  f.clock().advance(std::chrono::seconds(100));
  REQUIRE(rotator.tick().ok());
  auto second = f.store().peppers();
  REQUIRE(second->size() == 2);
  CHECK(second->front().value != first->front().value);
  f.clock().advance(std::chrono::seconds(10));
  REQUIRE(rotator.tick().ok());
  CHECK(f.store().peppers()->size() == 1);  // the retired one's hashes are dropped
  REQUIRE(log.size() == 2);
  // Routine events, not warnings an operator is paged for.
  CHECK(log[0].first == discovery::log::Level::info);
  CHECK(log[0].second == "made the Matrix lookup pepper");
  CHECK(log[1].first == discovery::log::Level::info);
  CHECK(log[1].second == "rotated the Matrix lookup pepper");
}

TEST_CASE("matrix: routes over the Service: admin writes keep the hashes, errors in the Matrix shape") {
  test::ServiceFixture f;
  discovery::PepperRotator rotator(f.store(), f.clock(), {}, [](discovery::log::Level, const std::string&) {});
  REQUIRE(rotator.tick().ok());
  auto put = f.call("PUT", "/v1/admin/mappings", R"({"mappings": [
      {"identifier": "alice@example.com", "provider": "matrix.example", "user": "matrix:u/alice:matrix.example"}]})",
                    f.admin);
  REQUIRE(put.status == 200);
  auto details = f.call("GET", "/_matrix/identity/v2/hash_details", "", f.client);
  REQUIRE(details.status == 200);
  const std::string pepper = f.json(details)["lookup_pepper"];
  nlohmann::json body = {{"addresses", {resolver::matrix_hash("alice@example.com", "email", pepper)}},
                         {"algorithm", "sha256"},
                         {"pepper", pepper}};
  auto hit = f.call("POST", "/_matrix/identity/v2/lookup", body.dump(), f.client);
  REQUIRE(hit.status == 200);
  CHECK(f.json(hit)["mappings"].size() == 1);
  REQUIRE(f.call("DELETE", "/v1/admin/mappings", R"({"identifier": "alice@example.com"})", f.admin).status == 200);
  auto miss = f.call("POST", "/_matrix/identity/v2/lookup", body.dump(), f.client);
  REQUIRE(miss.status == 200);
  CHECK(f.json(miss)["mappings"].empty());

  auto bad = f.call("POST", "/_matrix/identity/v2/lookup", R"({"addresses": []})", f.client);
  CHECK(bad.status == 400);
  CHECK(f.json(bad)["errcode"] == "M_MISSING_PARAMS");
  CHECK(f.header(bad, "Access-Control-Allow-Origin") == "*");
  auto none = f.call("GET", "/_matrix/identity/v2/nothing");
  CHECK(none.status == 404);
  CHECK(f.json(none)["errcode"] == "M_UNRECOGNIZED");
}
