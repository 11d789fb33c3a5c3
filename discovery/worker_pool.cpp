// The worker pool: one mutex and one condition variable; the tasks are long (a federated lookup
// waits on peers for up to the federation deadline), so the queue is never the bottleneck.
#include "discovery/worker_pool.hpp"

namespace discovery {

WorkerPool::WorkerPool(int threads, std::size_t queue_capacity) : capacity_(queue_capacity) {
  threads_.reserve(static_cast<std::size_t>(threads));
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { loop(); });
}

WorkerPool::~WorkerPool() { stop(); }

void WorkerPool::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

bool WorkerPool::try_submit(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() + running_ >= threads_.size() + capacity_) return false;
    queue_.push_back(std::move(task));
  }
  ready_.notify_one();
  return true;
}

std::size_t WorkerPool::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

std::size_t WorkerPool::running() const {
  std::lock_guard lock(mu_);
  return running_;
}

void WorkerPool::loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and every accepted task has run
    auto task = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    lock.unlock();
    task();
    lock.lock();
    --running_;
  }
}

}  // namespace discovery
