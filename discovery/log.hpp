// log: the lines discoveryd writes to stderr, each with a UTC timestamp (RFC 3339, milliseconds)
// and a level, as text ("2026-12-01T03:40:00.123Z warning discoveryd: ...") or as one JSON object
// a line (--log-format json: {"ts": ..., "level": ..., "msg": ..., fields}). Nothing here may be
// given an identifier or a token (DESIGN.md §8): callers pass route templates, request ids and
// caller keys. set_format() once at start, before threads; the rest is thread-safe.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "resolver/status.hpp"

namespace discovery::log {

enum class Format { text, json };
enum class Level { info, warning, error };

// text or json; invalid_request naming the flag otherwise.
resolver::Result<Format> parse_format(std::string_view name);
void set_format(Format format);
Format format();

// One field of a line: `key=value` in text, `"key": value` in JSON (a number bare, else a string).
struct Field {
  std::string_view key;
  std::string_view value;
  bool number = false;
};

// Appends one whole line, '\n' included, to `out`.
void append_line(std::string& out, Level level, std::string_view message,
                 std::initializer_list<Field> fields = {});
// Writes one line to stderr in one write(2), so lines of different threads never interleave.
void write(Level level, std::string_view message, std::initializer_list<Field> fields = {});

inline void info(std::string_view message) { write(Level::info, message); }
inline void warning(std::string_view message) { write(Level::warning, message); }
inline void error(std::string_view message) { write(Level::error, message); }

}  // namespace discovery::log
