// Tests for discovery/private_routes.hpp through the Service (no sockets): the metadata, evaluate
// and bucket routes of DESIGN.md §12 with a real client (resolver/private_client.hpp), the
// rejections (each a clear sentence, nothing charged), and buckets the same for every caller.
#include "discovery/private_routes.hpp"

#include <doctest/doctest.h>

#include "resolver/base64url.hpp"
#include "resolver/private_client.hpp"
#include "resolver/private_index.hpp"
#include "tests/discovery/service_fixture.hpp"

using namespace resolver;
using json = nlohmann::json;

namespace {

struct PrivateFixture : test::ServiceFixture {
  PrivateFixture() {
    load_demo();
    (void)call("POST", "/v1/admin/optout", R"({"identifier": "+14155550100"})", admin);
    REQUIRE(keyring.reload(store()).ok());
    local = std::make_unique<Resolver>(store(), keyring, clock());
    index = std::make_unique<PrivateIndex>(store(), *local, clock());
  }
  Keyring keyring;
  std::unique_ptr<Resolver> local;
  std::unique_ptr<PrivateIndex> index;

  PrivateServerKey server_key() {
    auto meta = json(call("GET", "/.well-known/mimi-discovery"));
    auto key = read_private_metadata(meta);
    REQUIRE_MESSAGE(key.ok(), key.status().message());
    return *key;
  }
  // The private answer for canonical `id` through the routes, or nullopt for not found.
  std::optional<nlohmann::json> private_lookup(const std::string& id, const std::string& token = {}) {
    auto q = PrivateQuery::start(server_key(), {id});
    REQUIRE(q.ok());
    auto evaluated = call("POST", "/v1/private/evaluate", q->evaluate_request(), token);
    REQUIRE_MESSAGE(evaluated.status == 200, evaluated.body);
    REQUIRE(q->finish(evaluated.body).ok());
    auto bucket = call("GET", "/v1/private/buckets/" + q->key().key_id + "/" + std::to_string(q->bucket(0)));
    REQUIRE(bucket.status == 200);
    auto opened = q->open(0, bucket.body);
    REQUIRE(opened.ok());
    if (!*opened) return std::nullopt;
    return nlohmann::json::parse(**opened);
  }
  std::string blinded_of(const std::string& id) {
    const Oprf oprf(OprfMode::voprf);
    return base64url_encode(oprf.blind(id)->blinded_element);
  }
};

}  // namespace

TEST_CASE("private routes: answer 404 until an epoch is built, then advertise it") {
  PrivateFixture f;
  auto meta = test::ServiceFixture::json(f.call("GET", "/.well-known/mimi-discovery"));
  CHECK_FALSE(meta.contains("private"));
  auto none = f.call("POST", "/v1/private/evaluate", R"({"key_id": "x", "blinded": [")" + f.blinded_of("a") + "\"]}");
  CHECK(none.status == 404);
  CHECK(test::ServiceFixture::json(none)["error"]["message"].get<std::string>().find("private rotate") !=
        std::string::npos);
  auto epoch = f.index->rotate();
  REQUIRE(epoch.ok());
  f.clock().advance(std::chrono::seconds(2));  // past the epochs' cache
  meta = test::ServiceFixture::json(f.call("GET", "/.well-known/mimi-discovery"));
  REQUIRE(meta.contains("private"));
  CHECK(meta["private"]["key_id"] == epoch->key_id);
  CHECK(meta["private"]["suite"] == "ristretto255-SHA512");
  CHECK(meta["private"]["mode"] == 1);
  CHECK(meta["private"]["max_elements"] == 256);
  CHECK_FALSE(meta["private"].contains("previous"));
  // The epoch sits beside the members the other surfaces added (issue 14's peers, cli-ux's limits).
  CHECK(meta["peers"].is_array());
  CHECK(meta.contains("rate_limits") == discovery::Config{}.rate_limits.enabled);
  f.clock().advance(std::chrono::seconds(2));
  auto second = f.index->rotate();
  REQUIRE(second.ok());
  f.clock().advance(std::chrono::seconds(2));
  meta = test::ServiceFixture::json(f.call("GET", "/.well-known/mimi-discovery"));
  CHECK(meta["private"]["key_id"] == second->key_id);
  CHECK(meta["private"]["previous"]["key_id"] == epoch->key_id);
  CHECK(meta["private"]["previous"]["until"] == format_rfc3339(f.clock().now() - 2 + 86400));
}

