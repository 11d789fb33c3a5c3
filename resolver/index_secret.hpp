// The named secrets of an index (Store::secret): 32 random bytes kept as 64 lower-case hex digits
// in the index's meta table. Stateless functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "resolver/status.hpp"

namespace resolver {

// 32 fresh random bytes as hex; internal when the system random generator fails.
Result<std::string> new_secret_hex();
// The 32 bytes `stored` holds; internal (naming the secret) when it is not 64 hex digits.
Result<std::string> secret_from_hex(std::string_view stored, const std::string& name);

}  // namespace resolver
