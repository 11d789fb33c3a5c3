// Named index secrets: made once, kept as hex, read back as bytes.
#include "resolver/index_secret.hpp"

#include <utility>

#include <openssl/rand.h>

#include "resolver/hex.hpp"

namespace resolver {

Result<std::string> new_secret_hex() {
  unsigned char fresh[32];
  if (RAND_bytes(fresh, sizeof fresh) != 1) return Status(Code::internal, "the system random generator failed");
  return hex_encode({reinterpret_cast<const char*>(fresh), sizeof fresh});
}

Result<std::string> secret_from_hex(std::string_view stored, const std::string& name) {
  // Written lower-case by new_secret_hex(); anything else is not what this index wrote.
  auto bytes = stored.find_first_not_of("0123456789abcdef") == std::string_view::npos
                   ? hex_decode(stored)
                   : std::nullopt;
  if (!bytes || bytes->size() != 32) return Status(Code::internal, "the index holds a malformed secret " + name);
  return std::move(*bytes);
}

}  // namespace resolver
