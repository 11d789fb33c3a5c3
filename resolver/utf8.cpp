// UTF-8 validation and lower-casing for identifiers (resolver/utf8.hpp).
#include "resolver/utf8.hpp"

#include <locale.h>
#include <wctype.h>

#include <cstdint>

namespace resolver {
namespace {

// Decodes one code point at `text[i]`; advances `i`. Returns -1 when malformed (RFC 3629 §4).
std::int32_t decode(std::string_view text, std::size_t& i) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int len = 0;
  std::int32_t cp = 0;
  std::int32_t min = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    return -1;
  }
  if (text.size() - i < static_cast<std::size_t>(len)) return -1;
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(text[i + k]);
    if ((b & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  i += len;
  return cp;
}

void encode(std::uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Spaces and format characters that make two identifiers look alike (UTS #39 spirit).
bool is_invisible(std::int32_t cp) {
  return cp == 0xA0 || cp == 0xAD || cp == 0x034F || cp == 0x061C || cp == 0x1680 || cp == 0x180E ||
         (cp >= 0x2000 && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202F) ||
         (cp >= 0x205F && cp <= 0x206F) || cp == 0x3000 || cp == 0xFEFF ||
         (cp >= 0xFFF9 && cp <= 0xFFFB);
}

// glibc (>= 2.35) always has C.UTF-8; created once, then only read, which is thread-safe.
locale_t utf8_locale() {
  static const locale_t loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0));
  return loc;
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size())
    if (decode(text, i) < 0) return false;
  return true;
}

Utf8Check check_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const std::int32_t cp = decode(text, i);
    if (cp < 0) return Utf8Check::invalid;
    if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) return Utf8Check::control;
    if (cp >= 0xA0 && is_invisible(cp)) return Utf8Check::invisible;
  }
  return Utf8Check::ok;
}

void append_lower_ascii(std::string_view text, std::string& out) {
  for (char c : text) out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
}

void append_lower_utf8(std::string_view text, std::string& out) {
  const locale_t loc = utf8_locale();
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (static_cast<unsigned char>(c) < 0x80) {
      out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
      ++i;
      continue;
    }
    const std::int32_t cp = decode(text, i);
    if (cp < 0) return;  // excluded by REQUIRES
    const wint_t lower = loc ? towlower_l(static_cast<wint_t>(cp), loc) : static_cast<wint_t>(cp);
    encode(static_cast<std::uint32_t>(lower), out);
  }
}

bool is_ascii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

}  // namespace resolver
