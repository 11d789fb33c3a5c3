// Unit tests of the token bucket (DESIGN.md §7) driven by a ManualClock.
#include "discovery/token_bucket.hpp"

#include <doctest/doctest.h>

#include "resolver/clock.hpp"

using namespace std::chrono_literals;

TEST_CASE("TokenBucket: starts full, refills at rate, never above burst") {
  resolver::ManualClock clock;
  discovery::TokenBucket b(2, 4, clock.steady_now());
  CHECK(b.full());
  CHECK(b.tokens() == doctest::Approx(4));
  b.take(4);
  CHECK(b.tokens() == doctest::Approx(0));
  CHECK_FALSE(b.full());
  clock.advance(500ms);
  b.refill(clock.steady_now());
  CHECK(b.tokens() == doctest::Approx(1));
  clock.advance(1h);
  b.refill(clock.steady_now());
  CHECK(b.tokens() == doctest::Approx(4));
  CHECK(b.full());
}

TEST_CASE("TokenBucket: a clock that does not move adds nothing, new limits cap the tokens") {
  resolver::ManualClock clock;
  discovery::TokenBucket b(10, 10, clock.steady_now());
  b.take(10);
  b.refill(clock.steady_now());
  CHECK(b.tokens() == doctest::Approx(0));
  clock.advance(1s);
  b.refill(clock.steady_now());
  CHECK(b.tokens() == doctest::Approx(10));
  b.set_limits(1, 3);
  CHECK(b.tokens() == doctest::Approx(3));
}
