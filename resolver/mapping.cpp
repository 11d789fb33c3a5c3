// RFC 3339 timestamps for mappings (resolver/mapping.hpp; DESIGN.md §4.1, §6.2).
#include "resolver/mapping.hpp"

#include <cstdio>
#include <ctime>

namespace resolver {
namespace {

// Reads exactly `width` ASCII digits at `text[pos]`; -1 when they are not all digits.
int read_digits(const std::string& text, std::size_t pos, std::size_t width) {
  if (text.size() < pos + width) return -1;
  int value = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : kDays[month - 1];
}

}  // namespace

std::string format_rfc3339(UnixTime t) {
  const std::time_t seconds = static_cast<std::time_t>(t);
  std::tm tm{};
  if (gmtime_r(&seconds, &tm) == nullptr) return "1970-01-01T00:00:00Z";
  char buffer[64];  // room for any int fields, so snprintf never truncates
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buffer;
}

// RFC 3339 §5.6 date-time. "T"/"Z" may be lower-case (§5.6 NOTE); a leap second (:60) is
// accepted and counted as the next second, which is what timegm does; fractions are truncated.
std::optional<UnixTime> parse_rfc3339(const std::string& text) {
  const int year = read_digits(text, 0, 4);
  const int month = read_digits(text, 5, 2);
  const int day = read_digits(text, 8, 2);
  const int hour = read_digits(text, 11, 2);
  const int minute = read_digits(text, 14, 2);
  const int second = read_digits(text, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 ||
      minute > 59 || second < 0 || second > 60) {
    return std::nullopt;
  }
  if (text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't') || text[13] != ':' ||
      text[16] != ':' || day > days_in_month(year, month)) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    const std::size_t first = ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    if (pos == first) return std::nullopt;
  }
  if (pos >= text.size()) return std::nullopt;
  long offset = 0;
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    const int oh = read_digits(text, pos + 1, 2);
    const int om = read_digits(text, pos + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59 || text[pos + 3] != ':') return std::nullopt;
    offset = (text[pos] == '+' ? 1 : -1) * (oh * 3600L + om * 60L);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const UnixTime utc = static_cast<UnixTime>(timegm(&tm)) - offset;
  // An offset (or a leap second) can carry 0000-01-01 or 9999-12-31 out of the four-digit years
  // that format_rfc3339 writes; such a time would not read back from an export.
  constexpr UnixTime kFirst = -62'167'219'200;  // 0000-01-01T00:00:00Z
  constexpr UnixTime kLast = 253'402'300'799;   // 9999-12-31T23:59:59Z
  if (utc < kFirst || utc > kLast) return std::nullopt;
  return utc;
}

}  // namespace resolver
