// WorkerPool: a fixed set of threads and a bounded queue for the work that may block on the
// network (federated lookups, a network store), so that it never holds the threads that accept
// and read connections (docs/ARCHITECTURE.md). When the queue is full, try_submit refuses and the
// caller sheds the request (503): memory stays bounded whatever the load. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace discovery {

class WorkerPool {
 public:
  // REQUIRES: threads >= 1.
  WorkerPool(int threads, std::size_t queue_capacity);
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  // stop().
  ~WorkerPool();

  // Refuses new tasks, runs every task already accepted, then joins the threads. Idempotent.
  // REQUIRES: not called from a task.
  void stop();

  // Queues `task` to run on a worker thread. False, and `task` is dropped, when every thread is
  // busy and `queue_capacity` tasks are already waiting, or the pool is stopping.
  // `task` must not throw.
  bool try_submit(std::function<void()> task);

  // Tasks waiting for a thread, and tasks running now (for /metrics).
  std::size_t queued() const;
  std::size_t running() const;

 private:
  void loop();

  const std::size_t capacity_;  // tasks that may wait when every thread is busy
  mutable std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;  // guarded by mu_
  std::size_t running_ = 0;                  // guarded by mu_
  bool stopping_ = false;                    // guarded by mu_
  std::vector<std::thread> threads_;  // filled by the constructor, never resized after
};

}  // namespace discovery
