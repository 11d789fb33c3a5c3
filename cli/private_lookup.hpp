// PrivateLookup: how `mimi-lookup --private` looks identifiers up (DESIGN.md §12), over the client
// of resolver/private_client.hpp: every identifier blinded, evaluated by the server in batches of
// at most its max_elements (the DLEQ proof of each batch verified), each distinct bucket fetched
// once without credentials, and each identifier's sealed record opened. The answers are those of
// the server's own index (the private index holds no federated mappings): found with the server's
// assertions, opted out, or not found (no entry). Batches and bucket fetches run on a few threads
// at once. One PrivateLookup per run; lookup() is not reentrant.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/discovery_client.hpp"
#include "resolver/private_client.hpp"

namespace cli {

// The current epoch's key, and the size of the first evaluate batches: max_elements, or for an
// anonymous caller the smaller anonymous max_batch of the metadata's rate_limits.
struct PrivateServer {
  resolver::PrivateServerKey key;
  std::size_t batch = 0;
};

// Reads the "private" member of `metadata` (the whole /.well-known/mimi-discovery). not_found
// with a sentence naming the issuer when the server offers no private lookups; invalid_request
// with the reason when its private metadata cannot be used (another suite, a key_id that is not
// its public key's).
resolver::Result<PrivateServer> read_private_server(const nlohmann::json& metadata, bool anonymous);

class PrivateLookup final : public LookupMethod {
 public:
  // `threads`: how many requests are in flight at once (at least 1).
  PrivateLookup(const DiscoveryClient& client, std::string base_url, PrivateServer server, bool anonymous,
                unsigned threads = 4)
      : client_(client), base_url_(std::move(base_url)), server_(std::move(server)), anonymous_(anonymous),
        threads_(threads ? threads : 1) {}

  // Each answer as GET /v1/lookup?federate=false would give it (a not found one made here).
  // Failures, per identifier: the server's refusal (rate_limited, quota_exceeded, ...) or
  // unavailable as DiscoveryClient::lookup; invalid_request naming what did not verify when an
  // evaluate answer's proof or a sealed record fails; key_changed when the server stopped serving
  // the key during the run and still did after the metadata was read again once.
  std::vector<resolver::Result<nlohmann::json>> lookup(const std::vector<resolver::Identifier>& ids) override;

 private:
  // One pass under server_'s key over distinct identifiers.
  std::vector<resolver::Result<nlohmann::json>> pass(const std::vector<resolver::Identifier>& ids);

  const DiscoveryClient& client_;
  const std::string base_url_;
  PrivateServer server_;
  const bool anonymous_;
  const unsigned threads_;
};

}  // namespace cli
