// PrivateKeys: a snapshot of the served epochs, re-read when older than a second (a rotation on
// any node shows everywhere within that time).
#include "discovery/private_keys.hpp"

#include "resolver/private_index.hpp"

namespace discovery {

using resolver::Code;
using resolver::Status;

namespace {
constexpr auto kMaxAge = std::chrono::seconds(1);
}

const ServedEpoch* PrivateSnapshot::find(std::string_view key_id) const {
  for (const ServedEpoch& e : epochs) {
    if (e.epoch.key_id == key_id) return &e;
  }
  return nullptr;
}

PrivateKeys::PrivateKeys(resolver::Store& store, const resolver::Clock& clock, std::int64_t grace_s)
    : store_(store), clock_(clock), grace_s_(grace_s) {}

resolver::Result<std::shared_ptr<const PrivateSnapshot>> PrivateKeys::snapshot() {
  std::lock_guard lock(mu_);
  const auto steady = clock_.steady_now();
  if (snapshot_ && steady - read_at_ < kMaxAge) return snapshot_;
  auto all = store_.private_epochs();
  if (!all) {
    if (all.status().code() == Code::failed_precondition) return all.status();
    if (snapshot_) return snapshot_;  // a stale snapshot beats a failure while the store is away
    return all.status();
  }
  const resolver::Oprf oprf(resolver::OprfMode::voprf);
  auto next = std::make_shared<PrivateSnapshot>();
  for (const auto& e : resolver::served_private_epochs(*all, clock_.now(), grace_s_)) {
    auto key = oprf.key_pair_from_secret(e.secret);
    if (!key) return Status(Code::internal, "the private epoch " + e.key_id + " holds an invalid key");
    std::optional<resolver::UnixTime> until;
    if (e.retired_at) until = *e.retired_at + grace_s_;
    next->epochs.push_back(ServedEpoch{e, std::move(*key), until});
  }
  snapshot_ = std::move(next);
  read_at_ = steady;
  return snapshot_;
}

}  // namespace discovery
