// The client side of private lookups (DESIGN.md §12), for mimi-lookup and the tests: read a DP's
// "private" metadata, blind identifiers into an evaluate request, verify the DLEQ proof and
// finalize the answer, and open an identifier's entry in a bucket response (read once with
// read_private_bucket when several identifiers share it). No HTTP: the caller sends the requests.
// A PrivateQuery belongs to one thread; a PrivateBucket is a plain value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "resolver/oprf.hpp"
#include "resolver/private_record.hpp"
#include "resolver/status.hpp"

namespace resolver {

struct PrivateServerKey {
  std::string key_id;
  std::string public_key;  // raw 32 bytes
  int bucket_bits = 0;
  std::size_t max_elements = 256;
};

// Reads the "private" member of /.well-known/mimi-discovery (the whole document is given).
// not_found when the DP does not offer private lookups; invalid_request when the suite or mode is
// not ours, a field is missing, the public key is not a valid non-identity element, or key_id is
// not the one the public key gives.
Result<PrivateServerKey> read_private_metadata(const nlohmann::json& metadata);

// A bucket answer (GET /v1/private/buckets/{key_id}/{bucket}) read once.
struct PrivateBucket {
  std::string key_id;
  std::int64_t bucket = 0;
  // Each entry's raw 16-byte tag and its record as sent (base64url, decoded when it is opened).
  std::vector<std::pair<std::string, std::string>> entries;
};

// Reads a bucket answer. invalid_request when it is not a JSON object with key_id, bucket and
// entries, or an entry is not an object with a 16-byte base64url tag.
Result<PrivateBucket> read_private_bucket(std::string_view bucket_response);

class PrivateQuery {
 public:
  // Blinds every canonical identifier (1 to key.max_elements). invalid_request otherwise.
  static Result<PrivateQuery> start(PrivateServerKey key, std::vector<std::string> identifiers);

  // {"key_id": K, "blinded": [...]} for POST /v1/private/evaluate.
  std::string evaluate_request() const;
  // Reads the evaluate answer: key_id, one evaluated element per blinded one, a proof that
  // verifies; then finalizes every identifier. invalid_request with the reason otherwise.
  Status finish(std::string_view evaluate_response);

  std::size_t size() const { return identifiers_.size(); }
  const std::string& identifier(std::size_t i) const { return identifiers_[i]; }
  // The bucket to fetch for identifier i: GET /v1/private/buckets/{key_id}/{bucket}.
  std::int64_t bucket(std::size_t i) const;
  const PrivateServerKey& key() const { return key_; }

  // Identifier i's §4.1 answer (JSON text) from a bucket response, or nullopt when the bucket
  // holds no entry for it (not found). invalid_request when the response is malformed, is for
  // another key_id or bucket, or the entry does not decrypt. REQUIRES: finish() succeeded.
  Result<std::optional<std::string>> open(std::size_t i, std::string_view bucket_response) const;
  // The same from a bucket answer already read.
  Result<std::optional<std::string>> open(std::size_t i, const PrivateBucket& bucket) const;

 private:
  PrivateQuery(PrivateServerKey key, std::vector<std::string> identifiers)
      : key_(std::move(key)), identifiers_(std::move(identifiers)) {}

  PrivateServerKey key_;
  std::vector<std::string> identifiers_;
  std::vector<OprfBlinded> blinded_;
  std::vector<PrivateSecrets> secrets_;  // filled by finish()
};

}  // namespace resolver
