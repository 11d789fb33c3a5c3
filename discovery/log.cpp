#include "discovery/log.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace discovery::log {
namespace {

std::atomic<Format> g_format{Format::text};

std::string_view level_name(Level level) {
  switch (level) {
    case Level::info: return "info";
    case Level::warning: return "warning";
    case Level::error: return "error";
  }
  return "info";
}

// "2026-12-01T03:40:00.123Z". The part up to the seconds is formatted once a second per thread.
void append_timestamp(std::string& out) {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  thread_local std::time_t cached_second = -1;
  thread_local char cached[24];
  if (seconds != cached_second) {
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    std::strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S", &tm);
    cached_second = seconds;
  }
  const int milli = static_cast<int>(ms % 1000);
  const char millis[] = {'.', static_cast<char>('0' + milli / 100), static_cast<char>('0' + milli / 10 % 10),
                         static_cast<char>('0' + milli % 10), 'Z'};
  out += cached;
  out.append(millis, sizeof millis);
}

// A JSON string's contents: quotes, backslashes and control characters escaped.
void append_json_escaped(std::string& out, std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
}

// Text mode: a control character (a newline in a library's error message) would split the line or
// forge another one, so it is written escaped as in JSON.
void append_text(std::string& out, std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
}

void append_json_member(std::string& out, std::string_view key, std::string_view value, bool number) {
  out += ",\"";
  append_json_escaped(out, key);
  out += "\":";
  if (number) {
    out += value;
    return;
  }
  out += '"';
  append_json_escaped(out, value);
  out += '"';
}

}  // namespace

resolver::Result<Format> parse_format(std::string_view name) {
  if (name == "text") return Format::text;
  if (name == "json") return Format::json;
  return resolver::Status(resolver::Code::invalid_request, "--log-format must be text or json.");
}

void set_format(Format format) { g_format.store(format, std::memory_order_relaxed); }

Format format() { return g_format.load(std::memory_order_relaxed); }

void append_line(std::string& out, Level level, std::string_view message, std::initializer_list<Field> fields) {
  if (format() == Format::json) {
    out += "{\"ts\":\"";
    append_timestamp(out);
    out += "\",\"level\":\"";
    out += level_name(level);
    out += '"';
    append_json_member(out, "msg", message, false);
    for (const Field& f : fields) append_json_member(out, f.key, f.value, f.number);
    out += "}\n";
    return;
  }
  append_timestamp(out);
  out += ' ';
  out += level_name(level);
  out += " discoveryd: ";
  append_text(out, message);
  for (const Field& f : fields) {
    out += ' ';
    append_text(out, f.key);
    out += '=';
    append_text(out, f.value);
  }
  out += '\n';
}

void write(Level level, std::string_view message, std::initializer_list<Field> fields) {
  std::string line;
  line.reserve(96 + message.size());
  append_line(line, level, message, fields);
  std::string_view rest = line;
  while (!rest.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr is gone: nothing else to tell
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace discovery::log
