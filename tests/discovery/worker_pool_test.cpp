// Tests for discovery/worker_pool.hpp: work runs off the caller's thread, the bound holds, and
// destruction finishes what was accepted.
#include "discovery/worker_pool.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace {

// A gate the tasks wait at until the test opens it.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  void wait() {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return open; });
  }
  void release() {
    {
      std::lock_guard lock(mu);
      open = true;
    }
    cv.notify_all();
  }
};

}  // namespace

TEST_CASE("WorkerPool: runs tasks on its own threads") {
  std::atomic<int> ran{0};
  std::thread::id caller = std::this_thread::get_id();
  std::atomic<bool> elsewhere{true};
  {
    discovery::WorkerPool pool(2, 8);
    for (int i = 0; i < 8; ++i) {
      CHECK(pool.try_submit([&] {
        elsewhere = elsewhere && std::this_thread::get_id() != caller;
        ++ran;
      }));
    }
  }  // the destructor runs every accepted task
  CHECK(ran == 8);
  CHECK(elsewhere);
}

TEST_CASE("WorkerPool: refuses work once every thread is busy and the queue is full") {
  Gate gate;
  std::atomic<int> ran{0};
  {
    discovery::WorkerPool pool(2, 3);
    int accepted = 0;
    for (int i = 0; i < 10; ++i) {
      accepted += pool.try_submit([&] {
        gate.wait();
        ++ran;
      });
    }
    CHECK(accepted == 5);  // two running, three waiting
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (pool.running() < 2 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    CHECK(pool.running() == 2);
    CHECK(pool.queued() == 3);
    gate.release();
  }
  CHECK(ran == 5);
}

TEST_CASE("WorkerPool: a free slot is accepted again after the backlog drains") {
  // The pool is declared after what its tasks use, so it is destroyed (and runs what it accepted)
  // while they still exist: AddressSanitizer found the last task touching `ran` after its scope.
  Gate gate;
  std::atomic<int> ran{0};
  discovery::WorkerPool pool(1, 0);
  CHECK(pool.try_submit([&] { gate.wait(); ++ran; }));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (pool.running() < 1 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  CHECK_FALSE(pool.try_submit([&] { ++ran; }));  // one thread, no queue: full
  gate.release();
  while (pool.running() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  CHECK(pool.try_submit([&] { ++ran; }));
  pool.stop();
  CHECK(ran == 2);
}

TEST_CASE("WorkerPool: stop runs what was accepted, then refuses") {
  std::atomic<int> ran{0};
  discovery::WorkerPool pool(2, 4);
  for (int i = 0; i < 4; ++i) CHECK(pool.try_submit([&] { ++ran; }));
  pool.stop();
  CHECK(ran == 4);
  CHECK_FALSE(pool.try_submit([&] { ++ran; }));
  pool.stop();  // idempotent
  CHECK(ran == 4);
}
