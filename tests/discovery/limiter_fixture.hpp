// Test support for the limiter tests (in process and in Redis): small limits whose every outcome
// a few requests reach.
#pragma once

#include "discovery/config.hpp"

namespace test {

inline discovery::RateLimits small_limits() {
  discovery::RateLimits l;
  l.anonymous = {1, 3, 5};  // 1/s, burst 3, 5 distinct a day
  l.client = {10, 10, 0};   // no budget
  l.peer = {2, 6, 4};
  return l;
}

}  // namespace test
