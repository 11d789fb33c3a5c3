// Tests for role_name and parse_role (resolver/role.hpp).
#include "resolver/role.hpp"

#include <doctest/doctest.h>

namespace resolver {
namespace {

TEST_CASE("role names round-trip") {
  for (Role role : {Role::anonymous, Role::client, Role::peer, Role::admin}) {
    CHECK(parse_role(role_name(role)) == role);
  }
  CHECK(role_name(Role::admin) == "admin");
  CHECK(parse_role("client") == Role::client);
}

TEST_CASE("parse_role rejects unknown names") {
  for (const char* name : {"", "Admin", "ADMIN", "root", "client ", "peers"}) {
    CAPTURE(name);
    CHECK_FALSE(parse_role(name).has_value());
  }
}

}  // namespace
}  // namespace resolver
