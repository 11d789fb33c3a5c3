// Benchmark helper for bench/private.sh: BlindEvaluate throughput (elements per second, batches of
// 256 with the batch DLEQ proof, VOPRF mode) against the machine's bare libsodium
// crypto_scalarmult_ristretto255 rate, both on THREADS threads for SECONDS each, alternating RUNS
// times. Prints one line per run and a final "result" line with the medians and the ratio.
//   oprf_throughput [THREADS] [SECONDS] [RUNS]
#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "resolver/oprf.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// Runs `op` (which does `per_call` units) on `threads` threads for `seconds`; units per second.
template <class Op>
double rate(unsigned threads, double seconds, std::size_t per_call, Op op) {
  std::atomic<bool> stop{false};
  std::atomic<std::size_t> units{0};
  std::vector<std::thread> pool;
  const auto start = Clock::now();
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      std::size_t mine = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        op();
        mine += per_call;
      }
      units += mine;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : pool) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(units.load()) / elapsed;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  const unsigned threads = argc > 1 ? static_cast<unsigned>(std::stoul(argv[1])) : std::thread::hardware_concurrency();
  const double seconds = argc > 2 ? std::stod(argv[2]) : 3;
  const int runs = argc > 3 ? std::stoi(argv[3]) : 5;
  if (sodium_init() < 0) return 1;
  const resolver::Oprf oprf(resolver::OprfMode::voprf);
  const auto key = oprf.generate_key_pair();
  std::vector<std::string> batch;
  for (int i = 0; i < 256; ++i) batch.push_back(oprf.blind("tel:+1415555" + std::to_string(1000 + i))->blinded_element);
  unsigned char scalar[32], point[32], out[32];
  crypto_core_ristretto255_scalar_random(scalar);
  std::copy(batch[0].begin(), batch[0].end(), point);

  std::vector<double> bare, ours, ratios;
  for (int r = 0; r < runs; ++r) {
    const double b = rate(threads, seconds, 1, [&] {
      unsigned char local[32];
      (void)crypto_scalarmult_ristretto255(local, scalar, point);
      out[0] ^= local[0];
    });
    const double o = rate(threads, seconds, batch.size(), [&] {
      auto e = oprf.blind_evaluate(key, batch);
      if (!e) std::abort();
    });
    std::printf("run %d: bare scalarmult %.0f/s, BlindEvaluate %.0f elements/s, ratio %.3f\n", r + 1, b, o, o / b);
    bare.push_back(b);
    ours.push_back(o);
    ratios.push_back(o / b);
  }
  std::printf("result threads=%u bare=%.0f ours=%.0f ratio=%.3f\n", threads, median(bare), median(ours),
              median(ratios));
  return out[0] == 0xff ? 0 : 0;
}
