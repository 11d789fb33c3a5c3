// mimi-lookup: options, the keys of each issuer, the lookups (in clear or --private), verdicts and
// exit code.
#include "cli/mimi_lookup.hpp"

#include <ctime>
#include <iostream>
#include <memory>

#include "cli/answer_text.hpp"
#include "cli/args.hpp"
#include "cli/discovery_client.hpp"
#include "cli/private_lookup.hpp"
#include "resolver/identifier.hpp"

#ifndef MIMI_VERSION
#define MIMI_VERSION "unknown"
#endif

namespace cli {
namespace {

using nlohmann::json;

constexpr const char* kUsage =
    "usage: mimi-lookup --server URL [--token T] [--region CC] [--json] [--private]\n"
    "                   [--issuer-url DOMAIN=URL[,...]] [--ca-file PEM] ID...\n"
    "\n"
    "Looks each ID (a phone number, an email address or a handle such as @alice@chat.example) up at\n"
    "the MIMI discovery provider at URL, prints the answers, and verifies every mapping's assertion\n"
    "against the keys of its issuer: the server's JWKS (/.well-known/mimi-discovery) for its own,\n"
    "and for a federated mapping the key the server pinned for that peer, or the peer's own JWKS\n"
    "when --issuer-url names where the peer serves it.\n"
    "\n"
    "options:\n"
    "  --server URL        the provider's base URL, e.g. http://127.0.0.1:8080 (required)\n"
    "  --token T           a bearer token (discoveryctl token create); without one, anonymous\n"
    "  --region CC         ISO 3166 region of national phone numbers, e.g. --region DE\n"
    "  --json              print {\"results\": [...]}: each answer of the API with a verification\n"
    "                      member per mapping, or {\"query\", \"error\"}\n"
    "  --private           look up without the server learning the identifiers (OPRF, RFC 9497):\n"
    "                      each is blinded, evaluated by the server (its proof verified) and opened\n"
    "                      in a bucket of sealed records; answers come from the server's own index\n"
    "                      only (federated mappings are not in its private index) and may lag its\n"
    "                      writes by a minute. Needs a server that offers private lookups.\n"
    "  --issuer-url D=URL  fetch issuer D's keys from URL/.well-known/mimi-discovery\n"
    "  --ca-file PEM       trust this CA for https:// servers (default: the system's)\n"
    "  --help, --version\n"
    "\n"
    "examples: mimi-lookup --server http://127.0.0.1:8080 +14155552671 alice@example.com\n"
    "          mimi-lookup --server https://dp.example --token \"$TOKEN\" --private +14155552671\n"
    "\n"
    "Exit codes: 0 every lookup answered and every assertion verified; 1 an identifier was invalid,\n"
    "a lookup failed or an assertion did not verify; 2 usage error.\n";

struct Options {
  std::string server;
  std::string region;
  bool json = false;
  bool private_lookup = false;
  std::vector<std::pair<std::string, std::string>> issuer_urls;  // domain, base URL
  ClientOptions client;
};

// "a=URL,b=URL" -> pairs; invalid_request naming the part that is wrong.
resolver::Result<std::vector<std::pair<std::string, std::string>>> read_issuer_urls(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find(',', start), text.size());
    const std::string part = text.substr(start, end - start);
    const auto eq = part.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == part.size()) {
      return resolver::Status(resolver::Code::invalid_request, "--issuer-url takes DOMAIN=URL, e.g. dp2.example=https://dp2.example");
    }
    out.emplace_back(part.substr(0, eq), part.substr(eq + 1));
    start = end + 1;
  }
  return out;
}

std::string metadata_url(const std::string& base) {
  std::string url = base;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url + "/.well-known/mimi-discovery";
}

// The keys of every issuer this run can verify: the server's own, those it pinned for its peers,
// and those of --issuer-url (which win over the pinned ones: the user named them).
resolver::Result<KeyDirectory> gather_keys(DiscoveryClient& client, const Options& o, const json& meta) {
  KeyDirectory keys;
  const std::string issuer = meta["issuer"].get<std::string>();
  auto own = read_jwks(meta["jwks"], "The jwks of " + metadata_url(o.server));
  if (!own) return own.status();
  keys.add({issuer, std::move(*own), false, "the JWKS at " + metadata_url(o.server)});
  if (const auto peers = meta.find("peers"); peers != meta.end() && peers->is_array()) {
    for (const auto& p : *peers) {
      const auto domain_it = p.is_object() ? p.find("domain") : p.end();
      if (domain_it == p.end() || !domain_it->is_string()) continue;
      auto pinned = read_jwks(p.value("jwks", json()), "The key " + issuer + " pinned for a peer");
      if (!pinned || pinned->size() != 1) continue;  // not a key this client could use: no keys for that issuer
      const std::string domain = domain_it->get<std::string>();
      keys.add({domain, std::move(*pinned), true, "the key " + issuer + " pinned for " + domain + ", from its metadata"});
    }
  }
  for (const auto& [domain, url] : o.issuer_urls) {
    auto theirs = client.metadata(url);
    if (!theirs) return theirs.status();
    if ((*theirs)["issuer"] != domain) {
      return resolver::Status(resolver::Code::invalid_request, "The metadata at " + metadata_url(url) +
                                                                   " is of another issuer than " + domain + ".");
    }
    auto jwks = read_jwks((*theirs)["jwks"], "The jwks of " + metadata_url(url));
    if (!jwks) return jwks.status();
    keys.add({domain, std::move(*jwks), false, "the JWKS at " + metadata_url(url)});
  }
  return keys;
}

