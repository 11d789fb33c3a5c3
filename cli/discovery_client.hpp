// DiscoveryClient: what mimi-lookup asks a discovery provider over HTTP (http_fetch.hpp): its
// metadata (DESIGN.md §4.3), batch lookups (§4.2) and the private-lookup routes (§12). LookupMethod
// is the seam of how identifiers are looked up: in clear (PlainLookup, POST /v1/lookup) or
// privately (PrivateLookup, cli/private_lookup.hpp). A DiscoveryClient is immutable once made: its calls may
// run on several threads at once, each on its own connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "resolver/identifier.hpp"
#include "resolver/status.hpp"

namespace cli {

struct ClientOptions {
  std::string token;    // bearer token for lookups; "" for the anonymous role
  std::string ca_file;  // PEM bundle trusted for https://; "" for the system store
  std::chrono::milliseconds timeout{10000};
};

class DiscoveryClient {
 public:
  explicit DiscoveryClient(ClientOptions options) : options_(std::move(options)) {}
  DiscoveryClient(const DiscoveryClient&) = delete;
  DiscoveryClient& operator=(const DiscoveryClient&) = delete;

  // GET `base_url`/.well-known/mimi-discovery without credentials (§12).
  // Success: the metadata object (it has a string issuer and a jwks). Failure: unavailable when
  // the server cannot be reached or answers no metadata, with a sentence naming `base_url`.
  resolver::Result<nlohmann::json> metadata(const std::string& base_url) const;

  // POST `base_url`/v1/lookup {"identifiers": `canonicals`} with the token, if any.
  // Success: the answer's results array, one entry per identifier (a §4.1 answer, or {"query",
  // "error"}). Failure: the server's error as its code and message (rate_limited and
  // quota_exceeded also say when to retry; payload_too_large names the largest batch this caller
  // may send), or unavailable as for metadata().
  resolver::Result<nlohmann::json> lookup_batch(const std::string& base_url, const std::vector<std::string>& canonicals) const;

  // POST `base_url`/v1/private/evaluate with `request` (PrivateQuery::evaluate_request) and the
  // token, if any. Success: the answer's text (PrivateQuery::finish reads it). Failure: as lookup_batch(),
  // key_changed (409) when the key_id is not served, payload_too_large (413) naming the largest
  // count this caller may send, not_found when the server offers no private lookups.
  resolver::Result<std::string> private_evaluate(const std::string& base_url, const std::string& request) const;

  // GET `base_url`/v1/private/buckets/`key_id`/`bucket` without credentials: the answer is the
  // same for every caller (§12). Success: the answer's text. Failure: as private_evaluate().
  resolver::Result<std::string> private_bucket(const std::string& base_url, const std::string& key_id,
                                               std::int64_t bucket) const;

 private:
  // The body of a 200 answer to `method` `target`; failures as lookup_batch().
  resolver::Result<std::string> fetch(const std::string& method, const std::string& base_url,
                                      const std::string& target, const std::string& body, bool with_token) const;
  resolver::Result<nlohmann::json> get_json(const std::string& base_url, const std::string& target,
                                            bool with_token) const;

  const ClientOptions options_;
};

// The batch to send first: for an anonymous caller no more than the anonymous max_batch of the
// metadata's rate_limits (a larger one is refused 413), otherwise `most` (at least 1).
std::size_t first_batch(const nlohmann::json& metadata, bool anonymous, std::size_t most);

// Sends positions [first, end) in batches of at most `batch` through `send(position, count)`. A
// payload_too_large that names a smaller count ("at most N", §4.2, §12) makes the batches that
// small, and the same positions are sent again. Returns {end, ok}, or the first other failure and
// the position of the batch that failed; later batches are not sent.
std::pair<std::size_t, resolver::Status> send_in_batches(
    std::size_t first, std::size_t end, std::size_t batch,
    const std::function<resolver::Status(std::size_t position, std::size_t count)>& send);

// How mimi-lookup asks about the identifiers of one run.
class LookupMethod {
 public:
  LookupMethod() = default;
  LookupMethod(const LookupMethod&) = delete;
  LookupMethod& operator=(const LookupMethod&) = delete;
  virtual ~LookupMethod() = default;

  // The §4.1 answer about each of `ids`, in order; failures as DiscoveryClient::lookup_batch (a
  // failed batch fails each of its identifiers and those after it).
  virtual std::vector<resolver::Result<nlohmann::json>> lookup(const std::vector<resolver::Identifier>& ids) = 0;
};

// POST /v1/lookup in batches of at most `batch`: the server learns each identifier.
class PlainLookup final : public LookupMethod {
 public:
  PlainLookup(const DiscoveryClient& client, std::string base_url, std::size_t batch)
      : client_(client), base_url_(std::move(base_url)), batch_(batch ? batch : 1) {}
  std::vector<resolver::Result<nlohmann::json>> lookup(const std::vector<resolver::Identifier>& ids) override;

 private:
  const DiscoveryClient& client_;
  const std::string base_url_;
  const std::size_t batch_;
};

}  // namespace cli
