// Request target decoding: parse_target on the whole input, decode_path_segment on it as one path
// segment. What either accepts is UTF-8 without control characters (and a segment holds no '/').
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "discovery/query.hpp"
#include "resolver/utf8.hpp"

namespace {

void require_clean(const std::string& decoded, const char* what) {
  auto check = resolver::check_utf8(decoded);
  if (check == resolver::Utf8Check::invalid || check == resolver::Utf8Check::control) {
    std::fprintf(stderr, "fuzz_query: %s is not clean UTF-8\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (auto target = discovery::parse_target(input)) {
    if (!input.starts_with(target->path)) std::abort();
    for (const auto& [name, value] : target->params) {
      require_clean(name, "a parameter name");
      require_clean(value, "a parameter value");
    }
    (void)target->repeated();
    (void)target->param("id");
    (void)target->values("id");
  }
  if (auto segment = discovery::decode_path_segment(input)) {
    if (segment->find('/') != std::string::npos) std::abort();
    require_clean(*segment, "a path segment");
  }
  return 0;
}
