// PrivateIndex: the §12 index built from the local resolver's §4.1 answers (the same text a
// /v1/lookup?federate=false gives), each evaluated with the epoch's key and sealed.
#include "resolver/private_index.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>
#include <utility>

#include <nlohmann/json.hpp>

#include "resolver/base64url.hpp"
#include "resolver/lookup_json.hpp"
#include "resolver/private_record.hpp"

namespace resolver {
namespace {

constexpr std::size_t kChunk = 512;         // identifiers sealed and written per transaction
constexpr std::size_t kChangeBatch = 4096;  // changes followed per round of a refresh

std::optional<Identifier> from_canonical(const std::string& canonical) {
  if (canonical.starts_with("tel:")) return Identifier{IdentifierType::phone, canonical};
  if (canonical.starts_with("mailto:")) return Identifier{IdentifierType::email, canonical};
  if (canonical.starts_with("acct:")) return Identifier{IdentifierType::handle, canonical};
  return std::nullopt;
}

// The exp claim of a JWS compact serialization, or 0 when it cannot be read.
UnixTime assertion_exp(std::string_view jws) {
  const auto first = jws.find('.');
  const auto second = jws.find('.', first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos) return 0;
  auto payload = base64url_decode(jws.substr(first + 1, second - first - 1));
  if (!payload) return 0;
  auto claims = nlohmann::json::parse(*payload, nullptr, false);
  if (claims.is_discarded() || !claims.contains("exp") || !claims["exp"].is_number_integer()) return 0;
  return claims["exp"].get<UnixTime>();
}

}  // namespace

std::vector<PrivateEpoch> served_private_epochs(const std::vector<PrivateEpoch>& all, UnixTime now,
                                               std::int64_t grace_s) {
  std::vector<PrivateEpoch> out;
  for (const PrivateEpoch& e : all) {
    if (e.activated_at && !e.retired_at) out.insert(out.begin(), e);
  }
  // The most recently retired epoch is the previous one; older ones are no longer served.
  const PrivateEpoch* previous = nullptr;
  for (const PrivateEpoch& e : all) {
    if (e.activated_at && e.retired_at && *e.retired_at + grace_s > now &&
        (!previous || *e.retired_at > *previous->retired_at))
      previous = &e;
  }
  if (previous && !out.empty()) out.push_back(*previous);
  return out;
}

PrivateIndex::PrivateIndex(Store& store, Resolver& local, const Clock& clock,
                           PrivateIndexOptions options)
    : store_(store), local_(local), clock_(clock), options_(options) {}

Result<PrivateIndex::Sealed> PrivateIndex::seal(const PrivateEpoch& epoch,
                                                std::span<const std::string> identifiers) {
  auto key = oprf_.key_pair_from_secret(epoch.secret);
  if (!key) return Status(Code::internal, "the private epoch " + epoch.key_id + " has an invalid key");
  std::vector<Result<Identifier>> parsed;
  parsed.reserve(identifiers.size());
  for (const std::string& id : identifiers) {
    auto identifier = from_canonical(id);
    if (identifier) {
      parsed.emplace_back(std::move(*identifier));
    } else {
      parsed.emplace_back(Status(Code::invalid_identifier, "not a canonical identifier"));
    }
  }
  auto answers = local_.lookup_batch(std::move(parsed), LookupOptions{std::nullopt, false});
  if (!answers) return answers.status();
  Sealed out;
  for (std::size_t i = 0; i < identifiers.size(); ++i) {
    auto& answer = (*answers)[i];
    if (!answer) continue;  // not canonical: never indexed
    const std::string& input = identifiers[i];
    auto y = oprf_.evaluate(*key, input);
    if (!y) continue;  // over 65535 bytes or the identity: cannot be looked up privately
    PrivateSecrets secrets = derive_private_secrets(*y);
    if (answer->status == LookupStatus::not_found) {
      out.removed.push_back(secrets.tag);
      continue;
    }
    std::string plaintext;
    append_json(plaintext, *answer);
    PrivateEntry entry;
    entry.bucket = private_bucket(input, epoch.bucket_bits);
    entry.tag = secrets.tag;
    entry.record = seal_private_record(secrets, plaintext);
    for (const ServedMapping& m : answer->mappings) {
      const UnixTime exp = assertion_exp(m.assertion);
      if (exp > 0 && (entry.expires_at == 0 || exp < entry.expires_at)) entry.expires_at = exp;
    }
    out.entries.push_back(std::move(entry));
  }
  std::sort(out.entries.begin(), out.entries.end(), [](const PrivateEntry& a, const PrivateEntry& b) {
    return std::tie(a.bucket, a.tag) < std::tie(b.bucket, b.tag);
  });
  return out;
}

Result<std::int64_t> PrivateIndex::build(const PrivateEpoch& epoch, const Progress& progress) {
  // Every identifier with a mapping (expired ones answer not found and are left out) or an opt-out.
  std::set<std::string> distinct;
  Status listed = store_.export_all([&](const ExportRecord& r) {
    distinct.insert(r.mapping.identifier);
    return Status::Ok();
  });
  if (!listed.ok()) return listed;
  // Sealed in bucket order, so the entries reach the store in the order of its primary key
  // (key_id, bucket, tag): appended, not scattered over the table (at 1,000,000 identifiers the
  // scattered writes took most of a build's time, waiting for the disk).
  std::vector<std::pair<std::int64_t, std::string>> by_bucket;
  by_bucket.reserve(distinct.size());
  while (!distinct.empty()) {
    auto node = distinct.extract(distinct.begin());
    const std::int64_t bucket = private_bucket(node.value(), epoch.bucket_bits);
    by_bucket.emplace_back(bucket, std::move(node.value()));
  }
  std::sort(by_bucket.begin(), by_bucket.end());
  std::vector<std::string> all;
  all.reserve(by_bucket.size());
  for (auto& [bucket, identifier] : by_bucket) all.push_back(std::move(identifier));
  by_bucket = {};
  const UnixTime built_at = clock_.now();
  const std::int64_t total = static_cast<std::int64_t>(all.size());

  std::atomic<std::size_t> next{0};
  std::mutex mu;
  Status failure = Status::Ok();  // guarded by mu
  std::int64_t done = 0;          // guarded by mu
  std::int64_t entries = 0;       // guarded by mu
  auto work = [&] {
    for (;;) {
      const std::size_t start = next.fetch_add(kChunk);
      if (start >= all.size()) return;
      {
        std::lock_guard lock(mu);
        if (!failure.ok()) return;
      }
      const std::size_t end = std::min(all.size(), start + kChunk);
      auto sealed = seal(epoch, std::span<const std::string>(all).subspan(start, end - start));
      std::lock_guard lock(mu);
      if (!sealed) {
        failure = sealed.status();
        return;
      }
      if (Status s = store_.put_private_entries(epoch.key_id, sealed->entries, built_at); !s.ok()) {
        failure = s;
        return;
      }
      if (!sealed->removed.empty()) {
        if (Status s = store_.remove_private_entries(epoch.key_id, sealed->removed); !s.ok()) {
          failure = s;
          return;
        }
      }
      entries += static_cast<std::int64_t>(sealed->entries.size());
      done += static_cast<std::int64_t>(end - start);
      if (progress) progress(done, total);
    }
  };
  unsigned threads = options_.threads ? options_.threads : std::thread::hardware_concurrency();
  threads = std::max(1u, threads);
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (!failure.ok()) return failure;
  if (progress && total == 0) progress(0, 0);
  auto stale = store_.remove_private_entries_before(epoch.key_id, built_at);
  if (!stale) return stale.status();
  return entries;
}

Result<PrivateEpoch> PrivateIndex::rotate(const Progress& progress) {
  auto stats = store_.stats();
  if (!stats) return stats.status();
  OprfKeyPair key = oprf_.generate_key_pair();
  PrivateEpoch epoch;
  epoch.key_id = private_key_id(key.public_key);
  epoch.secret = key.secret;
  epoch.public_key = key.public_key;
  epoch.bucket_bits = private_bucket_bits(stats->identifiers + stats->optouts);
  epoch.created_at = clock_.now();
  if (Status s = store_.add_private_epoch(epoch); !s.ok()) return s;
  auto built = build(epoch, progress);
  Status activated = built ? store_.activate_private_epoch(epoch.key_id, clock_.now()) : built.status();
  if (!activated.ok()) {
    (void)store_.drop_private_epoch(epoch.key_id);  // ignored: the build's failure is the news
    return activated;
  }
  epoch.activated_at = clock_.now();
  return epoch;
}

Result<PrivateRefresh> PrivateIndex::refresh(const std::string& holder) {
  PrivateRefresh report;
  const UnixTime now = clock_.now();
  // The lease outlives a pass several times over, so a slow pass keeps it; a dead holder's lease
  // lapses and another node takes over.
  auto claimed = store_.claim_private_lease(holder, now, std::max<std::int64_t>(30, 3 * options_.refresh_s));
  if (!claimed) return claimed.status();
  if (!*claimed) return report;
  report.leader = true;
  auto all = store_.private_epochs();
  if (!all) return all.status();
  const auto served = served_private_epochs(*all, now, options_.grace_s);
  // Writes go to every served epoch and to one being built (rotate's build may have read the
  // identifier before the write).
  std::vector<PrivateEpoch> targets = served;
  for (const PrivateEpoch& e : *all) {
    const bool is_served = std::any_of(served.begin(), served.end(),
                                       [&](const PrivateEpoch& s) { return s.key_id == e.key_id; });
    if (!e.activated_at) {
      targets.push_back(e);
    } else if (!is_served && e.retired_at) {
      if (Status s = store_.drop_private_epoch(e.key_id); !s.ok()) return s;
      report.dropped.push_back(e.key_id);
    }
  }
  for (;;) {
    auto changes = store_.private_changes(kChangeBatch);
    if (!changes) return changes.status();
    if (changes->empty()) break;
    std::vector<std::string> identifiers;
    for (const PrivateChange& c : *changes) identifiers.push_back(c.identifier);
    for (const PrivateEpoch& e : targets) {
      auto sealed = seal(e, identifiers);
      if (!sealed) return sealed.status();
      if (Status s = store_.put_private_entries(e.key_id, sealed->entries, now); !s.ok()) return s;
      if (Status s = store_.remove_private_entries(e.key_id, sealed->removed); !s.ok()) return s;
    }
    if (Status s = store_.clear_private_changes(*changes); !s.ok()) return s;
    report.followed += static_cast<std::int64_t>(changes->size());
    if (changes->size() < kChangeBatch) break;
  }
  // Reseal an epoch whose earliest assertion has less than a quarter of its lifetime left, at
  // most once per quarter lifetime (a mapping's own expires_at caps its assertion's exp, which a
  // reseal cannot push back).
  const std::int64_t quarter = std::max<std::int64_t>(1, options_.assertion_ttl_s / 4);
  for (const PrivateEpoch& e : served) {
    auto stats = store_.private_epoch_stats(e.key_id);
    if (!stats) return stats.status();
    if (stats->earliest_expiry && *stats->earliest_expiry < now + quarter && stats->oldest_build &&
        *stats->oldest_build <= now - quarter) {
      auto built = build(e, {});
      if (!built) return built.status();
      report.resealed += *built;
    }
  }
  return report;
}

}  // namespace resolver
