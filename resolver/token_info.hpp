// TokenInfo: the public facts of one API token (DESIGN.md §8); its secret is never kept, only the
// SHA-256 of it (resolver/api_token.hpp). Plain value type.
#pragma once

#include <optional>
#include <string>

#include "resolver/mapping.hpp"
#include "resolver/role.hpp"

namespace resolver {

struct TokenInfo {
  std::string id;  // public identifier, e.g. "tok_3f9a1c2b"; safe to show and log
  std::string name;
  Role role = Role::client;
  UnixTime created_at = 0;
  std::optional<UnixTime> revoked_at;
};

}  // namespace resolver
