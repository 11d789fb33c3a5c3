// The rows of the private index of DESIGN.md §12 as the Store keeps them: epochs (an OPRF key pair
// and its bucket width), sealed entries by bucket, the identifiers written since the last refresh,
// and the refresher's lease. Plain values; the PrivateStore seam is in store.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "resolver/mapping.hpp"

namespace resolver {

// One epoch: an OPRF key pair and the private index built under it.
struct PrivateEpoch {
  std::string key_id;                    // base64url of SHA-256(pkS)[0..8)
  std::string secret;                    // skS, 32 raw bytes
  std::string public_key;                // pkS, 32 raw bytes
  int bucket_bits = 0;                   // B
  UnixTime created_at = 0;
  std::optional<UnixTime> activated_at;  // when it became current; nullopt while it is built
  std::optional<UnixTime> retired_at;    // when a newer epoch became current
};

// One sealed entry: found under (key_id, tag); the record is nonce || ciphertext || poly1305 tag.
struct PrivateEntry {
  std::int64_t bucket = 0;
  std::string tag;          // 16 raw bytes
  std::string record;       // raw bytes
  UnixTime expires_at = 0;  // the earliest exp of the record's assertions; 0 when it has none
};

// An identifier written since the private index last followed it; `serial` counts its writes, so
// a change is cleared only if no write came after it was read.
struct PrivateChange {
  std::string identifier;
  std::int64_t serial = 0;
};

struct PrivateEpochStats {
  std::int64_t entries = 0;
  std::optional<UnixTime> earliest_expiry;  // of the entries with assertions
  std::optional<UnixTime> oldest_build;     // the earliest built_at
};

}  // namespace resolver
