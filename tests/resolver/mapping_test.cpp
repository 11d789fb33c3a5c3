// Tests for resolver/mapping.hpp: RFC 3339 timestamps.
#include "resolver/mapping.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace resolver {
namespace {

TEST_CASE("format_rfc3339") {
  CHECK(format_rfc3339(0) == "1970-01-01T00:00:00Z");
  CHECK(format_rfc3339(1'795'842'000) == "2026-11-28T05:00:00Z");
  CHECK(format_rfc3339(951'782'400) == "2000-02-29T00:00:00Z");
  CHECK(format_rfc3339(-1) == "1969-12-31T23:59:59Z");
}

TEST_CASE("parse_rfc3339 accepts the good table") {
  struct Good {
    std::string text;
    UnixTime want;
  };
  const std::vector<Good> good = {
      {"2026-11-28T05:00:00Z", 1'795'842'000},
      {"2026-11-28t05:00:00z", 1'795'842'000},
      {"2026-11-28T05:00:00.123456Z", 1'795'842'000},
      {"2026-11-28T06:30:00+01:30", 1'795'842'000},
      {"2026-11-28T00:00:00-05:00", 1'795'842'000},
      {"2026-11-28T05:00:00.9-00:00", 1'795'842'000},
      {"1970-01-01T00:00:00Z", 0},
      {"2000-02-29T00:00:00Z", 951'782'400},
      {"2016-12-31T23:59:60Z", 1'483'228'800},  // leap second counts as the next second
      {"0000-01-01T00:00:00Z", -62'167'219'200},
      {"9999-12-31T23:59:59Z", 253'402'300'799},
      {"9999-12-31T23:59:59.999+00:00", 253'402'300'799},
  };
  for (const Good& c : good) {
    CAPTURE(c.text);
    const std::optional<UnixTime> t = parse_rfc3339(c.text);
    REQUIRE(t.has_value());
    CHECK(*t == c.want);
  }
  for (UnixTime t : {UnixTime{0}, UnixTime{1'795'842'000}, UnixTime{4'102'444'799}, UnixTime{-62'167'219'200},
                     UnixTime{253'402'300'799}}) {
    CHECK(parse_rfc3339(format_rfc3339(t)) == t);
  }
}

// Found by fuzz_import_line: an offset or a leap second carried these out of the years
// format_rfc3339 writes ("10000-01-01T00:59:59Z", "-001-12-31T23:59:00Z"), so an exported record
// did not import again.
TEST_CASE("parse_rfc3339 rejects times whose UTC form has no four-digit year") {
  for (const char* text : {"9999-12-31T23:59:59-01:00", "9999-12-31T23:59:60Z", "0000-01-01T00:00:00+00:01",
                           "0000-01-01T00:00:00.5+23:59"}) {
    CAPTURE(text);
    CHECK_FALSE(parse_rfc3339(text).has_value());
  }
}

TEST_CASE("parse_rfc3339 rejects the bad table") {
  const std::vector<std::string> bad = {
      "",
      "garbage",
      "2026-11-28",
      "2026-11-28T05:00:00",   // no offset
      "2026-11-28 05:00:00Z",  // space instead of T
      "2026-11-28T05:00Z",     // no seconds
      "2026-13-01T00:00:00Z",  // month
      "2026-00-01T00:00:00Z",
      "2026-02-29T00:00:00Z",  // not a leap year
      "2026-04-31T00:00:00Z",
      "2026-11-28T24:00:00Z",
      "2026-11-28T05:60:00Z",
      "2026-11-28T05:00:61Z",
      "2026-11-28T05:00:00.Z",     // empty fraction
      "2026-11-28T05:00:00+0100",  // offset without colon
      "2026-11-28T05:00:00+24:00",
      "2026-11-28T05:00:00+01:60",
      "2026-11-28T05:00:00Zjunk",
      "2026-11-28T05:00:00+01:00 ",
      "+2026-11-28T05:00:00Z",
      "2026/11/28T05:00:00Z",
      "２026-11-28T05:00:00Z",
  };
  for (const std::string& text : bad) {
    CAPTURE(text);
    CHECK_FALSE(parse_rfc3339(text).has_value());
  }
}

}  // namespace
}  // namespace resolver
