// Lower-case hexadecimal: API token ids, index secrets, PostgreSQL bytea literals, test vectors.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace resolver {

// Two lower-case hex digits per byte.
std::string hex_encode(std::string_view bytes);
// The bytes of an even number of hex digits (either case); nullopt for anything else.
std::optional<std::string> hex_decode(std::string_view hex);

}  // namespace resolver
