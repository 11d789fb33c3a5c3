// Base64url without padding (RFC 4648 §5), as JOSE uses it (RFC 7515 §2). Thread-safe free functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace resolver {

std::string base64url_encode(std::string_view bytes);
// nullopt on characters outside the alphabet, padding, or an impossible length.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace resolver
