// DiscoveryClient: what mimi-lookup asks a discovery provider over HTTP (http_fetch.hpp): its
// metadata (DESIGN.md §4.3) and lookups (§4.1). LookupMethod is the seam of how one identifier is
// looked up: in clear (PlainLookup, GET /v1/lookup) or privately (--private, §12: the OPRF client
// implements the same interface). Not thread-safe: one per mimi-lookup run.
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

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
  resolver::Result<nlohmann::json> metadata(const std::string& base_url);

  // GET `base_url`/v1/lookup?id=`canonical` with the token, if any.
  // Success: the §4.1 answer object. Failure: the server's error as its code and message
  // (rate_limited and quota_exceeded also say when to retry), or unavailable as for metadata().
  resolver::Result<nlohmann::json> lookup(const std::string& base_url, const std::string& canonical);

 private:
  resolver::Result<nlohmann::json> get_json(const std::string& base_url, const std::string& target,
                                            bool with_token);

  const ClientOptions options_;
};

// How mimi-lookup asks about one canonical identifier.
class LookupMethod {
 public:
  LookupMethod() = default;
  LookupMethod(const LookupMethod&) = delete;
  LookupMethod& operator=(const LookupMethod&) = delete;
  virtual ~LookupMethod() = default;

  // The §4.1 answer about `canonical`; failures as DiscoveryClient::lookup.
  virtual resolver::Result<nlohmann::json> lookup(const std::string& canonical) = 0;
};

// GET /v1/lookup: the server learns the identifier.
class PlainLookup final : public LookupMethod {
 public:
  PlainLookup(DiscoveryClient& client, std::string base_url)
      : client_(client), base_url_(std::move(base_url)) {}
  resolver::Result<nlohmann::json> lookup(const std::string& canonical) override {
    return client_.lookup(base_url_, canonical);
  }

 private:
  DiscoveryClient& client_;
  const std::string base_url_;
};

}  // namespace cli
