// discoveryctl commands for federation peers, API tokens and signing keys.
#include <iostream>

#include "cli/command.hpp"
#include "resolver/api_token.hpp"
#include "resolver/base64url.hpp"
#include "resolver/ed25519.hpp"
#include "resolver/import_record.hpp"
#include "resolver/keyring.hpp"

namespace cli {
namespace {

using resolver::Code;
using resolver::Status;

// http(s)://host[:port][/path], no query, fragment or credentials.
bool valid_peer_url(const std::string& url) {
  std::string rest;
  if (url.rfind("https://", 0) == 0) rest = url.substr(8);
  else if (url.rfind("http://", 0) == 0) rest = url.substr(7);
  else return false;
  if (rest.empty() || rest[0] == '/' || rest[0] == ':') return false;
  for (unsigned char c : rest)
    if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#' || c == '@') return false;
  return true;
}

std::string iso(resolver::UnixTime t) { return resolver::format_rfc3339(t); }

Status peer_add(const Args& a, Context& ctx) {
  auto domain = a.value("--domain"), url = a.value("--url"), key = a.value("--key");
  if (!domain || !url || !key) return ctx.usage("--domain, --url and --key are required");
  auto d = resolver::canonical_provider(*domain);
  if (!d) return ctx.usage("--domain is not a domain name (expected e.g. dp2.example)");
  if (!valid_peer_url(*url))
    return ctx.usage("--url must be an http:// or https:// URL with a host, such as https://dp2.example");
  auto raw = resolver::parse_public_key(*key);
  if (!raw) return ctx.usage("--key: " + raw.status().message());
  resolver::Peer p;
  p.domain = *d;
  p.url = *url;
  while (p.url.size() > 1 && p.url.back() == '/') p.url.pop_back();
  p.public_key = resolver::base64url_encode(*raw);
  p.token = a.value("--token").value_or("");
  p.created_at = ctx.clock.now();
  auto store = ctx.open();
  if (!store) return store.status();
  if (Status s = (*store)->add_peer(p); !s.ok()) return s;
  ctx.io.out << "added peer " << p.domain << " at " << p.url << "\n";
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
      {"peer add", "peer add --domain D --url URL --key KEY [--token T]",
       "Adds a peer DP: its domain, base URL, pinned Ed25519 public key (base64url or JWK) and the "
       "bearer token this DP presents to it.",
       {"--domain", "--url", "--key", "--token"}, {}, 0, 0, peer_add},
      {"peer list", "peer list", "Lists the peers as JSON.", {}, {}, 0, 0, peer_list},
      {"peer remove", "peer remove DOMAIN", "Removes a peer.", {}, {}, 1, 1, peer_remove},
      {"token create", "token create --role client|peer|admin [--name N]",
       "Creates an API token; prints its secret alone on the last line, once.", {"--role", "--name"}, {}, 0, 0,
       token_create},
      {"token list", "token list", "Lists the tokens as JSON (never their secrets).", {}, {}, 0, 0, token_list},
      {"token revoke", "token revoke ID", "Revokes a token.", {}, {}, 1, 1, token_revoke},
      {"key show", "key show", "Prints the public JWKS of this DP as JSON.", {}, {}, 0, 0, key_show},
      {"key rotate", "key rotate", "Adds a signing key and signs with it from now on; old keys stay published.",
       {}, {}, 0, 0, key_rotate},
      {"matrix rotate-pepper", "matrix rotate-pepper",
       "Makes a new Matrix lookup pepper current now; the previous one stays accepted for the grace period.",
       {}, {}, 0, 0, matrix_rotate_pepper},
  };
}

}  // namespace cli
