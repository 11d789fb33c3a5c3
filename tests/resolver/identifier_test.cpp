// Tests for resolver/identifier.hpp: tables of good and bad identifiers (DESIGN.md §3).
#include "resolver/identifier.hpp"

#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

namespace resolver {
namespace {

struct Good {
  std::string input;
  std::string region;
  IdentifierType type;
  std::string canonical;
};

const std::vector<Good> kGood = {
    // Phones: international, tel: URIs with RFC 3966 visual separators, national with a region.
    {"tel:+14155552671", "", IdentifierType::phone, "tel:+14155552671"},
    {"tel:+1-415-555-2671", "", IdentifierType::phone, "tel:+14155552671"},
    {"TEL:+1.415.555.2671", "", IdentifierType::phone, "tel:+14155552671"},
    {"tel:+1(415)555-2671", "", IdentifierType::phone, "tel:+14155552671"},
    {"+1 (415) 555-2671", "", IdentifierType::phone, "tel:+14155552671"},
    {"+14155552671", "DE", IdentifierType::phone, "tel:+14155552671"},
    {"415 555 2671", "US", IdentifierType::phone, "tel:+14155552671"},
    {"(415) 555-2671", "us", IdentifierType::phone, "tel:+14155552671"},
    {"  +14155552671  ", "", IdentifierType::phone, "tel:+14155552671"},
    {"020 7946 0958", "GB", IdentifierType::phone, "tel:+442079460958"},
    {"+44 20 7946 0958", "", IdentifierType::phone, "tel:+442079460958"},
    {"030 123456", "DE", IdentifierType::phone, "tel:+4930123456"},
    {"0049 30 123456", "DE", IdentifierType::phone, "tel:+4930123456"},
    {"+49 30 123456", "", IdentifierType::phone, "tel:+4930123456"},
    {"06 12 34 56 78", "FR", IdentifierType::phone, "tel:+33612345678"},
    {"+33 6 12 34 56 78", "", IdentifierType::phone, "tel:+33612345678"},
    {"98765 43210", "IN", IdentifierType::phone, "tel:+919876543210"},
    {"+91 98765 43210", "", IdentifierType::phone, "tel:+919876543210"},
    {"090-1234-5678", "JP", IdentifierType::phone, "tel:+819012345678"},
    {"(11) 98765-4321", "BR", IdentifierType::phone, "tel:+5511987654321"},
    {"+55 11 98765-4321", "", IdentifierType::phone, "tel:+5511987654321"},
    {"044 668 18 00", "CH", IdentifierType::phone, "tel:+41446681800"},
    {"+41 44 668 18 00", "", IdentifierType::phone, "tel:+41446681800"},
    // Emails: mixed case, mailto:, IDN domains (A-label), UTF-8 local parts lower-cased.
    {"alice@example.com", "", IdentifierType::email, "mailto:alice@example.com"},
    {"Alice@Example.COM", "", IdentifierType::email, "mailto:alice@example.com"},
    {"mailto:Alice@Example.COM", "", IdentifierType::email, "mailto:alice@example.com"},
    {"MAILTO:bob@example.org", "US", IdentifierType::email, "mailto:bob@example.org"},
    {"first.last+tag@sub.example.co.uk", "", IdentifierType::email,
     "mailto:first.last+tag@sub.example.co.uk"},
    {"o'brien_x-y@example.com", "", IdentifierType::email, "mailto:o'brien_x-y@example.com"},
    {"1alice@example.com", "", IdentifierType::email, "mailto:1alice@example.com"},
    {"+alice@example.com", "", IdentifierType::email, "mailto:+alice@example.com"},
    {"Jörg@Bücher.Example", "", IdentifierType::email, "mailto:jörg@xn--bcher-kva.example"},
    {"JÖRG@BÜCHER.example", "", IdentifierType::email, "mailto:jörg@xn--bcher-kva.example"},
    {"jörg@xn--bcher-kva.example", "", IdentifierType::email, "mailto:jörg@xn--bcher-kva.example"},
    {"user@例え.jp", "", IdentifierType::email, "mailto:user@xn--r8jz45g.jp"},
    // Handles, both forms.
    {"acct:alice@chat.example", "", IdentifierType::handle, "acct:alice@chat.example"},
    {"ACCT:Alice@Chat.Example", "", IdentifierType::handle, "acct:alice@chat.example"},
    {"@alice@chat.example", "", IdentifierType::handle, "acct:alice@chat.example"},
    {"@Alice.B_c-d~e+f@Chat.Example", "", IdentifierType::handle,
     "acct:alice.b_c-d~e+f@chat.example"},
    {"@bob@bücher.example", "", IdentifierType::handle, "acct:bob@xn--bcher-kva.example"},
};

struct Bad {
  std::string input;
  std::string region;
  std::string message;  // exact sentence
};

const std::string k321(321, 'a');
const std::string kLong = std::string(300, 'a') + "@example.com";  // 312 bytes, local part > 64

const std::vector<Bad> kBad = {
    {"", "", "the identifier is empty"},
    {"   ", "", "the identifier is empty"},
    {k321, "", "the identifier is longer than 320 bytes"},
    {kLong, "", "the part of an email address before the @ is longer than 64 bytes"},
    {std::string("alice\0@example.com", 18), "", "the identifier contains a control character"},
    {"alice\t@example.com", "", "the identifier contains a control character"},
    {"alice\x7f@example.com", "", "the identifier contains a control character"},
    {"\xc2\x85"
     "alice@example.com",
     "", "the identifier contains a control character"},
    {"al\xc3"
     "ice@example.com",
     "", "the identifier is not valid UTF-8"},
    {"\xff@example.com", "", "the identifier is not valid UTF-8"},
    {"\xc0\xaf@example.com", "", "the identifier is not valid UTF-8"},
    {"\xed\xa0\x80@example.com", "", "the identifier is not valid UTF-8"},
    {"ali\xe2\x80\x8b"
     "ce@example.com",
     "", "the identifier contains an invisible or non-ASCII space character"},
    {"sip:alice@example.com", "",
     "the identifier scheme is not supported (use tel:, mailto: or acct:)"},
    {"alice", "", "the identifier is not a phone number, email address or handle"},
    // Phones.
    {"12", "US", "the phone number is not valid for region US"},
    {"+12", "", "the phone number is too short to be a number"},
    {"030 123456", "US", "the phone number is not valid for region US"},
    {"4155552671", "", kNeedsRegion},
    {"4155552671", "ZZ", "the region is not a known ISO 3166 alpha-2 code"},
    {"4155552671", "USA", "the region is not a known ISO 3166 alpha-2 code"},
    {"+14155552671", "Z1", "the region is not a known ISO 3166 alpha-2 code"},
    {"+999 123 456", "", "the phone number has an unknown country calling code"},
    {"+1 415 555 2671 999", "", "the phone number is not valid for its country calling code"},
    {"+1 415 555 2671 x45", "", "phone number extensions are not supported"},
    {"+1 415 555 2671 ext. 45", "", "phone number extensions are not supported"},
    {"tel:+1-415-555-2671;ext=45", "", "phone number extensions are not supported"},
    {"tel:+1-415-555-2671#45", "", "phone number extensions are not supported"},
    {"tel:+1-415-555-2671;isub=5", "",
     "tel: URI parameters such as phone-context are not supported"},
    {"tel:415-555-2671", "US", "a tel: URI must hold an international number starting with +"},
    {"tel:", "", "the phone number has no digits"},
    {"+", "", "the phone number has no digits"},
    {"+1-800-FLOWERS", "",
     "a phone number may contain only digits, a leading +, spaces and - . ( )"},
    {"+1 415 +555 2671", "",
     "a phone number may contain only digits, a leading +, spaces and - . ( )"},
    {"+1 415 555 2671 9876 5432 1098 7654", "", "the phone number is too long"},
    // Emails.
    {"mailto:", "", "an email address needs an @ and a domain"},
    {"a@b@example.com", "", "an email address must contain exactly one @"},
    {"@example.com", "", "a handle needs the form user@provider.example"},
    {"mailto:@example.com", "", "the email address has nothing before the @"},
    {".alice@example.com", "",
     "the part of an email address before the @ may not start or end with a dot"},
    {"alice.@example.com", "",
     "the part of an email address before the @ may not start or end with a dot"},
    {"al..ice@example.com", "", "an email address may not contain two dots in a row"},
    {"al ice@example.com", "", "an email address may not contain spaces"},
    {"\"al ice\"@example.com", "", "quoted email addresses are not supported"},
    {"al(ice)@example.com", "",
     "the part of an email address before the @ contains a character that is not allowed"},
    {"mailto:alice%40x@example.com", "",
     "mailto: URIs with headers or percent-encoding are not supported"},
    // Found by fuzz_identifier: their canonical forms (mailto:a%b@...) did not parse again.
    {"a%b@example.com", "", "an email address may not contain % or ? before the @"},
    {"alice?@example.com", "", "an email address may not contain % or ? before the @"},
    {"alice@", "", "the domain is empty"},
    {"alice@localhost", "", "the domain needs at least one dot, as in example.com"},
    {"alice@example..com", "", "the domain has an empty label (two dots, or a dot at an end)"},
    {"alice@example.com.", "", "the domain has an empty label (two dots, or a dot at an end)"},
    {"alice@-example.com", "", "a domain label may not start or end with a hyphen"},
    {"alice@ex_ample.com", "", "the domain may contain only letters, digits, hyphens and dots"},
    {"alice@exa mple.com", "", "the domain may contain only letters, digits, hyphens and dots"},
    {"alice@[192.0.2.1]", "", "the domain may contain only letters, digits, hyphens and dots"},
    {"alice@192.0.2.1", "", "the domain's top-level label may not be all digits"},
    {"alice@" + std::string(64, 'a') + ".com", "", "a domain label is longer than 63 bytes"},
    {"a@" + std::string(60, 'a') + "." + std::string(60, 'b') + "." + std::string(60, 'c') + "." +
         std::string(60, 'd') + "." + std::string(10, 'e') + ".com",
     "", "the domain is longer than 253 bytes"},
    {"alice@xn--zz.example", "", "the domain is not a valid internationalised domain name"},
    {"alice@bü-.example", "", "the domain is not a valid internationalised domain name"},
    // Handles.
    {"@alice", "", "a handle needs the form user@provider.example"},
    {"acct:", "", "a handle needs the form user@provider.example"},
    {"acct:@chat.example", "", "the handle has no user part before the @"},
    {"acct:@alice@chat.example", "", "a handle must contain exactly one @ after its user part"},
    {"@al/ice@chat.example", "",
     "a handle's user part may contain only letters, digits and . _ ~ + -"},
    {"@jörg@chat.example", "",
     "a handle's user part may contain only letters, digits and . _ ~ + -"},
    {"@alice@chat", "", "the domain needs at least one dot, as in example.com"},
};

TEST_CASE("parse_identifier accepts and canonicalises the good table") {
  for (const Good& c : kGood) {
    CAPTURE(c.input);
    CAPTURE(c.region);
    const Result<Identifier> id = parse_identifier(c.input, c.region);
    REQUIRE_MESSAGE(id.ok(), id.status().message());
    CHECK(id->type == c.type);
    CHECK(id->canonical == c.canonical);
    // Canonical forms are fixed points.
    const Result<Identifier> again = parse_identifier(id->canonical, c.region);
    REQUIRE(again.ok());
    CHECK(again->canonical == c.canonical);
  }
}

TEST_CASE("parse_identifier rejects the bad table with invalid_identifier and a clear sentence") {
  for (const Bad& c : kBad) {
    CAPTURE(c.input);
    CAPTURE(c.region);
    const Result<Identifier> id = parse_identifier(c.input, c.region);
    REQUIRE_FALSE(id.ok());
    CHECK(id.status().code() == Code::invalid_identifier);
    CHECK(id.status().message() == c.message);
    // Identifiers are personal data: the sentence never repeats the input (DESIGN §8).
    if (c.input.size() >= 4) CHECK(id.status().message().find(c.input) == std::string::npos);
  }
}

TEST_CASE("error sentences never echo the identifier or its parts") {
  const char* inputs[] = {"secretname@nowhere", "@secretname", "+1 415 555 2671 x45",
                          "secretname@ex_ample.com", "acct:secretname@chat"};
  for (const char* input : inputs) {
    const Result<Identifier> id = parse_identifier(input);
    REQUIRE_FALSE(id.ok());
    CHECK(id.status().message().find("secretname") == std::string::npos);
    CHECK(id.status().message().find("415") == std::string::npos);
  }
}

// The longest domain name: 253 bytes.
std::string longest_domain() {
  return std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') + "." +
         std::string(57, 'd') + ".com";
}

TEST_CASE("320 bytes is the limit, inclusive, counted before spaces are trimmed") {
  const std::string domain = longest_domain();
  REQUIRE(domain.size() == 253);
  const std::string email = std::string(64, 'e') + "@" + domain;
  const Result<Identifier> id = parse_identifier(" " + email + " ");
  REQUIRE_MESSAGE(id.ok(), id.status().message());
  CHECK(id->canonical == "mailto:" + email);
  const Result<Identifier> too_long = parse_identifier("  " + email + " ");
  CHECK(too_long.status().code() == Code::invalid_identifier);
  CHECK(too_long.status().message() == "the identifier is longer than 320 bytes");
}

// Found by fuzz_identifier (fuzz/corpus/fuzz_identifier/regression_*): a canonical form over 320
// bytes with its scheme ("mailto:" and a 318-byte address, or an IDN domain that grew into its
// A-label), or whose local part lower-casing had lengthened past 64 bytes, did not parse again.
TEST_CASE("the canonical forms of the longest identifiers parse again") {
  const std::string email = std::string(64, 'E') + "@" + longest_domain();
  for (const std::string& input : {email, "@" + std::string(64, 'u') + "@" + longest_domain(),
                                   " mailto:" + email + " ", "tel:+1 415 555 2671" + std::string(305, ' ')}) {
    CAPTURE(input);
    const Result<Identifier> id = parse_identifier(input);
    REQUIRE_MESSAGE(id.ok(), id.status().message());
    const Result<Identifier> again = parse_identifier(id->canonical);
    REQUIRE_MESSAGE(again.ok(), again.status().message());
    CHECK(again->canonical == id->canonical);
  }
  // The scheme is not counted; everything else is.
  CHECK(parse_identifier("  mailto:" + email + " ").status().message() == "the identifier is longer than 320 bytes");
  CHECK(parse_identifier("tel:+1 415 555 2671" + std::string(306, ' ')).status().message() ==
        "the identifier is longer than 320 bytes");
  // U+023A (2 bytes) lower-cases to U+2C65 (3 bytes): 32 of them are 64 bytes, then 96.
  std::string grows;
  for (int i = 0; i < 32; ++i) grows += "\u023a";
  CHECK(parse_identifier(grows + "@example.com").status().message() ==
        "the part of an email address before the @ is longer than 64 bytes");
}

TEST_CASE("type_name, is_known_region, is_domain_name, canonical_domain_name") {
  CHECK(type_name(IdentifierType::phone) == "phone");
  CHECK(type_name(IdentifierType::email) == "email");
  CHECK(type_name(IdentifierType::handle) == "handle");
  CHECK(is_known_region(""));
  CHECK(is_known_region("US"));
  CHECK(is_known_region("de"));
  CHECK_FALSE(is_known_region("ZZ"));
  CHECK_FALSE(is_known_region("001"));
  CHECK_FALSE(is_known_region("U"));
  CHECK(is_domain_name("chat.example"));
  CHECK(is_domain_name("xn--bcher-kva.example"));
  CHECK_FALSE(is_domain_name("Chat.Example"));
  CHECK_FALSE(is_domain_name("localhost"));
  CHECK_FALSE(is_domain_name("bücher.example"));
  CHECK_FALSE(is_domain_name(""));
  const Result<std::string> domain = canonical_domain_name("Bücher.Example");
  REQUIRE(domain.ok());
  CHECK(*domain == "xn--bcher-kva.example");
  CHECK(canonical_domain_name("exa mple.com").status().code() == Code::invalid_request);
}

TEST_CASE("parse_identifier is safe to call from several threads") {
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &failures] {
      for (int i = 0; i < 500; ++i) {
        for (const Good& c : kGood) {
          const Result<Identifier> id = parse_identifier(c.input, c.region);
          if (!id.ok() || id->canonical != c.canonical) ++failures[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int f : failures) CHECK(f == 0);
}

}  // namespace
}  // namespace resolver
