// The batched log writer (see log_buffer.hpp).
#include "discovery/log_buffer.hpp"

#include <unistd.h>

#include <cerrno>

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
  std::string full;
  {
    auto text = slots_.mine();
    text->append(line);
    if (text->size() < kFlushBytes) return;
    full.swap(*text);
  }
  write_all(full);
}

void LogBuffer::flush() {
  std::string text;  // every slot's lines, in one write
  slots_.for_each([&](std::string& slot) {
    text += slot;
    slot.clear();
  });
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
