// Tests for resolver/identifier_cache.hpp: the same answers as parse_identifier, cached or not,
// rejections never kept, the bound holds.
#include "resolver/identifier_cache.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace resolver;

TEST_CASE("IdentifierCache: answers exactly as parse_identifier, on a miss and on a hit") {
  const std::vector<std::pair<std::string, std::string>> inputs = {
      {"+1 (415) 555-2671", ""}, {"030 901820", "DE"}, {"030 901820", "de"}, {"Alice@Example.COM", ""},
      {"@bob@chat.example", ""}, {"12", "US"},         {"", ""},           {"030 901820", ""},
  };
  for (std::size_t capacity : {std::size_t{0}, std::size_t{64}}) {
    IdentifierCache cache(capacity);
    for (int round = 0; round < 2; ++round) {
      for (const auto& in : inputs) {
        // Named locals: clang 14 cannot capture a structured binding in CAPTURE's lambda.
        const std::string& input = in.first;
        const std::string& region = in.second;
        CAPTURE(input);
        CAPTURE(region);
        auto want = parse_identifier(input, region);
        auto got = cache.parse(input, region);
        REQUIRE(got.ok() == want.ok());
        if (want) {
          CHECK(got->canonical == want->canonical);
          CHECK(got->type == want->type);
        } else {
          CHECK(got.status().code() == want.status().code());
          CHECK(got.status().message() == want.status().message());
        }
      }
    }
  }
}

TEST_CASE("IdentifierCache: the region is part of the key") {
  IdentifierCache cache(64);
  CHECK(cache.parse("030 901820", "DE")->canonical == "tel:+4930901820");
  CHECK(cache.parse("030 901820", "").status().code() == Code::invalid_identifier);
  auto all = cache.parse_all(std::vector<std::string>{"030 901820", "bad@"}, "DE");
  REQUIRE(all.size() == 2);
  CHECK(all[0]->canonical == "tel:+4930901820");
  CHECK_FALSE(all[1].ok());
}

TEST_CASE("ShardedLru: bounded, least recently used forgotten first") {
  ShardedLru<int> lru(16);  // one entry a shard
  for (int i = 0; i < 1000; ++i) lru.put("k" + std::to_string(i), i);
  int kept = 0;
  for (int i = 0; i < 1000; ++i) kept += lru.get("k" + std::to_string(i)).has_value();
  CHECK(kept <= 16);
  CHECK(lru.get("k999") == 999);  // the newest of its shard
  lru.put("k999", 7);
  CHECK(lru.get("k999") == 7);
}
