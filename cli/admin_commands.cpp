// discoveryctl commands for federation peers, API tokens and signing keys.
#include <algorithm>
#include <iostream>

#include "cli/command.hpp"
#include "resolver/api_token.hpp"
#include "resolver/base64url.hpp"
#include "resolver/ed25519.hpp"
#include "resolver/http_peer_client.hpp"
#include "resolver/import_record.hpp"
#include "resolver/keyring.hpp"

namespace cli {
namespace {

using resolver::Code;
using resolver::Status;

// A peer's base URL: http(s)://host[:port], an optional trailing '/' removed. Lookups go to
// <url>/v1/lookup, so a path, a query or a fragment would make every call fail; the usage error
// says which part is wrong.
resolver::Result<std::string> peer_url(const std::string& url, Context& ctx) {
  const char* example = "such as https://dp2.example or https://dp2.example:8443";
  std::string scheme, rest;
  if (url.rfind("https://", 0) == 0) scheme = "https://";
  else if (url.rfind("http://", 0) == 0) scheme = "http://";
  else return ctx.usage("--url must start with http:// or https://, " + std::string(example));
  rest = url.substr(scheme.size());
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.empty() || rest[0] == ':') return ctx.usage("--url has no host; give the peer's base URL, " + std::string(example));
  for (unsigned char c : rest)
    if (c <= 0x20 || c >= 0x7f) return ctx.usage("--url holds a space or a character that is not ASCII");
  if (rest.find('@') != std::string::npos)
    return ctx.usage("--url must not hold a user or password; pass the peer's bearer token with --token");
  if (rest.find('?') != std::string::npos || rest.find('#') != std::string::npos)
    return ctx.usage("--url must not have a query (?...) or a fragment (#...); give the peer's base URL, " +
                     std::string(example));
  if (rest.find('/') != std::string::npos)
    return ctx.usage("--url must not have a path: lookups go to URL/v1/lookup, so give the peer's base URL, " +
                     std::string(example));
  return scheme + rest;
}

// The peer's pinned key as stored (base64url of the raw 32 bytes), from base64url or a JWK.
resolver::Result<std::string> peer_key(const std::string& key, Context& ctx) {
  auto raw = resolver::parse_public_key(key);
  if (!raw) return ctx.usage("--key: " + raw.status().message());
  return resolver::base64url_encode(*raw);
}

std::string iso(resolver::UnixTime t) { return resolver::format_rfc3339(t); }

// --check: the pinned key against the peer's /.well-known/mimi-discovery, before anything is
// stored. --ca-file trusts a private CA for an https:// peer, as federation.ca_file does.
Status check_peer(const resolver::Peer& p, const Args& a, Context& ctx) {
  if (!a.flag("--check")) return Status::Ok();
  resolver::HttpPeerClientOptions options;
  options.ca_file = a.value("--ca-file").value_or("");
  if (!options.ca_file.empty())
    if (Status s = resolver::check_ca_file(options.ca_file); !s.ok()) return s;
  resolver::HttpPeerClient client(options);
  if (Status s = client.check_pinned_key(p, std::chrono::seconds(5)); !s.ok()) return s;
  ctx.io.out << "checked: " << p.domain << " publishes this key at " << p.url << "/.well-known/mimi-discovery\n";
  return Status::Ok();
}

Status peer_add(const Args& a, Context& ctx) {
  auto domain = a.value("--domain"), url = a.value("--url"), key = a.value("--key");
  if (!domain || !url || !key) return ctx.usage("--domain, --url and --key are required");
  auto d = resolver::canonical_provider(*domain);
  if (!d) return ctx.usage("--domain is not a domain name (expected e.g. dp2.example)");
  auto base = peer_url(*url, ctx);
  if (!base) return base.status();
  auto pinned = peer_key(*key, ctx);
  if (!pinned) return pinned.status();
  resolver::Peer p;
  p.domain = *d;
  p.url = *base;
  p.public_key = *pinned;
  p.token = a.value("--token").value_or("");
  p.created_at = ctx.clock.now();
  auto store = ctx.open();
  if (!store) return store.status();
  auto issuer = (*store)->issuer();
  if (!issuer) return issuer.status();
  if (*issuer == p.domain)
    return ctx.usage(p.domain + " is this DP's own domain (its issuer); a peer is another discovery provider");
  if (Status s = check_peer(p, a, ctx); !s.ok()) return s;
  if (Status s = (*store)->add_peer(p); !s.ok()) return s;
  ctx.io.out << "added peer " << p.domain << " at " << p.url << "\n";
  return Status::Ok();
}

Status peer_set(const Args& a, Context& ctx) {
  auto d = resolver::canonical_provider(a.positional[0]);
  if (!d) return ctx.usage("the peer's domain is not a domain name (expected e.g. dp2.example)");
  auto url = a.value("--url"), key = a.value("--key"), token = a.value("--token");
  if (!url && !key && !token)
    return ctx.usage("give at least one of --url, --key and --token (--token '' removes the token)");
  std::optional<std::string> base, pinned;
  if (url) {
    auto u = peer_url(*url, ctx);
    if (!u) return u.status();
    base = *u;
  }
  if (key) {
    auto k = peer_key(*key, ctx);
    if (!k) return k.status();
    pinned = *k;
  }
  auto store = ctx.open();
  if (!store) return store.status();
  auto peers = (*store)->list_peers();
  if (!peers) return peers.status();
  auto it = std::find_if(peers->begin(), peers->end(), [&](const resolver::Peer& p) { return p.domain == *d; });
  if (it == peers->end())
    return Status(Code::not_found, "there is no peer with domain " + *d + "; add it with discoveryctl peer add");
  resolver::Peer p = *it;
  std::vector<std::string> changed;
  if (base) p.url = *base, changed.push_back("url " + *base);
  if (pinned) p.public_key = *pinned, changed.push_back("key");
  if (token) p.token = *token, changed.push_back(token->empty() ? "no token" : "token");
  if (Status s = check_peer(p, a, ctx); !s.ok()) return s;
  if (Status s = (*store)->update_peer(p); !s.ok()) return s;
  std::string what;
  for (const auto& c : changed) what += (what.empty() ? "" : ", ") + c;
  ctx.io.out << "changed peer " << p.domain << ": " << what
             << "; a running discoveryd uses the change within about two seconds\n";
  return Status::Ok();
}

Status peer_list(const Args&, Context& ctx) {
  auto store = ctx.open();
  if (!store) return store.status();
  auto peers = (*store)->list_peers();
  if (!peers) return peers.status();
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : *peers)
    out.push_back({{"domain", p.domain}, {"url", p.url}, {"key", p.public_key}, {"enabled", p.enabled},
                   {"token", !p.token.empty()}, {"created_at", iso(p.created_at)}});
  ctx.io.out << out.dump(2) << "\n";
  return Status::Ok();
}

