// Benchmark helper for bench/private.sh: BlindEvaluate throughput (elements per second, batches of
// 256 with the batch DLEQ proof, VOPRF mode) against the machine's bare libsodium
// crypto_scalarmult_ristretto255 rate, both on THREADS threads for SECONDS each, alternating RUNS
// times. Prints one line per run and a final "result" line with the medians and the ratio.
//   oprf_throughput [THREADS] [SECONDS] [RUNS]
// With "client": the client's own OPRF work for N identifiers on one thread, the part of a
// private lookup a /v1 batch does not do: Blind of each, VerifyProof of each batch of 256,
// Finalize of each (the server's BlindEvaluate in between is not timed). Prints one line per run
// and "result client ..." with the medians in ms.
//   oprf_throughput client [N] [RUNS]
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

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

int client_work(std::size_t n, int runs) {
  const resolver::Oprf oprf(resolver::OprfMode::voprf);
  const auto key = oprf.generate_key_pair();
  std::vector<std::string> inputs;
  for (std::size_t i = 0; i < n; ++i) inputs.push_back("tel:+1415" + std::to_string(5550000 + i));
  std::vector<double> blind_ms, verify_ms, finalize_ms;
  for (int r = 0; r < runs; ++r) {
    auto t = Clock::now();
    std::vector<resolver::OprfBlinded> blinded;
    for (const auto& in : inputs) blinded.push_back(*oprf.blind(in));
    const double b = ms_since(t);
    double v = 0, f = 0;
    for (std::size_t first = 0; first < n; first += 256) {
      const std::size_t end = std::min(n, first + 256);
      std::vector<std::string> elements;
      for (std::size_t i = first; i < end; ++i) elements.push_back(blinded[i].blinded_element);
      auto evaluation = oprf.blind_evaluate(key, elements);
      if (!evaluation) return 1;
      t = Clock::now();
      if (!oprf.verify_proof(key.public_key, elements, evaluation->evaluated, evaluation->proof).ok()) return 1;
      v += ms_since(t);
      t = Clock::now();
      for (std::size_t i = first; i < end; ++i) {
        if (!oprf.finalize(inputs[i], blinded[i].blind, evaluation->evaluated[i - first])) return 1;
      }
      f += ms_since(t);
    }
    std::printf("run %d: %zu identifiers: blind %.1f ms, verify %.1f ms, finalize %.1f ms\n", r + 1, n, b, v, f);
    blind_ms.push_back(b);
    verify_ms.push_back(v);
    finalize_ms.push_back(f);
  }
  std::printf("result client n=%zu blind_ms=%.1f verify_ms=%.1f finalize_ms=%.1f\n", n, median(blind_ms),
              median(verify_ms), median(finalize_ms));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (sodium_init() < 0) return 1;
  if (argc > 1 && std::string(argv[1]) == "client") {
    return client_work(argc > 2 ? std::stoul(argv[2]) : 1000, argc > 3 ? std::stoi(argv[3]) : 5);
  }
  const unsigned threads = argc > 1 ? static_cast<unsigned>(std::stoul(argv[1])) : std::thread::hardware_concurrency();
  const double seconds = argc > 2 ? std::stod(argv[2]) : 3;
  const int runs = argc > 3 ? std::stoi(argv[3]) : 5;
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
