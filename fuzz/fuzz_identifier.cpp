// parse_identifier with and without a region. Input: one byte choosing the region (kRegions, ""
// for none), then the identifier. Beyond "no crash": a canonical form is valid UTF-8, has its
// scheme, and parses again to itself (peers, exports and clients send canonical forms back).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "resolver/identifier.hpp"
#include "resolver/utf8.hpp"

namespace {

constexpr std::string_view kRegions[] = {"", "US", "DE", "GB", "FR", "IN", "JP", "BR", "us", "ZZ", "U", "USA"};

[[noreturn]] void fail(const char* what, std::string_view canonical) {
  std::fprintf(stderr, "fuzz_identifier: %s: %.*s\n", what, static_cast<int>(canonical.size()), canonical.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view region = kRegions[data[0] % std::size(kRegions)];
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto id = resolver::parse_identifier(input, region);
  if (!id) {
    if (id.status().message().empty()) fail("a rejection without a sentence", input);
    return 0;
  }
  const std::string& canonical = id->canonical;
  if (!resolver::is_valid_utf8(canonical)) fail("the canonical form is not UTF-8", canonical);
  const std::string_view scheme = id->type == resolver::IdentifierType::phone   ? "tel:"
                                  : id->type == resolver::IdentifierType::email ? "mailto:"
                                                                                : "acct:";
  if (!canonical.starts_with(scheme)) fail("the canonical form lacks its scheme", canonical);
  auto again = resolver::parse_identifier(canonical);
  if (!again) fail("the canonical form does not parse", canonical);
  if (again->canonical != canonical || again->type != id->type) fail("the canonical form is not stable", canonical);
  return 0;
}