Status peer_remove(const Args& a, Context& ctx) {
  auto d = resolver::canonical_provider(a.positional[0]);
  if (!d) return ctx.usage("the peer's domain is not a domain name");
  auto store = ctx.open();
  if (!store) return store.status();
  if (Status s = (*store)->remove_peer(*d); !s.ok()) return s;
  ctx.io.out << "removed peer " << *d << "\n";
  return Status::Ok();
}

Status token_create(const Args& a, Context& ctx) {
  auto role_name = a.value("--role");
  if (!role_name) return ctx.usage("--role client|peer|admin is required");
  auto role = resolver::parse_role(*role_name);
  if (!role || *role == resolver::Role::anonymous) return ctx.usage("--role must be client, peer or admin");
  auto store = ctx.open();
  if (!store) return store.status();
  auto t = resolver::create_token(**store, *role, a.value("--name").value_or(""), ctx.clock.now());
  if (!t) return t.status();
  ctx.io.out << "created token " << t->info.id << " (role " << resolver::role_name(t->info.role)
             << "); its secret is shown once, on the next line:\n"
             << t->secret << "\n";
  return Status::Ok();
}

Status token_list(const Args&, Context& ctx) {
  auto store = ctx.open();
  if (!store) return store.status();
  auto tokens = (*store)->list_tokens();
  if (!tokens) return tokens.status();
  nlohmann::json out = nlohmann::json::array();
  for (const auto& t : *tokens) {
    nlohmann::json j = {{"id", t.id}, {"name", t.name}, {"role", resolver::role_name(t.role)},
                        {"created_at", iso(t.created_at)}};
    j["revoked_at"] = t.revoked_at ? nlohmann::json(iso(*t.revoked_at)) : nlohmann::json();
    out.push_back(std::move(j));
  }
  ctx.io.out << out.dump(2) << "\n";
  return Status::Ok();
}

