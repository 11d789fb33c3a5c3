// Loads the --config JSON file (DESIGN.md §9). Strict: an unknown key, a wrong type or a key given
// twice is an error so that a typo does not silently leave a default in force.
#include "discovery/config.hpp"

#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "discovery/redis_url.hpp"
#include "resolver/http_peer_client.hpp"

namespace discovery {
namespace {

using json = nlohmann::json;
using resolver::Code;
using resolver::Status;

Status bad(const std::string& key, const std::string& why) {
  return Status(Code::invalid_request, "config key \"" + key + "\" " + why + ".");
}

// Reads an integer in [lo, hi] into `out`.
template <typename T>
Status read_int(const json& j, const std::string& key, T& out, std::int64_t lo, std::int64_t hi) {
  if (!j.is_number_integer()) return bad(key, "must be an integer");
  std::int64_t v = j.get<std::int64_t>();
  if (v < lo || v > hi) {
    return bad(key, "must be between " + std::to_string(lo) + " and " + std::to_string(hi));
  }
  out = static_cast<T>(v);
  return Status::Ok();
}

Status read_number(const json& j, const std::string& key, double& out) {
  if (!j.is_number()) return bad(key, "must be a number");
  double v = j.get<double>();
  if (!(v > 0) || v > 1e9) return bad(key, "must be a positive number");
  out = v;
  return Status::Ok();
}

Status read_role(const json& j, const std::string& key, RoleLimits& out) {
  if (!j.is_object()) return bad(key, "must be an object");
  for (const auto& [k, v] : j.items()) {
    std::string name = key + "." + k;
    Status s;
    if (k == "rate") s = read_number(v, name, out.rate);
    else if (k == "burst") s = read_number(v, name, out.burst);
    else if (k == "distinct_per_day") s = read_int(v, name, out.distinct_per_day, 0, 1'000'000'000'000);
    else s = bad(name, "is not a known setting");
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status read_rate_limits(const json& j, RateLimits& out) {
  if (!j.is_object()) return bad("rate_limits", "must be an object");
  for (const auto& [k, v] : j.items()) {
    std::string name = "rate_limits." + k;
    Status s;
    if (k == "anonymous") s = read_role(v, name, out.anonymous);
    else if (k == "client") s = read_role(v, name, out.client);
    else if (k == "peer") s = read_role(v, name, out.peer);
    else if (k == "admin") s = read_role(v, name, out.admin);
    else if (k == "enabled") {
      if (!v.is_boolean()) s = bad(name, "must be true or false");
      else out.enabled = v.get<bool>();
    } else if (k == "max_callers") s = read_int(v, name, out.max_callers, 64, 100'000'000);
    else if (k == "max_tracked_identifiers")
      s = read_int(v, name, out.max_tracked_identifiers, 64, 1'000'000'000);
    else if (k == "snapshot") {
      if (!v.is_string()) s = bad(name, "must be a file path");
      else out.snapshot = v.get<std::string>();
    } else if (k == "snapshot_interval_s") s = read_int(v, name, out.snapshot_interval_s, 1, 3600);
    else if (k == "redis") {
      if (!v.is_string()) s = bad(name, "must be a URL such as redis://127.0.0.1:6379/0");
      else if (auto url = parse_redis_url(v.get<std::string>()); !url) s = url.status();
      else out.redis = v.get<std::string>();
    } else if (k == "redis_failure") {
      if (v == "closed") out.redis_failure = RedisFailure::closed;
      else if (v == "open") out.redis_failure = RedisFailure::open;
      else s = bad(name, "must be \"closed\" or \"open\"");
    }
    else s = bad(name, "is not a known role (anonymous, client, peer, admin) or setting");
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status read_federation(const json& j, FederationConfig& out) {
  if (!j.is_object()) return bad("federation", "must be an object");
  constexpr std::int64_t kHour = 3'600'000;
  for (const auto& [k, v] : j.items()) {
    std::string name = "federation." + k;
    Status s;
    if (k == "peer_timeout_ms") s = read_int(v, name, out.peer_timeout_ms, 1, kHour);
    else if (k == "deadline_ms") s = read_int(v, name, out.deadline_ms, 1, kHour);
    else if (k == "cache_found_s") s = read_int(v, name, out.cache_found_s, 0, 86400 * 7);
    else if (k == "cache_not_found_s") s = read_int(v, name, out.cache_not_found_s, 0, 86400 * 7);
    else if (k == "max_peer_response_bytes")
      s = read_int(v, name, out.max_peer_response_bytes, 1, std::int64_t{1} << 30);
    else if (k == "ca_file") {
      if (!v.is_string()) s = bad(name, "must be a file name");
      else out.ca_file = v.get<std::string>();
    } else if (k == "anonymous") {
      if (!v.is_boolean()) s = bad(name, "must be true or false");
      else out.anonymous = v.get<bool>();
    } else s = bad(name, "is not a known setting");
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status read_trusted_proxies(const json& j, TrustedProxies& out) {
  if (!j.is_array()) return bad("trusted_proxies", "must be a list of CIDRs such as [\"10.0.0.0/8\"]");
  std::vector<std::string> cidrs;
  for (const auto& v : j) {
    if (!v.is_string()) return bad("trusted_proxies", "must hold strings such as \"10.0.0.0/8\"");
    cidrs.push_back(v.get<std::string>());
  }
  auto parsed = TrustedProxies::parse(cidrs);
  if (!parsed) return parsed.status();
  out = std::move(*parsed);
  return Status::Ok();
}

Status read_workers(const json& j, WorkerConfig& out) {
  if (!j.is_object()) return bad("workers", "must be an object");
  for (const auto& [k, v] : j.items()) {
    std::string name = "workers." + k;
    Status s;
    if (k == "threads") s = read_int(v, name, out.threads, 0, 1024);
    else if (k == "queue") s = read_int(v, name, out.queue, 0, 1'000'000);
    else s = bad(name, "is not a known setting");
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status read_store(const json& j, resolver::StoreOptions& out) {
  if (!j.is_object()) return bad("store", "must be an object");
  for (const auto& [k, v] : j.items()) {
    std::string name = "store." + k;
    Status s;
    if (k == "pool_size") s = read_int(v, name, out.pool_size, 1, 1000);
    else if (k == "answer_timeout_ms") s = read_int(v, name, out.answer_timeout_ms, 10, 600'000);
    else if (k == "answer_cache_entries") s = read_int(v, name, out.answer_cache_entries, 0, 10'000'000);
    else s = bad(name, "is not a known setting");
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status read_web(const json& j, WebConfig& out) {
  if (!j.is_object()) return bad("web", "must be an object");
  for (const auto& [k, v] : j.items()) {
    if (k != "enabled") return bad("web." + k, "is not a known setting");
    if (!v.is_boolean()) return bad("web.enabled", "must be true or false");
    out.enabled = v.get<bool>();
  }
  return Status::Ok();
}

Status read_matrix(const json& j, MatrixConfig& out) {
  if (!j.is_object()) return bad("matrix", "must be an object");
  constexpr std::int64_t kYear = 86400 * 366;
  for (const auto& [k, v] : j.items()) {
    std::string name = "matrix." + k;
    Status s;
    if (k == "pepper_rotation_s") s = read_int(v, name, out.pepper_rotation_s, 0, kYear);
    else if (k == "pepper_grace_s") s = read_int(v, name, out.pepper_grace_s, 0, kYear);
    else if (k == "non_matrix_users") {
      if (v == "omit") out.non_matrix_users = NonMatrixUsers::omit;
      else if (v == "user_uri") out.non_matrix_users = NonMatrixUsers::user_uri;
      else s = bad(name, "must be \"omit\" or \"user_uri\"");
    } else s = bad(name, "is not a known setting");
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status read_private(const json& j, PrivateConfig& out) {
  if (!j.is_object()) return bad("private", "must be an object");
  for (const auto& [k, v] : j.items()) {
    std::string name = "private." + k;
    Status s;
    if (k == "refresh_s") s = read_int(v, name, out.refresh_s, 1, 86400);
    else if (k == "grace_s") s = read_int(v, name, out.grace_s, 0, 86400 * 30);
    else if (k == "max_elements") s = read_int(v, name, out.max_elements, 1, 4096);
    else if (k == "bucket_max_age_s") s = read_int(v, name, out.bucket_max_age_s, 0, 86400);
    else s = bad(name, "is not a known setting");
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

// nlohmann_json keeps only the last of two equal keys in one object, without a word: with two
// "rate_limits" objects, or "burst" twice, the first setting would be silently lost. Fed the
// parser's events, this finds the first key given twice in the same object, as a dotted path
// ("rate_limits.client.burst").
class DuplicateKeys {
 public:
  bool on(json::parse_event_t event, const json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start: frames_.push_back({true, {}, {}}); break;
      case json::parse_event_t::array_start: frames_.push_back({false, {}, {}}); break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end: frames_.pop_back(); break;
      case json::parse_event_t::key: {
        Frame& f = frames_.back();
        f.key = parsed.get<std::string>();
        if (!f.keys.insert(f.key).second && !first_) first_ = path();
        break;
      }
      case json::parse_event_t::value: break;
    }
    return true;  // keep everything: only the first duplicate is reported
  }
  const std::optional<std::string>& first() const { return first_; }

 private:
  struct Frame {
    bool object;
    std::set<std::string> keys;  // the keys read so far in this object
    std::string key;             // the key whose value is being read
  };
  std::string path() const {
    std::string p;
    for (const Frame& f : frames_) {
      if (!f.object) continue;
      if (!p.empty()) p += '.';
      p += f.key;
    }
    return p;
  }
  std::vector<Frame> frames_;
  std::optional<std::string> first_;
};

}  // namespace

const RoleLimits& RateLimits::of(resolver::Role role) const {
  switch (role) {
    case resolver::Role::anonymous: return anonymous;
    case resolver::Role::client: return client;
    case resolver::Role::peer: return peer;
    case resolver::Role::admin: return admin;
  }
  return anonymous;
}

resolver::Result<Config> parse_config(const std::string& text) {
  json j;
  DuplicateKeys duplicates;
  try {
    j = json::parse(text, [&duplicates](int, json::parse_event_t event, json& parsed) {
      return duplicates.on(event, parsed);
    });
  } catch (const json::parse_error& e) {
    // nlohmann_json says where: "[json.exception.parse_error.101] parse error at line 4, column 1:
    // syntax error while parsing object key - unexpected '}'; expected string literal".
    const std::string what = e.what();
    const auto at = what.find("parse error at ");
    const std::string where = at == std::string::npos ? what : what.substr(at + 15);
    return Status(Code::invalid_request, "The config file is not valid JSON at " + where + ".");
  }
  if (!j.is_object()) return Status(Code::invalid_request, "The config file must hold a JSON object.");
  if (const auto& key = duplicates.first()) {
    return bad(*key, "is given twice, and only the last would count; merge them into one");
  }
  Config c;
  for (const auto& [k, v] : j.items()) {
    Status s;
    if (k == "threads") s = read_int(v, k, c.threads, 1, 256);
    else if (k == "max_batch") s = read_int(v, k, c.max_batch, 1, 100000);
    else if (k == "max_body_bytes") s = read_int(v, k, c.max_body_bytes, 1024, std::int64_t{1} << 30);
    else if (k == "assertion_ttl_s") s = read_int(v, k, c.assertion_ttl_s, 1, 86400 * 365);
    else if (k == "request_timeout_ms") s = read_int(v, k, c.request_timeout_ms, 100, 3'600'000);
    else if (k == "max_connections") s = read_int(v, k, c.max_connections, 1, 10'000'000);
    else if (k == "identifier_cache_entries") s = read_int(v, k, c.identifier_cache_entries, 0, 10'000'000);
    else if (k == "rate_limits") s = read_rate_limits(v, c.rate_limits);
    else if (k == "federation") s = read_federation(v, c.federation);
    else if (k == "workers") s = read_workers(v, c.workers);
    else if (k == "matrix") s = read_matrix(v, c.matrix);
    else if (k == "store") s = read_store(v, c.store);
    else if (k == "private") s = read_private(v, c.private_lookups);
    else if (k == "trusted_proxies") s = read_trusted_proxies(v, c.trusted_proxies);
    else if (k == "web") s = read_web(v, c.web);
    else s = bad(k, "is not a known setting");
    if (!s.ok()) return s;
  }
  return c;
}

resolver::Result<Config> load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(Code::invalid_request, "Cannot read the config file " + path + ".");
  std::ostringstream text;
  text << in.rdbuf();
  auto config = parse_config(text.str());
  if (!config) return config.status();
  // A CA file that cannot be loaded stops the start, as the TLS files do, rather than failing
  // every https:// peer later.
  if (!config->federation.ca_file.empty())
    if (Status s = resolver::check_ca_file(config->federation.ca_file); !s.ok()) return s;
  return config;
}

}  // namespace discovery
