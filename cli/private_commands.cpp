// discoveryctl commands on the private index of DESIGN.md §12: private rotate, private status.
#include <chrono>
#include <iomanip>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "resolver/base64url.hpp"
#include "resolver/keyring.hpp"
#include "resolver/private_index.hpp"
#include "resolver/resolver.hpp"

namespace cli {
namespace {

using resolver::Status;

std::string iso(resolver::UnixTime t) { return resolver::format_rfc3339(t); }

// A progress bar on a terminal, redrawn in place.
void draw(std::ostream& err, std::int64_t done, std::int64_t total, double seconds) {
  const double frac = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
  const int width = 30, filled = static_cast<int>(frac * width);
  err << "\r[" << std::string(filled, '#') << std::string(width - filled, ' ') << "] " << std::setw(3)
      << static_cast<int>(frac * 100) << "% " << done << "/" << total << " identifiers";
  if (seconds > 0) err << ", " << static_cast<long>(static_cast<double>(done) / seconds) << "/s";
  err << std::flush;
}

Status private_rotate(const Args& a, Context& ctx) {
  auto store = ctx.open();
  if (!store) return store.status();
  resolver::Keyring keyring;
  if (Status s = keyring.reload(**store); !s.ok()) return s;
  resolver::PrivateIndexOptions options;
  if (auto threads = a.value("--threads")) {
    try {
      options.threads = static_cast<unsigned>(std::stoul(*threads));
    } catch (const std::exception&) {
      return ctx.usage("--threads must be a number of threads (0: every core)");
    }
  }
  // A build signs each mapping once: a cache of its assertions would only hold memory (about
  // 100,000 of them by default).
  resolver::ResolverOptions resolver_options;
  resolver_options.assertion_cache_entries = 1024;
  resolver::Resolver local(**store, keyring, ctx.clock, resolver_options);
  resolver::PrivateIndex index(**store, local, ctx.clock, options);
  const auto start = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  auto epoch = index.rotate([&](std::int64_t done, std::int64_t total) {
    if (ctx.io.err_is_terminal) draw(ctx.io.err, done, total, seconds());
  });
  if (ctx.io.err_is_terminal) ctx.io.err << "\n";
  if (!epoch) return epoch.status();
  auto stats = (*store)->private_epoch_stats(epoch->key_id);
  if (!stats) return stats.status();
  std::ostringstream took;
  took << std::fixed << std::setprecision(1) << seconds();
  ctx.io.out << "private epoch " << epoch->key_id << " is current: " << stats->entries
             << " entries in " << (std::int64_t{1} << epoch->bucket_bits) << " buckets ("
             << epoch->bucket_bits << " bits), built in " << took.str()
             << " s; the previous epoch is served for private.grace_s more\n";
  return Status::Ok();
}

Status private_status(const Args&, Context& ctx) {
  auto store = ctx.open();
  if (!store) return store.status();
  auto epochs = (*store)->private_epochs();
  if (!epochs) return epochs.status();
  nlohmann::json out = nlohmann::json::array();
  for (const auto& e : *epochs) {
    auto stats = (*store)->private_epoch_stats(e.key_id);
    if (!stats) return stats.status();
    const char* state = !e.activated_at ? "building" : e.retired_at ? "retired" : "current";
    nlohmann::json j = {{"key_id", e.key_id},
                        {"state", state},
                        {"public_key", resolver::base64url_encode(e.public_key)},
                        {"bucket_bits", e.bucket_bits},
                        {"entries", stats->entries},
                        {"created_at", iso(e.created_at)}};
    if (e.activated_at) j["activated_at"] = iso(*e.activated_at);
    if (e.retired_at) j["retired_at"] = iso(*e.retired_at);
    if (stats->earliest_expiry) j["earliest_assertion_exp"] = iso(*stats->earliest_expiry);
    out.push_back(std::move(j));
  }
  auto pending = (*store)->private_changes(100000);
  if (!pending) return pending.status();
  ctx.io.out << nlohmann::json{{"epochs", out}, {"pending_changes", pending->size()}}.dump(2) << "\n";
  return Status::Ok();
}

}  // namespace

std::vector<Command> private_commands() {
  return {
      {"private rotate", "private rotate [--threads N]",
       "Builds a new private-lookup epoch (a new OPRF key, every identifier sealed on all cores) and "
       "makes it current; the previous one is served for private.grace_s more.",
       {"--threads"}, {}, 0, 0, private_rotate,
       "options:\n"
       "  --threads N  seal the identifiers on N threads; 0 (the default) uses every core\n"
       "A progress bar is drawn on a terminal. A running discoveryd serves the new epoch within\n"
       "private.refresh_s and publishes it in /.well-known/mimi-discovery; clients holding the old\n"
       "key_id get 409 key_changed after private.grace_s.\n"
       "examples:\n"
       "  discoveryctl private rotate\n"
       "  discoveryctl --db /var/lib/mimi/index.db private rotate --threads 2\n"},
      {"private status", "private status",
       "Prints the private-lookup epochs (current, previous, being built) and their entries as JSON.",
       {}, {}, 0, 0, private_status,
       "Each epoch is \"building\", \"current\" or \"retired\", with its key_id, public key, bucket\n"
       "bits, entries and earliest assertion expiry; pending_changes counts the writes the index has\n"
       "not followed yet.\n"
       "examples:\n"
       "  discoveryctl private status\n"
       "  discoveryctl private status | jq -r '.epochs[] | select(.state == \"current\") | .key_id'\n"},
  };
}

}  // namespace cli