Status token_revoke(const Args& a, Context& ctx) {
  auto store = ctx.open();
  if (!store) return store.status();
  if (Status s = (*store)->revoke_token(a.positional[0], ctx.clock.now()); !s.ok()) return s;
  ctx.io.out << "revoked token " << a.positional[0] << "\n";
  return Status::Ok();
}

Status key_show(const Args&, Context& ctx) {
  auto store = ctx.open();
  if (!store) return store.status();
  resolver::Keyring keyring;
  if (Status s = keyring.reload(**store); !s.ok()) return s;
  ctx.io.out << keyring.snapshot()->jwks.dump(2) << "\n";
  return Status::Ok();
}

Status key_rotate(const Args&, Context& ctx) {
  auto store = ctx.open();
  if (!store) return store.status();
  auto kid = resolver::create_signing_key(**store, ctx.clock.now());
  if (!kid) return kid.status();
  ctx.io.out << "new signing key " << *kid << " is active; older keys stay published\n";
  return Status::Ok();
}

Status key_retire(const Args& a, Context& ctx) {
  const std::string& kid = a.positional[0];
  auto store = ctx.open();
  if (!store) return store.status();
  Status s = (*store)->remove_signing_key(kid);
  if (s.code() == Code::failed_precondition)
    return Status(s.code(), "key " + kid + " is the active signing key and cannot be retired; run "
                            "discoveryctl key rotate first, then retire it once the assertions it signed "
                            "have expired (assertion_ttl_s, one day by default)");
  if (s.code() == Code::not_found)
    return Status(s.code(), "there is no signing key with kid " + kid + "; discoveryctl key show lists them");
  if (!s.ok()) return s;
  ctx.io.out << "retired key " << kid << ": it is no longer published, and assertions it signed no longer "
             << "verify; a running discoveryd drops it from its JWKS within 10 seconds\n";
  return Status::Ok();
}

// DESIGN.md §11: an unconditional rotation. The retired pepper stays accepted for
// matrix.pepper_grace_s (discoveryd's config), after which discoveryd drops its hashes.
Status matrix_rotate_pepper(const Args&, Context& ctx) {
  auto store = ctx.open();
  if (!store) return store.status();
  const resolver::UnixTime now = ctx.clock.now();
  auto rotated = (*store)->rotate_pepper(now, now);
  if (!rotated) return rotated.status();
  auto peppers = (*store)->peppers();
  if (!peppers) return peppers.status();
  ctx.io.out << "new Matrix lookup pepper is current; " << (peppers->size() - 1)
             << " retired pepper(s) stay accepted for matrix.pepper_grace_s\n";
  return Status::Ok();
}

}  // namespace

