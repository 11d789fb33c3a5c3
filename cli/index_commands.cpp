// discoveryctl commands on the index itself: init, import, export, lookup, remove, optout, optin, stats.
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <limits>
#include <sstream>

#include "cli/command.hpp"
#include "resolver/identifier.hpp"
#include "resolver/import_record.hpp"
#include "resolver/importer.hpp"
#include "resolver/keyring.hpp"
#include "resolver/resolver.hpp"

namespace cli {
namespace {

using resolver::Code;
using resolver::Status;

Status init(const Args& a, Context& ctx) {
  auto issuer = a.value("--issuer");
  if (!issuer) return ctx.usage("--issuer DOMAIN is required (this DP's domain, e.g. dp.example)");
  auto domain = resolver::canonical_provider(*issuer);
  if (!domain) return ctx.usage("--issuer is not a domain name (expected e.g. dp.example)");
  auto store = ctx.open(resolver::OpenMode::create_if_missing);
  if (!store) return store.status();
  if (Status s = (*store)->set_issuer(*domain); !s.ok()) return s;
  auto kid = resolver::create_signing_key(**store, ctx.clock.now());
  if (!kid) return kid.status();
  // Made now rather than at discoveryd's first start, so that an index served from a read-only
  // volume holds every secret discoveryd needs.
  if (auto secret = (*store)->secret("rate_limiter"); !secret) return secret.status();
  // The first Matrix lookup pepper (DESIGN.md §11), for the same reason and so that an import
  // keeps its hashes as it writes: made by discoveryd's first start instead, it would hash every
  // identifier of a large index before the server listens (40 s at 10,000,000).
  if (auto made = (*store)->rotate_pepper(ctx.clock.now(), std::numeric_limits<resolver::UnixTime>::min()); !made)
    return made.status();
  ctx.io.out << "initialised " << ctx.db << " for issuer " << *domain << " (signing key " << *kid << ")\n";
  return Status::Ok();
}

// A progress line on a terminal, redrawn in place.
void draw_progress(std::ostream& err, const resolver::ImportProgress& p, std::size_t total_bytes,
                   double seconds) {
  err << "\r";
  if (total_bytes > 0) {
    const double frac = std::min(1.0, static_cast<double>(p.bytes) / static_cast<double>(total_bytes));
    const int width = 30, filled = static_cast<int>(frac * width);
    err << "[" << std::string(filled, '#') << std::string(width - filled, ' ') << "] " << std::setw(3)
        << static_cast<int>(frac * 100) << "% ";
  }
  err << p.lines << " lines";
  if (seconds > 0) err << ", " << static_cast<long>(static_cast<double>(p.lines) / seconds) << " rows/s";
  err << std::flush;
}

// "1 bad line", "2 bad lines".
std::string count(std::size_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// Lists the bad rows of a report on err, with "prefix" before each ("skipped " for skipped rows).
void list_bad_rows(std::ostream& err, const resolver::ImportReport& rep, const std::string& prefix) {
  bool region = false;
  for (const auto& e : rep.errors) {
    err << prefix << "line " << e.line << ": " << e.status.message() << "\n";
    region = region || e.status.message().find(resolver::kNeedsRegion) != std::string::npos;
  }
  if (rep.bad_rows > rep.errors.size())
    err << "... and " << count(rep.bad_rows - rep.errors.size(), "more bad line", "more bad lines")
        << ", not listed (only the first " << rep.errors.size() << " are)\n";
  if (region) err << "national phone numbers need the region of the file: pass --region, e.g. --region US\n";
}

Status import(const Args& a, Context& ctx) {
  const std::string path = a.positional[0];
  resolver::ImportOptions opt;
  auto format = a.value("--format");
  if (!format) format = path.size() > 4 && path.substr(path.size() - 4) == ".csv" ? "csv" : "jsonl";
  if (*format == "csv") opt.format = resolver::ImportFormat::csv;
  else if (*format != "jsonl") return ctx.usage("--format must be jsonl or csv");
  opt.region = a.value("--region").value_or("");
  if (!resolver::is_known_region(opt.region))
    return ctx.usage("--region must be an ISO 3166 alpha-2 code such as US or DE");
  opt.skip_invalid = a.flag("--skip-invalid");
  const bool dry_run = a.flag("--dry-run");
  opt.now = ctx.clock.now();

  std::ifstream file;
  std::istream* in = &ctx.io.in;
  std::size_t total = 0;
  if (path != "-") {
    file.open(path, std::ios::binary);
    if (!file) return Status(Code::not_found, "cannot open " + path + " for reading; check the path and its permissions");
    file.seekg(0, std::ios::end);
    total = static_cast<std::size_t>(std::max<std::streamoff>(0, file.tellg()));
    file.seekg(0);
    in = &file;
  }
  const auto started = std::chrono::steady_clock::now();
  if (ctx.io.err_is_terminal) {
    opt.on_progress = [&](const resolver::ImportProgress& p) {
      draw_progress(ctx.io.err, p, total,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    };
  }
  resolver::ImportReport rep;
  Status s;
  if (dry_run) {
    s = resolver::check_stream(*in, opt, &rep);  // no index is opened: nothing can be written
  } else {
    auto store = ctx.open();
    if (!store) return store.status();
    s = resolver::import_stream(**store, *in, opt, &rep);
  }
  if (ctx.io.err_is_terminal) ctx.io.err << "\n";
  const std::string nothing = dry_run ? "nothing would be imported" : "nothing was imported";
  if (!s.ok()) {
    if (rep.errors.empty()) return Status(s.code(), s.message() + "; " + nothing);
    list_bad_rows(ctx.io.err, rep, "");
    return Status(s.code(), "the input has " + count(rep.bad_rows, "bad line", "bad lines") + " (listed above); " +
                                nothing + "; fix " + (rep.bad_rows == 1 ? "it" : "them") +
                                ", or pass --skip-invalid to import the valid lines only");
  }
  list_bad_rows(ctx.io.err, rep, opt.skip_invalid ? "skipped " : "");
  const double rate = rep.seconds > 0 ? static_cast<double>(rep.lines) / rep.seconds : 0;
  std::ostringstream o;
  o << (dry_run ? "checked " : "read ") << count(rep.lines, "line", "lines") << " in " << std::fixed
    << std::setprecision(2) << rep.seconds << " s (" << static_cast<long>(rate) << " rows/s): ";
  if (dry_run)
    o << count(rep.mappings, "mapping", "mappings") << " and " << count(rep.optouts, "opt-out", "opt-outs")
      << " are valid";
  else
    o << "imported " << count(rep.mappings, "mapping", "mappings") << " (" << rep.inserted << " inserted, "
      << rep.updated << " updated) and " << count(rep.optouts, "opt-out", "opt-outs");
  if (rep.skipped > 0)
    o << "; skipped " << count(rep.skipped, "bad line", "bad lines") << ", "
      << (dry_run ? "which would not be imported" : "not imported");
  if (dry_run) o << "; nothing was written (--dry-run)";
  ctx.io.out << o.str() << "\n";
  return Status::Ok();
}

Status export_index(const Args& a, Context& ctx) {
  if (auto f = a.value("--format"); f && *f != "jsonl") return ctx.usage("--format must be jsonl");
  auto store = ctx.open();
  if (!store) return store.status();
  std::string buf;
  Status s = (*store)->export_all([&](const resolver::ExportRecord& r) {
    buf += resolver::export_line(r);
    buf += '\n';
    if (buf.size() > (1 << 16)) {
      ctx.io.out << buf;
      buf.clear();
    }
    return ctx.io.out ? Status::Ok() : Status(Code::unavailable, "writing the export failed");
  });
  ctx.io.out << buf << std::flush;
  return s;
}

Status lookup(const Args& a, Context& ctx) {
  std::string region = a.value("--region").value_or("");
  if (!resolver::is_known_region(region)) return ctx.usage("--region must be an ISO 3166 alpha-2 code such as US");
  auto store = ctx.open();
  if (!store) return store.status();
  resolver::Keyring keyring;
  if (Status s = keyring.reload(**store); !s.ok()) return s;
  resolver::Resolver r(**store, keyring, ctx.clock);
  resolver::LookupQuery q{a.positional[0], region, {std::nullopt, false}};
  if (auto p = a.value("--provider")) {
    auto prov = resolver::canonical_provider(*p);
    if (!prov) return ctx.usage("--provider is not a domain name");
    q.options.provider = *prov;
  }
  auto result = r.lookup(q);
  if (!result) return result.status();
  ctx.io.out << resolver::to_json(*result).dump(2) << "\n";
  return Status::Ok();
}

// Canonical identifier of a positional argument, or invalid_identifier.
resolver::Result<std::string> canonical(const Args& a, const std::string& region = "") {
  auto id = resolver::parse_identifier(a.positional[0], a.value("--region").value_or(region));
  if (!id) return id.status();
  return id->canonical;
}

Status remove(const Args& a, Context& ctx) {
  auto id = canonical(a);
  if (!id) return id.status();
  std::optional<std::string> provider;
  if (auto p = a.value("--provider")) {
    auto prov = resolver::canonical_provider(*p);
    if (!prov) return ctx.usage("--provider is not a domain name");
    provider = *prov;
  }
  auto store = ctx.open();
  if (!store) return store.status();
  auto n = (*store)->remove_mappings(*id, provider);
  if (!n) return n.status();
  ctx.io.out << "removed " << *n << " mapping(s)\n";
  return Status::Ok();
}

Status optout(const Args& a, Context& ctx) {
  auto id = canonical(a);
  if (!id) return id.status();
  auto store = ctx.open();
  if (!store) return store.status();
  auto n = (*store)->add_optout(*id, ctx.clock.now());
  if (!n) return n.status();
  ctx.io.out << "opted out; removed " << *n << " mapping(s)\n";
  return Status::Ok();
}

Status optin(const Args& a, Context& ctx) {
  auto id = canonical(a);
  if (!id) return id.status();
  auto store = ctx.open();
  if (!store) return store.status();
  auto lifted = (*store)->remove_optout(*id);
  if (!lifted) return lifted.status();
  ctx.io.out << (*lifted ? "opt-out lifted\n" : "there was no opt-out for this identifier\n");
  return Status::Ok();
}

Status stats(const Args&, Context& ctx) {
  auto store = ctx.open();
  if (!store) return store.status();
  auto s = (*store)->stats();
  if (!s) return s.status();
  nlohmann::json j = {{"identifiers", s->identifiers}, {"mappings", s->mappings}, {"optouts", s->optouts},
                      {"peers", s->peers}, {"tokens", s->tokens}};
  ctx.io.out << j.dump(2) << "\n";
  return Status::Ok();
}

}  // namespace

std::vector<Command> index_commands() {
  return {
      {"init", "init --issuer DOMAIN", "Creates the index and this DP's Ed25519 signing key.",
       {"--issuer"}, {}, 0, 0, init,
       "options:\n"
       "  --issuer DOMAIN   this DP's domain: the iss of its assertions and its name to peers\n"
       "The index (an SQLite file, or a PostgreSQL URI) is created owner-only (0600): it holds the\n"
       "private signing keys and the peers' tokens.\n"
       "examples:\n"
       "  discoveryctl --db /var/lib/mimi/index.db init --issuer dp.example\n"
       "  discoveryctl --db postgresql://mimi@db.internal/mimi init --issuer dp.example\n"},
      {"import", "import FILE [--format jsonl|csv] [--region CC] [--skip-invalid] [--dry-run]",
       "Imports mappings and opt-outs as one transaction; FILE '-' reads stdin.",
       {"--format", "--region"}, {"--skip-invalid", "--dry-run"}, 1, 1, import,
       "options:\n"
       "  --format jsonl|csv   the file's format (default jsonl; CSV needs a header row)\n"
       "  --region CC          the region of national phone numbers, e.g. US or DE\n"
       "  --skip-invalid       import the valid rows and list the bad ones (by default any bad row\n"
       "                       imports nothing)\n"
       "  --dry-run            read and validate the whole file, write nothing (needs no --db)\n"
       "Every bad row is listed with its line number (the first 100, then a count).\n"
       "examples:\n"
       "  discoveryctl import mappings.jsonl\n"
       "  discoveryctl import contacts.csv --format csv --region US --dry-run\n"
       "  gunzip -c feed.jsonl.gz | discoveryctl import - --skip-invalid\n"},
      {"export", "export [--format jsonl]", "Writes every mapping and opt-out to stdout, re-importable.",
       {"--format"}, {}, 0, 0, export_index,
       "options:\n"
       "  --format jsonl   the only format (the default)\n"
       "examples:\n"
       "  discoveryctl export > backup.jsonl\n"},
      {"lookup", "lookup ID [--region CC] [--provider DOMAIN]",
       "Prints the local answer for an identifier as the JSON of the lookup API.",
       {"--region", "--provider"}, {}, 1, 1, lookup,
       "options:\n"
       "  --region CC         the region of a national phone number, e.g. US\n"
       "  --provider DOMAIN   only the mappings at this provider\n"
       "Answers from this index only; peers are not asked.\n"
       "examples:\n"
       "  discoveryctl lookup +14155552671\n"
       "  discoveryctl lookup '(415) 555-2671' --region US\n"
       "  discoveryctl lookup alice@example.com --provider chat.example\n"},
      {"remove", "remove ID [--provider DOMAIN] [--region CC]", "Removes an identifier's mappings.",
       {"--provider", "--region"}, {}, 1, 1, remove,
       "options:\n"
       "  --provider DOMAIN   remove only the mappings at this provider\n"
       "  --region CC         the region of a national phone number, e.g. US\n"
       "examples:\n"
       "  discoveryctl remove +14155552671\n"
       "  discoveryctl remove alice@example.com --provider chat.example\n"},
      {"optout", "optout ID [--region CC]", "Records an opt-out and removes the identifier's mappings.",
       {"--region"}, {}, 1, 1, optout,
       "options:\n"
       "  --region CC   the region of a national phone number, e.g. US\n"
       "examples:\n"
       "  discoveryctl optout +14155552671\n"},
      {"optin", "optin ID [--region CC]", "Lifts an opt-out.", {"--region"}, {}, 1, 1, optin,
       "options:\n"
       "  --region CC   the region of a national phone number, e.g. US\n"
       "examples:\n"
       "  discoveryctl optin +14155552671\n"},
      {"stats", "stats", "Counts identifiers, mappings, opt-outs, peers and tokens.", {}, {}, 0, 0, stats,
       "examples:\n"
       "  discoveryctl stats\n"},
  };
}

}  // namespace cli
