// API tokens: what the index keeps of a secret is its SHA-256, so tokens made by any version of
// discoveryctl keep working.
#include "resolver/api_token.hpp"

#include <doctest/doctest.h>

#include "resolver/hex.hpp"
#include "resolver/memory_store.hpp"

using namespace resolver;

TEST_CASE("a token secret is kept as its SHA-256 (FIPS 180-4 test vectors)") {
  CHECK(hex_encode(hash_token_secret("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hex_encode(hash_token_secret("")) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("a created token authenticates by its secret, with its role, and another secret does not") {
  MemoryStore store;
  auto made = create_token(store, Role::client, "app", 100);
  REQUIRE(made.ok());
  auto found = authenticate_token(store, made->secret);
  REQUIRE(found.ok());
  CHECK(found->id == made->info.id);
  CHECK(found->role == Role::client);
  auto other = authenticate_token(store, made->secret + "x");
  REQUIRE_FALSE(other.ok());
  CHECK(other.status().code() == Code::unauthorized);
}
