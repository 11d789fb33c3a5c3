// Unit tests of the rolling 24-hour distinct-identifier budget (DESIGN.md §7).
#include "discovery/distinct_budget.hpp"

#include <doctest/doctest.h>

#include <vector>

using discovery::DistinctBudget;

TEST_CASE("DistinctBudget: repeats are free") {
  DistinctBudget b;
  std::vector<std::uint64_t> batch = {1, 2, 3};
  auto fresh = b.fresh(batch);
  CHECK(fresh == std::vector<std::uint64_t>{1, 2, 3});
  b.charge(fresh, 1000);
  CHECK(b.used() == 3);
  std::vector<std::uint64_t> again = {3, 1, 4};
  CHECK(b.fresh(again) == std::vector<std::uint64_t>{4});
}

TEST_CASE("DistinctBudget: entries leave the window 24 hours after they were charged") {
  DistinctBudget b;
  std::vector<std::uint64_t> first = {1, 2}, later = {3};
  b.charge(first, 1000);
  b.charge(later, 5000);
  CHECK(b.seconds_until(1, 4, 6000) == 0);
  CHECK(b.seconds_until(1, 2, 6000) == 1000 + 86400 - 6000);  // the oldest must go
  CHECK(b.seconds_until(2, 2, 6000) == 5000 + 86400 - 6000);  // all three must go
  CHECK(b.seconds_until(2, 3, 6000) == 1000 + 86400 - 6000);
  CHECK(b.seconds_until(0, 2, 6000) == 0);      // nothing new fits, even over the limit
  CHECK(b.seconds_until(3, 2, 6000) == 86400);  // more than the limit never fits
  CHECK(b.seconds_until_empty(6000) == 5000 + 86400 - 6000);
  b.expire(1000 + 86400 - 1);
  CHECK(b.used() == 3);
  b.expire(1000 + 86400);
  CHECK(b.used() == 1);
  std::vector<std::uint64_t> one = {1};
  CHECK(b.fresh(one).size() == 1);  // it left: looking it up again charges again
  b.expire(5000 + 86400);
  CHECK(b.empty());
}

TEST_CASE("DistinctBudget: restore sorts, drops duplicates and expired entries") {
  DistinctBudget b;
  b.restore({{7, 300}, {5, 100}, {7, 200}, {9, 10}}, 10 + 86400);
  REQUIRE(b.used() == 2);
  CHECK(b.entries()[0].hash == 5);
  CHECK(b.entries()[1].hash == 7);
  CHECK(b.entries()[1].at == 200);
}