TEST_CASE("private routes: a private lookup gives the answer of /v1/lookup?federate=false") {
  PrivateFixture f;
  REQUIRE(f.index->rotate().ok());
  for (const std::string id : {"tel:+14155552671", "mailto:alice@example.com", "tel:+14155550100"}) {
    INFO(id);
    std::string query = id;
    if (auto plus = query.find('+'); plus != std::string::npos) query.replace(plus, 1, "%2B");
    auto plain = f.call("GET", "/v1/lookup?id=" + query + "&federate=false");
    auto got = f.private_lookup(id, f.client);
    REQUIRE(got);
    CHECK(*got == test::ServiceFixture::json(plain));
  }
  CHECK_FALSE(f.private_lookup("tel:+14155550199"));
}

TEST_CASE("private routes: a bucket is the same for every caller, with an ETag") {
  PrivateFixture f;
  auto epoch = f.index->rotate();
  REQUIRE(epoch.ok());
  const std::string path = "/v1/private/buckets/" + epoch->key_id + "/0";
  auto anonymous = f.call("GET", path);
  auto client = f.call("GET", path, "", f.client);
  REQUIRE(anonymous.status == 200);
  CHECK(anonymous.body == client.body);
  const std::string etag = test::ServiceFixture::header(anonymous, "ETag");
  CHECK_FALSE(etag.empty());
  CHECK(test::ServiceFixture::header(client, "ETag") == etag);
  CHECK(test::ServiceFixture::header(anonymous, "RateLimit-Limit").empty());
  CHECK(test::ServiceFixture::header(anonymous, "Cache-Control").find("public") != std::string::npos);
  discovery::Request again;
  again.method = "GET";
  again.target = path;
  again.remote_ip = "198.51.100.1";
  again.headers.emplace_back("If-None-Match", etag);
  CHECK(f.service().handle(again).status == 304);
  CHECK(f.call("GET", "/v1/private/buckets/" + epoch->key_id + "/1").status == 400);  // B = 0
  CHECK(f.call("GET", "/v1/private/buckets/" + epoch->key_id + "/x").status == 400);
  auto gone = f.call("GET", "/v1/private/buckets/AAAAAAAAAAA/0");
  CHECK(gone.status == 409);
  CHECK(test::ServiceFixture::json(gone)["key_id"] == epoch->key_id);
}

TEST_CASE("private routes: evaluate refuses bad requests whole, each with a clear sentence") {
  PrivateFixture f;
  auto epoch = f.index->rotate();
  REQUIRE(epoch.ok());
  const std::string good = f.blinded_of("tel:+14155552671");
  auto post = [&](const std::string& body) { return f.call("POST", "/v1/private/evaluate", body); };
  auto key = [&](const std::string& blinded) {
    return R"({"key_id": ")" + epoch->key_id + R"(", "blinded": [)" + blinded + "]}";
  };
  CHECK(post(key("\"" + good + "\"")).status == 200);
  const std::string identity = base64url_encode(std::string(32, '\0'));
  const std::string noncanonical =
      base64url_encode(std::string("\xed\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
                                   "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 32));
  for (const std::string& bad : {"\"" + good + "\", \"" + identity + "\"", "\"" + noncanonical + "\"",
                                 std::string("\"AAAA\""), std::string("42"), std::string()}) {
    INFO(bad);
    auto r = post(key(bad));
    CHECK(r.status == 400);
    CHECK(test::ServiceFixture::code(r) == "invalid_request");
  }
  CHECK(post(R"({"blinded": [")" + good + "\"]}").status == 400);
  CHECK(post(R"({"key_id": "x", "blinded": [")" + good + R"("], "extra": 1})").status == 400);
  auto changed = post(R"({"key_id": "AAAAAAAAAAA", "blinded": [")" + good + "\"]}");
  CHECK(changed.status == 409);
  CHECK(test::ServiceFixture::code(changed) == "key_changed");
  CHECK(test::ServiceFixture::json(changed)["key_id"] == epoch->key_id);
  // More elements than the anonymous burst (40) can never pass: 413, naming the largest count.
  std::string many;
  for (int i = 0; i < 41; ++i) many += (i ? ",\"" : "\"") + good + "\"";
  auto big = post(key(many));
  CHECK(big.status == 413);
  CHECK(test::ServiceFixture::json(big)["error"]["message"].get<std::string>().find("40") != std::string::npos);
}
