// UTF-8 helpers for identifier parsing: validation with a character-class check, and lower-casing.
// Free functions without shared mutable state; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace resolver {

enum class Utf8Check {
  ok,
  invalid,    // not well-formed UTF-8 (overlong, surrogate, truncated, > U+10FFFF)
  control,    // NUL, C0, DEL or C1 control character
  invisible,  // a non-ASCII space, zero-width, bidi or other format character
};

// Classifies `text`; the first problem found wins.
Utf8Check check_utf8(std::string_view text);

// Appends `text` lower-cased to `out`: ASCII always, other letters by the C.UTF-8 locale's simple
// case mapping (not Unicode full case folding, and no normalisation).
// REQUIRES: check_utf8(text) == Utf8Check::ok
void append_lower_utf8(std::string_view text, std::string& out);

// Appends `text` with ASCII letters lower-cased and every other byte unchanged.
void append_lower_ascii(std::string_view text, std::string& out);

// True when `text` is well-formed UTF-8 (RFC 3629), whatever characters it holds.
bool is_valid_utf8(std::string_view text);

// True when every byte is ASCII.
bool is_ascii(std::string_view text);

}  // namespace resolver
