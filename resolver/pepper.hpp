// Lookup peppers and address hashes of the Matrix identity surface (DESIGN.md §11): what a pepper
// is, the addresses a Matrix client hashes for an identifier, and the hash itself. Free functions
// and plain values; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/mapping.hpp"
#include "resolver/status.hpp"

namespace resolver {

// One lookup pepper as the index keeps it.
struct Pepper {
  std::string value;                   // 32 random bytes, base64url without padding: 43 characters
  UnixTime created_at = 0;
  std::optional<UnixTime> retired_at;  // when a newer pepper replaced it; none while current
};

// A pepper whose hashes the index keeps, as a store's write sees it: its row id and value.
struct HashedPepper {
  std::int64_t id = 0;
  std::string value;
};

// One address a Matrix client may hash for an identifier: "alice@example.com" "email", or
// "14155552671" "msisdn".
struct MatrixAddress {
  std::string address;
  std::string_view medium;  // "email" or "msisdn"
};

// A fresh pepper value: 32 bytes from the system's random generator, base64url (43 characters).
// internal when the random generator fails.
Result<std::string> new_pepper();

// The addresses of canonical `identifier`: for mailto: the address without the scheme, and for a
// domain with A-labels also the same address with the domain as U-labels (clients hash what the
// user typed); for tel: the E.164 digits without '+'; none for a handle or anything else.
std::vector<MatrixAddress> matrix_addresses(std::string_view identifier);

// base64url-unpadded(SHA-256("<address> <medium> <pepper>")) (Matrix identity service v2).
std::string matrix_hash(std::string_view address, std::string_view medium, std::string_view pepper);

// Every hash of `identifier`'s addresses under `pepper` (none for a handle).
std::vector<std::string> matrix_hashes(std::string_view identifier, std::string_view pepper);

// One address hash of a rotation: the hash and the index of its identifier in the caller's list.
struct HashedAddress {
  std::array<char, 43> hash;  // base64url of 32 bytes, unpadded
  std::uint32_t identifier;
  std::string_view view() const { return {hash.data(), hash.size()}; }
};

// The hashes of every address of `identifiers` under `pepper`, sorted by hash, so that a store
// writes a new pepper's hashes in key order: appends to its index instead of 1M random inserts.
// REQUIRES: fewer than 2^32 identifiers.
std::vector<HashedAddress> sorted_hashes(std::span<const std::string> identifiers, std::string_view pepper);

// True when `identifier` (canonical) has Matrix addresses: a tel: or mailto: identifier.
bool has_matrix_addresses(std::string_view identifier);

}  // namespace resolver