std::vector<Command> admin_commands() {
  return {
      {"peer add", "peer add --domain D --url URL --key KEY [--token T] [--check [--ca-file PEM]]",
       "Adds a peer DP: its domain, base URL, pinned Ed25519 public key (base64url or JWK) and the "
       "bearer token this DP presents to it.",
       {"--domain", "--url", "--key", "--token", "--ca-file"}, {"--check"}, 0, 0, peer_add,
       "options:\n"
       "  --domain D   the peer's domain: the iss of its assertions (not this DP's own)\n"
       "  --url URL    the peer's base URL, scheme, host and port only: https://dp2.example[:PORT]\n"
       "  --key KEY    the peer's Ed25519 public key: the x of its JWK (base64url) or the whole JWK\n"
       "  --token T    a peer token the other DP made for this one (optional)\n"
       "  --check      first fetch URL/.well-known/mimi-discovery and refuse the peer unless its\n"
       "               issuer is D and KEY is among its keys\n"
       "  --ca-file PEM  with --check: trust this CA for an https:// peer (as federation.ca_file)\n"
       "A running discoveryd uses the new peer within about two seconds.\n"
       "examples:\n"
       "  discoveryctl peer add --domain dp2.example --url https://dp2.example \\\n"
       "      --key 11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo --token \"$PEER_TOKEN\" --check\n"},
      {"peer list", "peer list", "Lists the peers as JSON.", {}, {}, 0, 0, peer_list,
       "Prints each peer's domain, URL, pinned key and whether it has a token (never the token).\n"
       "examples:\n"
       "  discoveryctl peer list\n"},
      {"peer set", "peer set DOMAIN [--url URL] [--key KEY] [--token T] [--check [--ca-file PEM]]",
       "Changes a peer's base URL, pinned key or token (--token '' removes it) and keeps the rest.",
       {"--url", "--key", "--token", "--ca-file"}, {"--check"}, 1, 1, peer_set,
       "options:\n"
       "  --url URL    the peer's new base URL, e.g. https://dp2.example:8443\n"
       "  --key KEY    the peer's new Ed25519 public key, after it ran discoveryctl key rotate\n"
       "  --token T    the new token this DP presents to the peer; '' removes it\n"
       "  --check      first check the peer's key against its /.well-known/mimi-discovery (see\n"
       "               peer add --help)\n"
       "  --ca-file PEM  with --check: trust this CA for an https:// peer\n"
       "examples:\n"
       "  discoveryctl peer set dp2.example --key \"$NEW_KEY\" --check\n"
       "  discoveryctl peer set dp2.example --token \"$NEW_PEER_TOKEN\"\n"},
      {"peer remove", "peer remove DOMAIN", "Removes a peer.", {}, {}, 1, 1, peer_remove,
       "examples:\n"
       "  discoveryctl peer remove dp2.example\n"},
      {"token create", "token create --role client|peer|admin [--name N]",
       "Creates an API token; prints its secret alone on the last line, once.", {"--role", "--name"}, {}, 0, 0,
       token_create,
       "options:\n"
       "  --role client|peer|admin   what the token may do, and its rate limits\n"
       "  --name N                   a note for token list, e.g. who holds it\n"
       "The secret is shown once and stored only hashed: keep it.\n"
       "examples:\n"
       "  TOKEN=$(discoveryctl token create --role client --name web-app | tail -n 1)\n"
       "  discoveryctl token create --role peer --name dp2.example\n"},
      {"token list", "token list", "Lists the tokens as JSON (never their secrets).", {}, {}, 0, 0, token_list,
       "examples:\n"
       "  discoveryctl token list\n"},
      {"token revoke", "token revoke ID", "Revokes a token.", {}, {}, 1, 1, token_revoke,
       "ID is the token's id from token list, not its secret. A running discoveryd refuses the token\n"
       "within about a second.\n"
       "examples:\n"
       "  discoveryctl token revoke tok_3f2a9c0d1e4b\n"},
      {"key show", "key show", "Prints the public JWKS of this DP as JSON.", {}, {}, 0, 0, key_show,
       "examples:\n"
       "  discoveryctl key show\n"
       "  discoveryctl key show | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"keys\"][-1][\"x\"])'\n"},
      {"key rotate", "key rotate", "Adds a signing key and signs with it from now on; old keys stay published.",
       {}, {}, 0, 0, key_rotate,
       "Peers pin the new key with discoveryctl peer set DOMAIN --key KEY; retire the old key once the\n"
       "assertions it signed have expired (assertion_ttl_s, one day by default).\n"
       "examples:\n"
       "  discoveryctl key rotate\n"},
      {"key retire", "key retire KID",
       "Removes an old signing key from the index and the JWKS; the active key cannot be retired.", {}, {}, 1, 1,
       key_retire,
       "KID is the key's kid from key show. Assertions it signed no longer verify afterwards.\n"
       "examples:\n"
       "  discoveryctl key retire \"$OLD_KID\"\n"},
      {"matrix rotate-pepper", "matrix rotate-pepper",
       "Makes a new Matrix lookup pepper current now; the previous one stays accepted for the grace period.",
       {}, {}, 0, 0, matrix_rotate_pepper,
       "discoveryd's timer also rotates it every matrix.pepper_rotation_s; a running discoveryd serves the\n"
       "new pepper within 10 seconds and drops the retired one's hashes after matrix.pepper_grace_s.\n"
       "examples:\n"
       "  discoveryctl matrix rotate-pepper\n"},
  };
}

}  // namespace cli
