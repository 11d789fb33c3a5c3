// LogBuffer: log lines gathered in memory and written to a file descriptor in batches, so that a
// request does not cost a write(2) and the stderr lock that every thread would contend on. Each
// thread appends to its own slot (thread_slot()); a slot is written out when it passes a few
// kilobytes, by a background thread every `interval`, and on flush() and destruction. Lines of
// one thread keep their order; lines of different threads may reach the file up to `interval`
// apart from when they were logged. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "discovery/thread_slot.hpp"

namespace discovery {

class LogBuffer {
 public:
  LogBuffer(int fd, std::chrono::milliseconds interval);
  ~LogBuffer();  // writes what is left
  LogBuffer(const LogBuffer&) = delete;
  LogBuffer& operator=(const LogBuffer&) = delete;

  // Appends `line` (which ends with '\n').
  void append(std::string_view line);
  // Writes every slot out now.
  void flush();

 private:
  static constexpr std::size_t kFlushBytes = 16 * 1024;
  void write_all(std::string_view text) const;

  const int fd_;
  const std::chrono::milliseconds interval_;
  ThreadShards<std::string, 8> slots_;  // lines not yet written
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by stop_mu_
  std::thread flusher_;
};

}  // namespace discovery
