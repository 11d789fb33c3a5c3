// The identifier cache. The key is the input exactly as sent plus the region: "+1 415 555 2671"
// and "+14155552671" are two entries with one canonical form, which is what a caller that sends
// the same contact list again hits.
#include "resolver/identifier_cache.hpp"

namespace resolver {

Result<Identifier> IdentifierCache::parse(std::string_view input, std::string_view region) {
  // Inputs over the bound (rejected, or a canonical form a scheme longer) bypass the cache, so
  // that its keys stay bounded.
  if (capacity_ == 0 || input.size() > kMaxIdentifierBytes) return parse_identifier(input, region);
  std::string key;
  key.reserve(region.size() + 1 + input.size());
  key.append(region).push_back('\0');
  key.append(input);
  if (auto hit = cache_.get(key)) return std::move(*hit);
  auto parsed = parse_identifier(input, region);
  if (parsed) cache_.put(key, *parsed);
  return parsed;
}

std::vector<Result<Identifier>> IdentifierCache::parse_all(std::span<const std::string> inputs,
                                                           std::string_view region) {
  std::vector<Result<Identifier>> out;
  out.reserve(inputs.size());
  for (const auto& in : inputs) out.push_back(parse(in, region));
  return out;
}

}  // namespace resolver
