// A Service over a fresh SqliteStore in a temporary folder, driven with plain Requests (no sockets).
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "discovery/service.hpp"
#include "resolver/api_token.hpp"
#include "resolver/sqlite_store.hpp"
#include "tests/support/process.hpp"

namespace test {

class ServiceFixture {
 public:
  explicit ServiceFixture(discovery::RateLimiter* limiter = nullptr, discovery::Config config = {})
      : clock_(1'800'000'000) {
    auto s = resolver::SqliteStore::open(dir_.file("index.db"), resolver::OpenMode::create_if_missing);
    if (!s) throw std::runtime_error(s.status().message());
    store_ = std::move(*s);
    (void)store_->set_issuer("dp.example");
    (void)resolver::create_signing_key(*store_, clock_.now());
    (void)keyring_.reload(*store_);
    resolver_ = std::make_unique<resolver::Resolver>(*store_, keyring_, clock_);
    service_ = std::make_unique<discovery::Service>(
        discovery::ServiceDeps{*store_, keyring_, *resolver_, limiter ? *limiter : unlimited_, clock_}, config);
    admin = resolver::create_token(*store_, resolver::Role::admin, "a", clock_.now())->secret;
    client = resolver::create_token(*store_, resolver::Role::client, "c", clock_.now())->secret;
  }

  discovery::Response call(const std::string& method, const std::string& target, const std::string& body = {},
                           const std::string& token = {}) {
    discovery::Request r;
    r.method = method;
    r.target = target;
    r.body = body;
    r.remote_ip = "192.0.2.7";
    if (!token.empty()) r.headers.emplace_back("Authorization", "Bearer " + token);
    return service_->handle(r);
  }
  static nlohmann::json json(const discovery::Response& r) { return nlohmann::json::parse(r.body); }
  static std::string header(const discovery::Response& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) if (k == name) return v;
    return "";
  }
  static std::string code(const discovery::Response& r) { return json(r)["error"]["code"]; }

  // Loads a small index through the admin API.
  void load_demo() {
    auto r = call("PUT", "/v1/admin/mappings", R"({"mappings": [
      {"identifier": "+14155552671", "provider": "chat.example", "user": "mimi://chat.example/u/8c1f3a", "tags": ["personal"]},
      {"identifier": "+14155552671", "provider": "talk.example", "user": "mimi://talk.example/users/alice", "tags": ["work"]},
      {"identifier": "alice@example.com", "provider": "chat.example", "user": "mimi://chat.example/u/8c1f3a"},
      {"identifier": "+442079460018", "provider": "talk.example", "user": "mimi://talk.example/users/bob"}]})", admin);
    if (r.status != 200) throw std::runtime_error("load_demo: " + r.body);
  }

  resolver::Store& store() { return *store_; }
  discovery::Service& service() { return *service_; }
  resolver::ManualClock& clock() { return clock_; }
  std::string admin, client;

 private:
  TempDir dir_;
  resolver::ManualClock clock_;
  std::unique_ptr<resolver::SqliteStore> store_;
  resolver::Keyring keyring_;
  std::unique_ptr<resolver::Resolver> resolver_;
  discovery::UnlimitedRateLimiter unlimited_;
  std::unique_ptr<discovery::Service> service_;
};

}  // namespace test
