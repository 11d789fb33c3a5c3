// Tests for resolver/expand_message.hpp: every expand_message_xmd(SHA-512) vector of RFC 9380
// Appendix K.3 (tests/data/rfc9380_expand_message_xmd_sha512.json) and the aborts of §5.3.1.
#include "resolver/expand_message.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "resolver/hex.hpp"

using namespace resolver;

namespace {

nlohmann::json load_vectors() {
  std::ifstream in(std::string(MIMI_SOURCE_DIR) + "/tests/data/rfc9380_expand_message_xmd_sha512.json");
  REQUIRE(in.good());
  return nlohmann::json::parse(in);
}

}  // namespace

TEST_CASE("expand_message_xmd: RFC 9380 K.3 SHA-512 vectors, all of them") {
  const auto doc = load_vectors();
  const std::string dst = doc.at("DST").get<std::string>();
  int count = 0;
  for (const auto& v : doc.at("vectors")) {
    const std::string msg = v.at("msg").get<std::string>();
    const std::size_t len = v.at("len_in_bytes").get<std::size_t>();
    const std::string expected = v.at("uniform_bytes").get<std::string>();
    auto out = expand_message_xmd_sha512(msg, dst, len);
    REQUIRE(out.ok());
    INFO("msg of ", msg.size(), " bytes, len_in_bytes ", len);
    CHECK(hex_encode(*out) == expected);
    ++count;
  }
  CHECK(count == 10);
}

TEST_CASE("expand_message_xmd: the aborts of RFC 9380 §5.3.1") {
  CHECK(expand_message_xmd_sha512("abc", "DST", 255 * 64).ok());
  auto too_many_blocks = expand_message_xmd_sha512("abc", "DST", 255 * 64 + 1);
  REQUIRE_FALSE(too_many_blocks.ok());
  CHECK(too_many_blocks.status().code() == Code::invalid_request);
  CHECK(expand_message_xmd_sha512("abc", "DST", 65536).status().code() == Code::invalid_request);
  CHECK(expand_message_xmd_sha512("abc", std::string(255, 'A'), 32).ok());
  CHECK(expand_message_xmd_sha512("abc", std::string(256, 'A'), 32).status().code() ==
        Code::invalid_request);
  auto empty = expand_message_xmd_sha512("abc", "DST", 0);
  REQUIRE(empty.ok());
  CHECK(empty->empty());
}
