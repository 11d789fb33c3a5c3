// Wire names of token roles (DESIGN.md §4).
#include "resolver/role.hpp"

namespace resolver {

std::string_view role_name(Role role) {
  switch (role) {
    case Role::anonymous: return "anonymous";
    case Role::client: return "client";
    case Role::peer: return "peer";
    case Role::admin: return "admin";
  }
  return "anonymous";
}

// Exact, lower-case names only: the wire strings are the enumerators (STYLE.md "Naming").
std::optional<Role> parse_role(std::string_view name) {
  for (Role role : {Role::anonymous, Role::client, Role::peer, Role::admin}) {
    if (name == role_name(role)) return role;
  }
  return std::nullopt;
}

}  // namespace resolver
