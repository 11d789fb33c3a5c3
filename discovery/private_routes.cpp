// The private-lookup routes: requests checked whole before anything is charged (a bad element
// fails the request, DESIGN.md §12), then BlindEvaluate; buckets straight from the store.
#include "discovery/private_routes.hpp"

#include <nlohmann/json.hpp>
#include <sodium.h>

#include "discovery/request_rules.hpp"
#include "resolver/base64url.hpp"
#include "resolver/private_record.hpp"

namespace discovery {

using json = nlohmann::json;
using resolver::Code;
using resolver::Result;
using resolver::Status;

namespace {

constexpr const char* kNoPrivate =
    "This server offers no private lookups yet; its operator starts them with "
    "'discoveryctl private rotate'.";

// 409 key_changed naming the current key_id (DESIGN.md §12).
Response key_changed(const PrivateSnapshot& snap, const std::string& request_id) {
  Response r = error_response(
      Status(Code::key_changed,
             "This key_id is not served (any more); fetch /.well-known/mimi-discovery for the "
             "current key and evaluate again."),
      request_id);
  json body = json::parse(r.body);
  body["key_id"] = snap.epochs.front().epoch.key_id;
  r.body = body.dump();
  return r;
}

Result<std::shared_ptr<const PrivateSnapshot>> served(PrivateKeys& keys) {
  auto snap = keys.snapshot();
  if (!snap && snap.status().code() == Code::failed_precondition) return Status(Code::not_found, kNoPrivate);
  if (!snap) return snap.status();
  if ((*snap)->epochs.empty()) return Status(Code::not_found, kNoPrivate);
  return snap;
}

}  // namespace

json private_metadata(const PrivateSnapshot& snap, const Config& config) {
  const ServedEpoch& current = snap.epochs.front();
  json j = {{"suite", "ristretto255-SHA512"},
            {"mode", 1},
            {"key_id", current.epoch.key_id},
            {"public_key", resolver::base64url_encode(current.epoch.public_key)},
            {"bucket_bits", current.epoch.bucket_bits},
            {"max_elements", config.private_lookups.max_elements}};
  if (snap.epochs.size() > 1) {
    const ServedEpoch& previous = snap.epochs[1];
    j["previous"] = {{"key_id", previous.epoch.key_id},
                     {"public_key", resolver::base64url_encode(previous.epoch.public_key)},
                     {"bucket_bits", previous.epoch.bucket_bits},
                     {"until", resolver::format_rfc3339(previous.until.value_or(0))}};
  }
  return j;
}

std::string bucket_body(const std::string& key_id, std::int64_t bucket,
                        const std::vector<resolver::PrivateEntry>& entries) {
  json list = json::array();
  for (const auto& e : entries) {
    list.push_back({{"tag", resolver::base64url_encode(e.tag)},
                    {"record", resolver::base64url_encode(e.record)}});
  }
  return json{{"key_id", key_id}, {"bucket", bucket}, {"entries", std::move(list)}}.dump();
}

Surface PrivateRoutes::surface() {
  Surface s{"private", Dialect::mimi, {}};
  s.routes = {
      // CPU-bound (a scalar multiplication per element and the proof): the worker pool.
      {.method = "POST", .path = "/v1/private/evaluate", .limited = true, .lane = Lane::worker,
       .handler = bind(&PrivateRoutes::post_evaluate)},
      // Not limited, so that the answer (headers too) is the same for every caller.
      {.method = "GET", .path = "/v1/private/buckets/{key_id}/{bucket}", .lane = Lane::store,
       .handler = bind(&PrivateRoutes::get_bucket)},
  };
  return s;
}

Result<Work> PrivateRoutes::post_evaluate(Call& call) {
  auto body = parse_body(call.request);
  if (!body) return body.status();
  const json& j = *body;
  if (Status s = check_fields(j, {"key_id", "blinded"}); !s.ok()) return s;
  auto key_id = j.find("key_id");
  if (key_id == j.end() || !key_id->is_string())
    return Status(Code::invalid_request, "key_id must be the string of /.well-known/mimi-discovery.");
  auto list = j.find("blinded");
  if (list == j.end() || !list->is_array() || list->empty())
    return Status(Code::invalid_request, "blinded must be a non-empty array of base64url elements.");
  const std::size_t max = ctx_.config.private_lookups.max_elements;
  if (list->size() > max)
    return Status(Code::payload_too_large,
                  "An evaluate request holds at most " + std::to_string(max) + " elements; split it.");
  if (ctx_.config.rate_limits.enabled) {
    const auto burst = static_cast<std::size_t>(ctx_.config.rate_limits.of(call.role).burst);
    if (list->size() > burst)
      return Status(Code::payload_too_large, "This caller may send at most " + std::to_string(burst) +
                                                 " elements per request; split it.");
  }
  std::vector<std::string> elements;
  elements.reserve(list->size());
  for (std::size_t i = 0; i < list->size(); ++i) {
    const json& item = (*list)[i];
    auto raw = item.is_string() ? resolver::base64url_decode(item.get<std::string>()) : std::nullopt;
    if (!raw || raw->size() != resolver::kOprfElementBytes)
      return Status(Code::invalid_request,
                    "blinded[" + std::to_string(i) + "] is not base64url of a 32-byte element.");
    if (!resolver::oprf_element_is_valid(*raw))
      return Status(Code::invalid_request, "blinded[" + std::to_string(i) +
                                               "] is not a canonical non-identity ristretto255 element.");
    elements.push_back(std::move(*raw));
  }
  auto snap = served(keys_);
  if (!snap) return snap.status();
  const ServedEpoch* epoch = (*snap)->find(key_id->get<std::string>());
  Work w;
  if (!epoch) {
    // Answered without a charge: the caller refetches the key and tries again.
    w.run = [s = *snap](Call& c) -> Result<Response> { return key_changed(*s, c.request_id); };
    return w;
  }
  w.cost = elements.size();
  // Blinded elements cannot be told apart: each is one fresh unit of the distinct budget. A random
  // name per element keeps the limiter from learning anything from the element itself.
  for (std::size_t i = 0; i < elements.size(); ++i) {
    unsigned char nonce[16];
    randombytes_buf(nonce, sizeof nonce);
    w.identifiers.push_back("private:" + resolver::base64url_encode(
                                             std::string_view(reinterpret_cast<char*>(nonce), sizeof nonce)));
  }
  w.run = [s = *snap, epoch, elements = std::move(elements)](Call&) -> Result<Response> {
    const resolver::Oprf oprf(resolver::OprfMode::voprf);
    auto evaluation = oprf.blind_evaluate(epoch->key, elements);
    if (!evaluation) return evaluation.status();
    json evaluated = json::array();
    for (const auto& e : evaluation->evaluated) evaluated.push_back(resolver::base64url_encode(e));
    return json_response(json{{"key_id", epoch->epoch.key_id},
                              {"evaluated", std::move(evaluated)},
                              {"proof", resolver::base64url_encode(evaluation->proof)}}
                             .dump());
  };
  return w;
}

Result<Response> PrivateRoutes::get_bucket(Call& call) {
  const std::string key_id(call.path_param("key_id").value_or(""));
  const std::string text(call.path_param("bucket").value_or(""));
  auto snap = served(keys_);
  if (!snap) return snap.status();
  const ServedEpoch* epoch = (*snap)->find(key_id);
  if (!epoch) return key_changed(**snap, call.request_id);
  std::int64_t bucket = 0;
  bool ok = !text.empty() && text.size() <= 8 && (text == "0" || text.front() != '0');
  for (char c : text) {
    ok = ok && c >= '0' && c <= '9';
    if (ok) bucket = bucket * 10 + (c - '0');
  }
  if (!ok || bucket >= (std::int64_t{1} << epoch->epoch.bucket_bits))
    return Status(Code::invalid_request,
                  "The bucket must be a decimal number below 2^" +
                      std::to_string(epoch->epoch.bucket_bits) + " for this key_id.");
  auto entries = ctx_.deps.store.private_bucket(key_id, bucket);
  if (!entries) return entries.status();
  Response r = json_response(bucket_body(key_id, bucket, *entries));
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(r.body.data()), r.body.size());
  const std::string etag =
      "\"" + resolver::base64url_encode(std::string_view(reinterpret_cast<char*>(digest), 16)) + "\"";
  r.headers.emplace_back("ETag", etag);
  r.headers.emplace_back("Cache-Control",
                         "public, max-age=" + std::to_string(ctx_.config.private_lookups.bucket_max_age_s));
  if (auto sent = call.request.header("If-None-Match"); sent && *sent == etag) {
    r.status = 304;
    r.body.clear();
  }
  return r;
}

}  // namespace discovery
