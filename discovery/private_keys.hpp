// PrivateKeys: the private-lookup epochs a node serves (DESIGN.md §12), read from the store at
// most once a second, so every node serves what the store holds without a read per request.
// Thread-safe: one mutex guards the snapshot; readers get a shared_ptr to an immutable one.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "resolver/clock.hpp"
#include "resolver/oprf.hpp"
#include "resolver/private_store.hpp"
#include "resolver/store.hpp"

namespace discovery {

struct ServedEpoch {
  resolver::PrivateEpoch epoch;
  resolver::OprfKeyPair key;
  std::optional<resolver::UnixTime> until;  // the previous epoch: served until then
};

struct PrivateSnapshot {
  std::vector<ServedEpoch> epochs;  // the current one first, then the previous one; may be empty
  // The served epoch with this key_id, or null.
  const ServedEpoch* find(std::string_view key_id) const;
};

class PrivateKeys {
 public:
  PrivateKeys(resolver::Store& store, const resolver::Clock& clock, std::int64_t grace_s);
  PrivateKeys(const PrivateKeys&) = delete;
  PrivateKeys& operator=(const PrivateKeys&) = delete;

  // The epochs served now; unavailable when the store cannot be read and no snapshot is fresh
  // enough; failed_precondition when the store keeps no private index.
  resolver::Result<std::shared_ptr<const PrivateSnapshot>> snapshot();

 private:
  resolver::Store& store_;
  const resolver::Clock& clock_;
  const std::int64_t grace_s_;
  std::mutex mu_;
  std::shared_ptr<const PrivateSnapshot> snapshot_;           // guarded by mu_
  std::chrono::steady_clock::time_point read_at_;             // guarded by mu_
};

}  // namespace discovery