resolver::Result<Options> read_options(const Args& a) {
  Options o;
  if (!a.value("--server")) return resolver::Status(resolver::Code::invalid_request, "--server URL is required");
  o.server = *a.value("--server");
  o.region = a.value("--region").value_or("");
  if (!resolver::is_known_region(o.region)) {
    return resolver::Status(resolver::Code::invalid_request, "--region must be an ISO 3166 alpha-2 code such as US or DE");
  }
  o.json = a.flag("--json");
  o.private_lookup = a.flag("--private");
  o.client.token = a.value("--token").value_or("");
  o.client.ca_file = a.value("--ca-file").value_or("");
  if (auto urls = a.value("--issuer-url")) {
    auto read = read_issuer_urls(*urls);
    if (!read) return read.status();
    o.issuer_urls = std::move(*read);
  }
  if (a.positional.empty()) return resolver::Status(resolver::Code::invalid_request, "no identifier given");
  return o;
}

json error_entry(const std::string& query, const resolver::Status& s) {
  return {{"query", query}, {"error", {{"code", resolver::code_name(s.code())}, {"message", s.message()}}}};
}

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  for (const auto& a : args) {
    if (a == "--version") {
      out << "mimi-lookup " << MIMI_VERSION << "\n";
      return 0;
    }
  }
  auto parsed = parse_args(args, 0, {"--server", "--token", "--region", "--issuer-url", "--ca-file"}, {"--json", "--private"});
  if (parsed && parsed->help) {
    out << kUsage;
    return 0;
  }
  auto options = parsed ? read_options(*parsed) : resolver::Result<Options>(parsed.status());
  if (!options) {
    err << "mimi-lookup: " << options.status().message() << "; see 'mimi-lookup --help'.\n";
    return 2;
  }
  const Options& o = *options;
  DiscoveryClient client(o.client);
  auto meta = client.metadata(o.server);
  auto keys = meta ? gather_keys(client, o, *meta) : resolver::Result<KeyDirectory>(meta.status());
  if (!keys) {
    err << "mimi-lookup: " << keys.status().message() << "\n";
    return keys.status().code() == resolver::Code::invalid_request && !meta ? 2 : 1;
  }
  const std::string issuer = (*meta)["issuer"].get<std::string>();
  std::unique_ptr<LookupMethod> method;
  const bool anonymous = o.client.token.empty();
  if (o.private_lookup) {
    auto server = read_private_server(*meta, anonymous);
    if (!server) {
      err << "mimi-lookup: " << server.status().message() << "\n";
      return 1;
    }
    method = std::make_unique<PrivateLookup>(client, o.server, std::move(*server), anonymous);
  } else {
    const auto max_batch = meta->find("max_batch");
    const bool given = max_batch != meta->end() && max_batch->is_number_integer() && max_batch->get<std::int64_t>() > 0;
    const std::size_t most = given ? static_cast<std::size_t>(max_batch->get<std::int64_t>()) : 1000;
    method = std::make_unique<PlainLookup>(client, o.server, first_batch(*meta, anonymous, most));
  }

  // Every identifier canonicalised first, then looked up in batches.
  std::vector<resolver::Result<resolver::Identifier>> ids;
  std::vector<resolver::Identifier> valid;
  for (const auto& input : parsed->positional) {
    ids.push_back(resolver::parse_identifier(input, o.region));
    if (ids.back()) valid.push_back(*ids.back());
  }
  auto answers = method->lookup(valid);

  bool failed = false;
  json results = json::array();
  std::size_t next = 0;
  for (std::size_t k = 0; k < ids.size(); ++k) {
    const std::string& input = parsed->positional[k];
    const auto& id = ids[k];
    auto answer = id ? std::move(answers[next++]) : resolver::Result<json>(id.status());
    if (!answer) {
      failed = true;
      err << "mimi-lookup: " << input << ": " << answer.status().message() << "\n";
      results.push_back(error_entry(input, answer.status()));
      continue;
    }
    json& a = *answer;
    const std::string canonical = a.value("identifier", std::string());
    if (canonical != id->canonical || !a["mappings"].is_array()) {
      failed = true;
      const resolver::Status s(resolver::Code::internal, "The server's answer is not a lookup answer about this identifier.");
      err << "mimi-lookup: " << input << ": " << s.message() << "\n";
      results.push_back(error_entry(input, s));
      continue;
    }
    std::vector<MappingCheck> checks;
    const auto now = static_cast<resolver::UnixTime>(std::time(nullptr));
    for (auto& m : a["mappings"]) {
      checks.push_back(check_mapping(m, canonical, issuer, *keys, now));
      const MappingCheck& c = checks.back();
      if (!c.ok) {
        failed = true;
        err << "mimi-lookup: " << canonical << ": the assertion of the mapping at " << m.value("provider", "?")
            << " does not verify: " << c.reason << "\n";
      }
      m["verification"] = c.ok ? json{{"verified", true}, {"issuer", c.issuer}, {"kid", c.kid}, {"keys", c.origin}}
                               : json{{"verified", false}, {"reason", c.reason}};
    }
    if (!o.json) print_answer(out, a, checks);
    results.push_back(std::move(a));
  }
  if (o.json) out << json{{"results", std::move(results)}}.dump(2) << "\n";
  return failed ? 1 : 0;
}

}  // namespace

int run_mimi_lookup(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  try {
    return run(args, out, err);
  } catch (const std::exception& e) {
    // nlohmann_json throws on a member of an unexpected type in a server's answer; the checks above
    // cover the members the verdicts rest on, so this is a malformed answer or a bug.
    err << "mimi-lookup: the server's answer could not be read (" << e.what() << ").\n";
    return 1;
  }
}

}  // namespace cli
