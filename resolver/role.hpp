// Role: what an API token may do (DESIGN.md §4, §8), and its wire names. Plain value type.
#pragma once

#include <optional>
#include <string_view>

namespace resolver {

// The enumerators are the wire strings (STYLE.md "Naming"); anonymous is a caller without a token.
enum class Role { anonymous, client, peer, admin };

// "anonymous", "client", "peer" or "admin".
std::string_view role_name(Role role);
// The role named exactly (lower case) `name`; nullopt for any other string.
std::optional<Role> parse_role(std::string_view name);

}  // namespace resolver
