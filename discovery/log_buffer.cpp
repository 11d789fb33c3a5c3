// The batched log writer (see log_buffer.hpp).
#include "discovery/log_buffer.hpp"

#include <unistd.h>

#include <cerrno>

#include "discovery/thread_slot.hpp"

namespace discovery {

LogBuffer::LogBuffer(int fd, std::chrono::milliseconds interval) : fd_(fd), interval_(interval) {
  flusher_ = std::thread([this] {
    std::unique_lock lock(stop_mu_);
    while (!stop_cv_.wait_for(lock, interval_, [this] { return stopping_; })) {
      lock.unlock();
      flush();
      lock.lock();
    }
  });
}

LogBuffer::~LogBuffer() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_one();
  flusher_.join();
  flush();
}

void LogBuffer::append(std::string_view line) {
  Slot& slot = slots_[thread_slot() % kSlots];
  std::string full;
  {
    std::lock_guard lock(slot.mu);
    slot.text.append(line);
    if (slot.text.size() < kFlushBytes) return;
    full.swap(slot.text);
  }
  write_all(full);
}

void LogBuffer::flush() {
  for (Slot& slot : slots_) write_out(slot);
}

void LogBuffer::write_out(Slot& slot) {
  std::string text;
  {
    std::lock_guard lock(slot.mu);
    text.swap(slot.text);
  }
  write_all(text);
}

// A log that cannot be written (a closed descriptor, a full disk) loses lines, never a request.
void LogBuffer::write_all(std::string_view text) const {
  while (!text.empty()) {
    ssize_t n = ::write(fd_, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace discovery
