// Unit tests of the budget snapshot: encoding round trip, corrupt files rejected, the atomic
// file write, and the snapshotter's load/save (missing and corrupt files are ignored).
#include "discovery/budget_snapshot.hpp"

#include <doctest/doctest.h>

#include <filesystem>

#include "discovery/budget_snapshotter.hpp"
#include "resolver/clock.hpp"
#include "tests/support/process.hpp"

using resolver::Code;

TEST_CASE("snapshot: encode then decode gives the budgets back") {
  std::vector<discovery::CallerBudget> in(2);
  in[0].caller[0] = 1;
  in[0].role = resolver::Role::client;
  in[0].entries = {{42, 1'800'000'000}, {~0ull, 1'800'000'001}};
  in[1].caller[15] = 9;
  auto out = discovery::decode_snapshot(discovery::encode_snapshot(in));
  REQUIRE(out.ok());
  REQUIRE(out->size() == 2);
  CHECK((*out)[0].caller == in[0].caller);
  CHECK((*out)[0].role == resolver::Role::client);
  REQUIRE((*out)[0].entries.size() == 2);
  CHECK((*out)[0].entries[1].hash == ~0ull);
  CHECK((*out)[0].entries[1].at == 1'800'000'001);
  CHECK((*out)[1].entries.empty());
}

TEST_CASE("snapshot: torn, edited or foreign bytes are rejected with invalid_request") {
  std::vector<discovery::CallerBudget> in(1);
  in[0].entries = {{1, 2}};
  std::string good = discovery::encode_snapshot(in);
  std::string flipped = good;
  flipped[20] ^= 1;
  for (const std::string& bad :
       {std::string(), std::string("hello"), good.substr(0, good.size() - 1), flipped,
        std::string("MIMIRL01") + std::string(40, '\0')}) {
    CHECK(discovery::decode_snapshot(bad).status().code() == Code::invalid_request);
  }
}

TEST_CASE("snapshotter: save and load round trip, missing and corrupt files are ignored") {
  test::TempDir dir;
  std::string path = dir.file("index.db.ratelimit");
  resolver::ManualClock clock;
  discovery::RateLimits limits;
  limits.anonymous = {100, 100, 2};
  std::vector<std::string> two = {"tel:+14155550001", "tel:+14155550002"},
                           third = {"tel:+14155550003"};
  std::vector<std::string> logged;
  auto log = [&](const std::string& s) { logged.push_back(s); };
  {
    discovery::LocalRateLimiter l(limits, "k", clock);
    discovery::BudgetSnapshotter s(l, path, log);
    CHECK(s.load().ok());  // no file yet: a first start
    CHECK(logged.empty());
    REQUIRE(l.admit({"ip:a", resolver::Role::anonymous, 2, two}).status.ok());
  }  // the destructor writes the changed state
  REQUIRE(std::filesystem::exists(path));
  CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
  {
    discovery::LocalRateLimiter l(limits, "k", clock);
    discovery::BudgetSnapshotter s(l, path, log);
    CHECK(s.load().ok());
    CHECK(l.admit({"ip:a", resolver::Role::anonymous, 1, third}).status.code() ==
          Code::quota_exceeded);
    CHECK(l.admit({"ip:a", resolver::Role::anonymous, 2, two}).status.ok());
  }
  test::write_file(path, "not a snapshot");
  discovery::LocalRateLimiter l(limits, "k", clock);
  discovery::BudgetSnapshotter s(l, path, log);
  CHECK(s.load().code() == Code::invalid_request);
  REQUIRE(logged.size() == 1);
  CHECK(logged[0].find("ignored") != std::string::npos);
  CHECK(l.admit({"ip:a", resolver::Role::anonymous, 1, third}).status.ok());
}

TEST_CASE("snapshotter: the background thread writes a changed state") {
  test::TempDir dir;
  std::string path = dir.file("budgets");
  resolver::ManualClock clock;
  discovery::RateLimits limits;
  discovery::LocalRateLimiter l(limits, "k", clock);
  discovery::BudgetSnapshotter s(l, path, [](const std::string&) {});
  s.start(std::chrono::milliseconds(20));
  std::vector<std::string> one = {"mailto:a@example.com"};
  REQUIRE(l.admit({"ip:a", resolver::Role::anonymous, 1, one}).status.ok());
  for (int i = 0; i < 200 && !std::filesystem::exists(path); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  auto bytes = discovery::read_snapshot_file(path);
  REQUIRE(bytes.ok());
  auto budgets = discovery::decode_snapshot(*bytes);
  REQUIRE(budgets.ok());
  CHECK(budgets->size() == 1);
}
