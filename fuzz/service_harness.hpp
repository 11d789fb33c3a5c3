// The Service that fuzz_request_body and fuzz_http_request drive: one test::ServiceFixture (a real
// SqliteStore in a temporary folder, removed at exit; an admin and a client token; the demo
// mappings), built on first use, with no worker pool (every route runs on the calling thread) and
// no rate limiter. Single-threaded, as libFuzzer runs its inputs.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/discovery/service_fixture.hpp"

namespace fuzz {

inline discovery::Config without_worker_pool() {
  discovery::Config config;
  config.workers.threads = 0;
  return config;
}

inline test::ServiceFixture& fixture() {
  static test::ServiceFixture f(nullptr, without_worker_pool());
  static const bool loaded = (f.load_demo(), true);
  (void)loaded;
  return f;
}

// Answers `request` and aborts (a crash for libFuzzer) when the Service throws, answers anything
// but 2xx or 4xx (a 500 is an exception a handler did not expect), or sends a JSON body that is
// not JSON.
inline discovery::Response answer(const discovery::Request& request) {
  discovery::Response r;
  try {
    r = fixture().service().handle(request);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: Service::handle threw: %s\n", e.what());
    std::abort();
  }
  const bool json = r.content_type == discovery::kJsonContentType;
  if ((r.status / 100 != 2 && r.status / 100 != 4) ||
      (json && !nlohmann::json::accept(r.body))) {
    std::fprintf(stderr, "fuzz: %s %s answered %d: %s\n", request.method.c_str(),
                 request.target.substr(0, 200).c_str(), r.status, r.body.substr(0, 500).c_str());
    std::abort();
  }
  return r;
}

}  // namespace fuzz
