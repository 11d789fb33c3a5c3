// Unit tests of the WebFinger surface's parts: reading `resource` (RFC 7033 §4.1, DESIGN.md §11)
// and writing the JRD (§4.4). The routes themselves run against a real discoveryd in
// tests/e2e/webfinger_test.cpp and against webfinger.js in tests/interop/.
#include "discovery/webfinger_routes.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

using resolver::Code;

TEST_CASE("read_webfinger_resource: absolute URIs of our schemes are canonicalised") {
  resolver::IdentifierCache cache(16);
  struct Good {
    const char* resource;
    const char* canonical;
  };
  const Good good[] = {{"acct:Alice@Chat.Example", "acct:alice@chat.example"},
                       {"ACCT:alice@chat.example", "acct:alice@chat.example"},
                       {"mailto:Bob@Example.ORG", "mailto:bob@example.org"},
                       {"tel:+1-415-555-2671", "tel:+14155552671"},
                       {"Tel:+14155552671", "tel:+14155552671"}};
  for (const auto& g : good) {
    CAPTURE(g.resource);
    auto r = discovery::read_webfinger_resource(g.resource, cache);
    REQUIRE(r.ok());
    REQUIRE(r->identifier.has_value());
    REQUIRE(r->identifier->ok());
    CHECK((*r->identifier)->canonical == g.canonical);
  }
}

TEST_CASE("read_webfinger_resource: other schemes name nothing, bad identifiers do not parse") {
  resolver::IdentifierCache cache(16);
  for (const char* other : {"https://chat.example/u/1", "xmpp:alice@example.com", "did:web:example.com", "a:"}) {
    CAPTURE(other);
    auto r = discovery::read_webfinger_resource(other, cache);
    REQUIRE(r.ok());
    CHECK_FALSE(r->identifier.has_value());
  }
  for (const char* bad : {"acct:", "tel:4155552671", "mailto:no-at-sign", "acct:a b@chat.example"}) {
    CAPTURE(bad);
    auto r = discovery::read_webfinger_resource(bad, cache);
    REQUIRE(r.ok());
    REQUIRE(r->identifier.has_value());
    CHECK(r->identifier->status().code() == Code::invalid_identifier);
  }
}

TEST_CASE("read_webfinger_resource: empty or not an absolute URI is invalid_request") {
  resolver::IdentifierCache cache(16);
  for (const char* bad : {"", "alice@chat.example", "=acct:alice@chat.example", "+14155552671", ":x",
                          "1tel:+14155552671", " acct:alice@chat.example", "ac ct:alice@chat.example"}) {
    CAPTURE(bad);
    auto r = discovery::read_webfinger_resource(bad, cache);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == Code::invalid_request);
  }
}

TEST_CASE("webfinger_jrd: self links first, mapping links in order, rel filters") {
  resolver::LookupResult found;
  found.identifier = {resolver::IdentifierType::handle, "acct:dana@social.example"};
  found.status = resolver::LookupStatus::found;
  resolver::Mapping a{"acct:dana@social.example", "chat.example", "mimi://chat.example/u/dana", {"work"},
                      {{"ed25519", "k1", "AAAA"}}, 1, 1893456000, 1};
  resolver::Mapping b{"acct:dana@social.example", "social.example", "HTTPS://social.example/users/dana", {}, {},
                      1, std::nullopt, 2};
  found.mappings = {{a, "local", "h.p.s"}, {b, "local", "h2.p2.s2"}};

  auto all = nlohmann::json::parse(discovery::webfinger_jrd(found, {}));
  CHECK(all["subject"] == "acct:dana@social.example");
  CHECK_FALSE(all.contains("aliases"));
  REQUIRE(all["links"].size() == 3);
  CHECK(all["links"][0] == nlohmann::json{{"rel", "self"}, {"type", "application/activity+json"},
                                          {"href", "HTTPS://social.example/users/dana"}});
  const auto& first = all["links"][1];
  CHECK(first["rel"] == discovery::kMappingRel);
  CHECK(first["href"] == "mimi://chat.example/u/dana");
  CHECK(first["titles"] == nlohmann::json{{"und", "chat.example"}});
  const std::string p(discovery::kPropertyPrefix);
  CHECK(first["properties"][p + "provider"] == "chat.example");
  CHECK(first["properties"][p + "tags"] == R"(["work"])");
  CHECK(nlohmann::json::parse(first["properties"][p + "keys"].get<std::string>())[0]["id"] == "k1");
  CHECK(first["properties"][p + "expires_at"] == "2030-01-01T00:00:00Z");
  CHECK(first["properties"][p + "assertion"] == "h.p.s");
  CHECK(all["links"][2]["properties"][p + "expires_at"].is_null());

  auto self = nlohmann::json::parse(discovery::webfinger_jrd(found, {"self"}));
  CHECK(self["links"].size() == 1);
  auto mapped = nlohmann::json::parse(discovery::webfinger_jrd(found, {std::string(discovery::kMappingRel)}));
  CHECK(mapped["links"].size() == 2);
  auto none = nlohmann::json::parse(discovery::webfinger_jrd(found, {"http://webfinger.net/rel/avatar"}));
  CHECK(none["links"] == nlohmann::json::array());
  CHECK(discovery::webfinger_jrd(found, {"self", std::string(discovery::kMappingRel)}) ==
        discovery::webfinger_jrd(found, {std::string(discovery::kMappingRel), "self"}));
}
