// Tests for resolver/base64url.hpp: RFC 4648 §10 vectors, the URL alphabet, and strict rejection.
#include "resolver/base64url.hpp"

#include <doctest/doctest.h>

#include <string>

using resolver::base64url_decode;
using resolver::base64url_encode;

TEST_CASE("base64url: RFC 4648 section 10 vectors, unpadded") {
  const struct {
    std::string bytes;
    std::string text;
  } cases[] = {
      {"", ""},          {"f", "Zg"},         {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.text);
    CHECK(base64url_encode(c.bytes) == c.text);
    const auto decoded = base64url_decode(c.text);
    REQUIRE(decoded.has_value());
    CHECK(*decoded == c.bytes);
  }
}

TEST_CASE("base64url: uses - and _ (RFC 4648 section 5)") {
  const std::string bytes("\xfb\xff\xbf", 3);
  CHECK(base64url_encode(bytes) == "-_-_");
  CHECK(base64url_decode("-_-_") == bytes);
}

TEST_CASE("base64url: every byte value round-trips") {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t n = 0; n <= all.size(); n += 17) {
    const auto prefix = all.substr(0, n);
    CHECK(base64url_decode(base64url_encode(prefix)) == prefix);
  }
}

TEST_CASE("base64url: bad inputs are rejected") {
  const struct {
    const char* text;
    const char* why;
  } cases[] = {
      {"Zg==", "padding"},
      {"Zm8=", "padding"},
      {"Zg=", "padding"},
      {"Z", "impossible length (1 mod 4)"},
      {"Zm9vY", "impossible length (1 mod 4)"},
      {"+/+/", "standard alphabet"},
      {"Zm9v Yg", "space"},
      {"Zm9v\nYg", "newline"},
      {"Zm9v.Yg", "dot"},
      {"Zh", "non-canonical trailing bits (1 byte)"},
      {"Zm9", "non-canonical trailing bits (2 bytes)"},
      {"QR", "non-canonical trailing bits"},
      {"Zm\xc3\xa9", "non-ASCII"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.why);
    CHECK_FALSE(base64url_decode(c.text).has_value());
  }
  CHECK_FALSE(base64url_decode(std::string("Zm\0v", 4)).has_value());
}
