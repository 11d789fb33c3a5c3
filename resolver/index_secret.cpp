// Named index secrets: made once, kept as hex, read back as bytes.
#include "resolver/index_secret.hpp"

#include <openssl/rand.h>

namespace resolver {
namespace {

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

Result<std::string> new_secret_hex() {
  unsigned char fresh[32];
  if (RAND_bytes(fresh, sizeof fresh) != 1) return Status(Code::internal, "the system random generator failed");
  std::string hex;
  for (unsigned char c : fresh) {
    hex.push_back(kHex[c >> 4]);
    hex.push_back(kHex[c & 15]);
  }
  return hex;
}

Result<std::string> secret_from_hex(std::string_view stored, const std::string& name) {
  if (stored.size() != 64 || stored.find_first_not_of(kHex) != std::string_view::npos)
    return Status(Code::internal, "the index holds a malformed secret " + name);
  std::string out;
  for (std::size_t i = 0; i < 64; i += 2) {
    auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    out.push_back(static_cast<char>(nibble(stored[i]) << 4 | nibble(stored[i + 1])));
  }
  return out;
}

}  // namespace resolver
