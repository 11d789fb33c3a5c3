// The pipeline's answers to faults below it, through a Store fake (MemoryStore with faults): a
// store that throws is a 500 with the connection closed, never a crash; an unreadable index makes
// /healthz 503 and lookups 503, and the service answers again once the store does.
#include "discovery/service.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <stdexcept>

#include "resolver/keyring.hpp"
#include "resolver/memory_store.hpp"
#include "resolver/resolver.hpp"

namespace {

// A MemoryStore whose reads can be made to throw (a bug in a store or a library) or to fail.
class FaultyStore final : public resolver::MemoryStore {
 public:
  enum class Fault { none, throws, unreadable };
  std::atomic<Fault> fault{Fault::none};

  resolver::Result<std::vector<resolver::LocalAnswer>> lookup(std::span<const std::string> ids,
                                                              resolver::UnixTime now) override {
    if (fault == Fault::throws) throw std::runtime_error("injected fault");
    if (fault == Fault::unreadable) return resolver::Status(resolver::Code::unavailable, "The index cannot be read.");
    return MemoryStore::lookup(ids, now);
  }
  resolver::Status check() override {
    if (fault == Fault::unreadable) return resolver::Status(resolver::Code::unavailable, "The index cannot be read.");
    return MemoryStore::check();
  }
};

struct Fixture {
  resolver::ManualClock clock{1'800'000'000};
  FaultyStore store;
  resolver::Keyring keyring;
  std::unique_ptr<resolver::Resolver> resolver;
  discovery::UnlimitedRateLimiter limiter;
  std::unique_ptr<discovery::Service> service;

  Fixture() {
    REQUIRE(store.set_issuer("dp.example").ok());
    REQUIRE(resolver::create_signing_key(store, clock.now()).ok());
    REQUIRE(keyring.reload(store).ok());
    resolver = std::make_unique<resolver::Resolver>(store, keyring, clock);
    service = std::make_unique<discovery::Service>(
        discovery::ServiceDeps{store, keyring, *resolver, limiter, clock}, discovery::Config{});
  }
  discovery::Response get(const std::string& target) {
    discovery::Request r;
    r.method = "GET";
    r.target = target;
    r.remote_ip = "192.0.2.7";
    return service->handle(r);
  }
  static std::string code(const discovery::Response& r) {
    return nlohmann::json::parse(r.body)["error"]["code"];
  }
};

}  // namespace

TEST_CASE("issue 8: store faults are 500 (a throw, connection closed) or 503, and the service recovers") {
  using Fault = FaultyStore::Fault;
  struct Step {
    Fault fault;
    const char* target;
    int status;
    const char* code;  // "" for a 200
    bool close;
  };
  const Step steps[] = {
      {Fault::throws, "/v1/lookup?id=%2B14155552671", 500, "internal", true},
      {Fault::throws, "/healthz", 200, "", false},  // the service goes on
      {Fault::none, "/v1/lookup?id=%2B14155552671", 200, "", false},
      {Fault::unreadable, "/healthz", 503, "unavailable", false},
      {Fault::unreadable, "/v1/lookup?id=%2B14155552671", 503, "unavailable", false},
      {Fault::none, "/healthz", 200, "", false},
      {Fault::none, "/v1/lookup?id=%2B14155552671", 200, "", false},
  };
  Fixture f;
  for (const auto& step : steps) {
    CAPTURE(step.target);
    CAPTURE(static_cast<int>(step.fault));
    f.store.fault = step.fault;
    auto r = f.get(step.target);
    CHECK(r.status == step.status);
    if (*step.code) CHECK(Fixture::code(r) == step.code);
    CHECK(r.close == step.close);
  }
}
