// IdentifierCache: the canonical forms of recently parsed identifiers, so that a working set of
// identifiers looked up again and again (contact syncs, popular contacts) is parsed once, not on
// every request: a phone number's libphonenumber parse is most of a local lookup's CPU.
// Bounded (an LRU); keeps only identifiers that parsed, never a rejected input. Thread-safe.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/identifier.hpp"
#include "resolver/sharded_lru.hpp"

namespace resolver {

class IdentifierCache {
 public:
  // At most `capacity` identifiers; 0 keeps none (every call parses).
  explicit IdentifierCache(std::size_t capacity) : capacity_(capacity), cache_(capacity) {}
  IdentifierCache(const IdentifierCache&) = delete;
  IdentifierCache& operator=(const IdentifierCache&) = delete;

  // As parse_identifier(input, region): the same answer, from the cache when this input and
  // region parsed before.
  Result<Identifier> parse(std::string_view input, std::string_view region);
  // As parse_identifiers: parse() of each input, in input order.
  std::vector<Result<Identifier>> parse_all(std::span<const std::string> inputs,
                                            std::string_view region);

 private:
  const std::size_t capacity_;
  ShardedLru<Identifier> cache_;  // by region, NUL, input as sent
};

}  // namespace resolver
