// The client side of DESIGN.md §12: the same derivations as the DP (private_record.hpp) around
// the OPRF client (Blind, VerifyProof, Finalize).
#include "resolver/private_client.hpp"

#include "resolver/base64url.hpp"

namespace resolver {

using json = nlohmann::json;

namespace {

Result<std::string> decoded(const json& j, std::size_t bytes, std::string_view what) {
  if (!j.is_string()) return Status(Code::invalid_request, std::string(what) + " is not a string");
  auto raw = base64url_decode(j.get<std::string>());
  if (!raw || (bytes && raw->size() != bytes))
    return Status(Code::invalid_request, std::string(what) + " is not base64url of " +
                                             std::to_string(bytes) + " bytes");
  return *raw;
}

}  // namespace

Result<PrivateServerKey> read_private_metadata(const json& metadata) {
  if (!metadata.is_object() || !metadata.contains("private") || !metadata["private"].is_object())
    return Status(Code::not_found, "this discovery provider does not offer private lookups");
  const json& p = metadata["private"];
  if (p.value("suite", "") != "ristretto255-SHA512" || p.value("mode", -1) != 1)
    return Status(Code::invalid_request,
                  "the discovery provider's private lookups use another suite or mode than "
                  "ristretto255-SHA512 in VOPRF mode");
  if (!p.contains("key_id") || !p["key_id"].is_string() || !p.contains("bucket_bits") ||
      !p["bucket_bits"].is_number_integer())
    return Status(Code::invalid_request, "the discovery provider's private metadata lacks key_id or bucket_bits");
  auto pk = decoded(p.value("public_key", json()), kOprfElementBytes, "public_key");
  if (!pk) return pk.status();
  if (!oprf_element_is_valid(*pk))
    return Status(Code::invalid_request, "the discovery provider's public_key is not a valid element");
  PrivateServerKey key;
  key.key_id = p["key_id"].get<std::string>();
  key.public_key = *pk;
  key.bucket_bits = p["bucket_bits"].get<int>();
  key.max_elements = p.value("max_elements", std::size_t{256});
  if (key.bucket_bits < 0 || key.bucket_bits > kMaxBucketBits)
    return Status(Code::invalid_request, "the discovery provider's bucket_bits is out of range");
  if (private_key_id(key.public_key) != key.key_id)
    return Status(Code::invalid_request, "the discovery provider's key_id does not match its public_key");
  return key;
}

Result<PrivateQuery> PrivateQuery::start(PrivateServerKey key, std::vector<std::string> identifiers) {
  if (identifiers.empty() || identifiers.size() > key.max_elements)
    return Status(Code::invalid_request, "a private lookup takes 1 to " +
                                             std::to_string(key.max_elements) + " identifiers");
  PrivateQuery q(std::move(key), std::move(identifiers));
  const Oprf oprf(OprfMode::voprf);
  for (const std::string& id : q.identifiers_) {
    auto b = oprf.blind(id);
    if (!b) return b.status();
    q.blinded_.push_back(std::move(*b));
  }
  return q;
}

std::string PrivateQuery::evaluate_request() const {
  json blinded = json::array();
  for (const OprfBlinded& b : blinded_) blinded.push_back(base64url_encode(b.blinded_element));
  return json{{"key_id", key_.key_id}, {"blinded", std::move(blinded)}}.dump();
}

Status PrivateQuery::finish(std::string_view evaluate_response) {
  const json r = json::parse(evaluate_response, nullptr, false);
  if (r.is_discarded() || !r.is_object())
    return Status(Code::invalid_request, "the evaluate answer is not a JSON object");
  if (r.value("key_id", "") != key_.key_id)
    return Status(Code::invalid_request, "the evaluate answer is for another key_id");
  if (!r.contains("evaluated") || !r["evaluated"].is_array() || r["evaluated"].size() != blinded_.size())
    return Status(Code::invalid_request, "the evaluate answer does not hold one element per blinded one");
  std::vector<std::string> blinded, evaluated;
  for (std::size_t i = 0; i < blinded_.size(); ++i) {
    auto e = decoded(r["evaluated"][i], kOprfElementBytes, "an evaluated element");
    if (!e) return e.status();
    if (!oprf_element_is_valid(*e))
      return Status(Code::invalid_request, "an evaluated element is not a valid non-identity element");
    blinded.push_back(blinded_[i].blinded_element);
    evaluated.push_back(std::move(*e));
  }
  auto proof = decoded(r.value("proof", json()), kOprfProofBytes, "the proof");
  if (!proof) return proof.status();
  const Oprf oprf(OprfMode::voprf);
  if (Status s = oprf.verify_proof(key_.public_key, blinded, evaluated, *proof); !s.ok()) return s;
  secrets_.clear();
  for (std::size_t i = 0; i < blinded_.size(); ++i) {
    auto y = oprf.finalize(identifiers_[i], blinded_[i].blind, evaluated[i]);
    if (!y) return y.status();
    secrets_.push_back(derive_private_secrets(*y));
  }
  return Status::Ok();
}

std::int64_t PrivateQuery::bucket(std::size_t i) const {
  return private_bucket(identifiers_[i], key_.bucket_bits);
}

Result<PrivateBucket> read_private_bucket(std::string_view bucket_response) {
  json r = json::parse(bucket_response, nullptr, false);
  if (r.is_discarded() || !r.is_object() || !r.contains("entries") || !r["entries"].is_array())
    return Status(Code::invalid_request, "the bucket answer is not a JSON object with entries");
  if (!r.contains("key_id") || !r["key_id"].is_string() || !r.contains("bucket") || !r["bucket"].is_number_integer())
    return Status(Code::invalid_request, "the bucket answer lacks key_id or bucket");
  PrivateBucket out;
  out.key_id = r["key_id"].get<std::string>();
  out.bucket = r["bucket"].get<std::int64_t>();
  out.entries.reserve(r["entries"].size());
  for (json& entry : r["entries"]) {
    if (!entry.is_object()) return Status(Code::invalid_request, "a bucket entry is not an object");
    auto tag = decoded(entry.value("tag", json()), kPrivateTagBytes, "an entry's tag");
    if (!tag) return tag.status();
    auto record = entry.find("record");
    out.entries.emplace_back(std::move(*tag), record != entry.end() && record->is_string()
                                                  ? std::move(record->get_ref<std::string&>())
                                                  : std::string());
  }
  return out;
}

Result<std::optional<std::string>> PrivateQuery::open(std::size_t i,
                                                      std::string_view bucket_response) const {
  auto read = read_private_bucket(bucket_response);
  if (!read) return read.status();
  return open(i, *read);
}

Result<std::optional<std::string>> PrivateQuery::open(std::size_t i, const PrivateBucket& b) const {
  if (b.key_id != key_.key_id || b.bucket != bucket(i))
    return Status(Code::invalid_request, "the bucket answer is for another key_id or bucket");
  const PrivateSecrets& s = secrets_.at(i);
  for (const auto& [tag, text] : b.entries) {
    if (tag != s.tag) continue;
    auto record = base64url_decode(text);
    if (!record) return Status(Code::invalid_request, "an entry's record is not base64url");
    auto plain = open_private_record(s, *record);
    if (!plain) return plain.status();
    return std::optional<std::string>(std::move(*plain));
  }
  return std::optional<std::string>();
}

}  // namespace resolver
