// lookup_latency: sequential GET /v1/lookup requests over one keep-alive connection; prints the
// median and p90 latency in milliseconds. Used by bench/federation.sh.
// Usage: lookup_latency BASE_URL TOKEN MODE COUNT [FIRST_NUMBER]
//   MODE distinct: each request asks a new phone number (+1415555NNNN from FIRST_NUMBER), so a
//                  federated lookup misses the peer cache;
//   MODE same:     every request asks FIRST_NUMBER (after one warm-up request);
//   append "-local" to either mode to send federate=false;
//   MODE alternate: FIRST_NUMBER again and again, federate=false and federate=true by turns on the
//                  same connection (after a warm-up of each), so that both see the same server
//                  thread and the same moment; prints both medians (local_median_ms,
//                  cached_median_ms). Sequential requests on a 2-core machine land at wake-up
//                  latencies that differ by 2x from one connection to the next; alternating on one
//                  connection cancels that out.
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 5) {
    std::cerr << "usage: lookup_latency BASE_URL TOKEN MODE COUNT [FIRST_NUMBER]\n";
    return 2;
  }
  const std::string base = argv[1], token = argv[2], mode = argv[3];
  const int count = std::atoi(argv[4]);
  const long first = argc > 5 ? std::atol(argv[5]) : 1000;
  const bool alternate = mode == "alternate";
  bool local = mode.size() > 6 && mode.ends_with("-local");
  const bool same = mode.starts_with("same") || alternate;
  httplib::Client client(base);
  client.set_keep_alive(true);
  client.set_connection_timeout(std::chrono::seconds(5));
  client.set_read_timeout(std::chrono::seconds(10));
  const httplib::Headers headers = {{"Authorization", "Bearer " + token}};
  auto path = [&](long n) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "/v1/lookup?id=%%2B1415555%04ld&federate=%s", n % 10000,
                  local ? "false" : "true");
    return std::string(buf);
  };
  if (same) client.Get(path(first).c_str(), headers);  // warm-up: fills the caches
  if (alternate) {
    local = true;
    client.Get(path(first).c_str(), headers);
  }
  std::vector<double> ms, local_ms;
  for (int i = 0; i < count; ++i) {
    const long n = same ? first : first + i;
    if (alternate) local = !local;  // federated first
    const auto t0 = std::chrono::steady_clock::now();
    auto r = client.Get(path(n).c_str(), headers);
    const auto t1 = std::chrono::steady_clock::now();
    if (!r || r->status != 200) {
      std::cerr << "lookup_latency: request failed (" << (r ? std::to_string(r->status) : httplib::to_string(r.error())) << ")\n";
      return 1;
    }
    (alternate && local ? local_ms : ms).push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  if (alternate) {
    std::sort(local_ms.begin(), local_ms.end());
    std::printf("local_median_ms=%.3f cached_median_ms=%.3f n=%d\n", local_ms[local_ms.size() / 2],
                ms[ms.size() / 2], count);
    return 0;
  }
  std::printf("median_ms=%.3f p90_ms=%.3f n=%d\n", ms[ms.size() / 2], ms[ms.size() * 9 / 10], count);
  return 0;
}
