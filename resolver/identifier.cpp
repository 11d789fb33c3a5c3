// Parsing and canonical forms of phone numbers, email addresses and handles (DESIGN.md §3).
// Called once per record by bulk imports, so the success path allocates only the result: scratch
// buffers are thread_local and libphonenumber's singleton is used without a lock of our own.
#include "resolver/identifier.hpp"

#include <phonenumbers/phonenumberutil.h>

#include <bitset>
#include <set>

#include "resolver/domain_name.hpp"
#include "resolver/utf8.hpp"

namespace resolver {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

Result<Identifier> reject(const char* sentence) {
  return Result<Identifier>(Code::invalid_identifier, sentence);
}

char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Regions libphonenumber has metadata for, as a 26x26 bitset of two-letter codes; built once.
const std::bitset<26 * 26>& known_regions() {
  static const std::bitset<26 * 26> regions = [] {
    std::set<std::string> codes;
    PhoneNumberUtil::GetInstance()->GetSupportedRegions(&codes);
    std::bitset<26 * 26> bits;
    for (const std::string& code : codes) {
      if (code.size() == 2 && code[0] >= 'A' && code[0] <= 'Z' && code[1] >= 'A' &&
          code[1] <= 'Z') {
        bits.set((code[0] - 'A') * 26 + (code[1] - 'A'));
      }
    }
    return bits;
  }();
  return regions;
}

// Upper-cases a known region into `out` (two letters); false when unknown.
bool normalise_region(std::string_view region, std::string& out) {
  if (region.size() != 2 || !is_alpha(region[0]) || !is_alpha(region[1])) return false;
  const char a = upper(region[0]);
  const char b = upper(region[1]);
  if (!known_regions().test((a - 'A') * 26 + (b - 'A'))) return false;
  out.assign({a, b});
  return true;
}

bool starts_with_nocase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (upper(text[i]) != upper(prefix[i])) return false;
  }
  return true;
}

// `body` is the number without "tel:"; `tel` says whether it came as a tel: URI (RFC 3966).
Result<Identifier> parse_phone(std::string_view body, bool tel, std::string_view region) {
  thread_local std::string digits;  // "+" and digits only: what libphonenumber parses fastest
  thread_local std::string region_code;
  thread_local std::string e164;
  thread_local PhoneNumber number;
  digits.clear();
  region_code.clear();
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (is_digit(c)) {
      digits.push_back(c);
    } else if (c == '+' && i == 0) {
      digits.push_back(c);
    } else if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')') {
      continue;
    } else if (c == 'x' || c == 'X' || c == '#' || starts_with_nocase(body.substr(i), "ext") ||
               starts_with_nocase(body.substr(i), ";ext=")) {
      return reject("phone number extensions are not supported");
    } else if (c == ';' && tel) {
      return reject("tel: URI parameters such as phone-context are not supported");
    } else {
      return reject("a phone number may contain only digits, a leading +, spaces and - . ( )");
    }
  }
  const bool global = !digits.empty() && digits[0] == '+';
  if (digits.size() == (global ? 1u : 0u)) return reject("the phone number has no digits");
  if (tel && !global) return reject("a tel: URI must hold an international number starting with +");
  if (!region.empty() && !normalise_region(region, region_code)) {
    return reject("the region is not a known ISO 3166 alpha-2 code");
  }
  if (!global && region_code.empty()) {
    return reject(kNeedsRegion);
  }
  const PhoneNumberUtil* util = PhoneNumberUtil::GetInstance();
  number.Clear();
  switch (util->Parse(digits, global ? std::string() : region_code, &number)) {
    case PhoneNumberUtil::NO_PARSING_ERROR: break;
    case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
      return reject("the phone number has an unknown country calling code");
    case PhoneNumberUtil::NOT_A_NUMBER:
      return reject("the phone number is too short to be a number");
    case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
    case PhoneNumberUtil::TOO_SHORT_NSN: return reject("the phone number is too short");
    case PhoneNumberUtil::TOO_LONG_NSN: return reject("the phone number is too long");
  }
  if (number.has_extension()) return reject("phone number extensions are not supported");
  if (!util->IsValidNumber(number)) {
    if (global) return reject("the phone number is not valid for its country calling code");
    // Built by hand so the sentence can name the region without a format call.
    thread_local std::string sentence;
    sentence.assign("the phone number is not valid for region ");
    sentence.append(region_code);
    return Result<Identifier>(Code::invalid_identifier, sentence);
  }
  e164.clear();
  util->Format(number, PhoneNumberUtil::E164, &e164);
  Identifier id{IdentifierType::phone, {}};
  id.canonical.reserve(4 + e164.size());
  id.canonical.append("tel:").append(e164);
  return id;
}

bool is_atext(char c) {  // RFC 5322 §3.2.3
  constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~";
  return is_alpha(c) || is_digit(c) || (c != 0 && kSpecials.find(c) != std::string_view::npos);
}

constexpr std::size_t kMaxLocalBytes = 64;
constexpr const char* kLocalTooLong = "the part of an email address before the @ is longer than 64 bytes";

// nullptr when `local` is a dot-atom (RFC 5321 §4.1.2, UTF-8 allowed per RFC 6531 §3.3).
const char* check_local_part(std::string_view local) {
  if (local.empty()) return "the email address has nothing before the @";
  if (local.size() > kMaxLocalBytes) return kLocalTooLong;
  if (local.front() == '.' || local.back() == '.') {
    return "the part of an email address before the @ may not start or end with a dot";
  }
  char previous = 0;
  for (char c : local) {
    if (c == '.' && previous == '.') return "an email address may not contain two dots in a row";
    previous = c;
    // Atext, but a mailto: URI reads them as percent-encoding or headers: a canonical form holding
    // one would not parse again (canonical forms are fixed points, sent back by exports and peers).
    if (c == '%' || c == '?') return "an email address may not contain % or ? before the @";
    if (c == '.' || is_atext(c) || static_cast<unsigned char>(c) >= 0x80) continue;
    if (c == ' ') return "an email address may not contain spaces";
    if (c == '"') return "quoted email addresses are not supported";
    return "the part of an email address before the @ contains a character that is not allowed";
  }
  return nullptr;
}

Result<Identifier> parse_email(std::string_view body, bool mailto) {
  const std::size_t at = body.find('@');
  if (at == std::string_view::npos) return reject("an email address needs an @ and a domain");
  if (body.find('@', at + 1) != std::string_view::npos) {
    return reject("an email address must contain exactly one @");
  }
  const std::string_view local = body.substr(0, at);
  if (mailto && local.find_first_of("?%") != std::string_view::npos) {
    return reject("mailto: URIs with headers or percent-encoding are not supported");
  }
  if (const char* error = check_local_part(local)) return reject(error);
  Identifier id{IdentifierType::email, {}};
  id.canonical.reserve(7 + body.size() + 8);
  id.canonical.append("mailto:");
  append_lower_utf8(local, id.canonical);
  // Lower-casing may lengthen a character (U+023A has 2 bytes, its lower case U+2C65 has 3): the
  // canonical local part keeps the bound too, or the canonical form would not parse again.
  if (id.canonical.size() - 7 > kMaxLocalBytes) return reject(kLocalTooLong);
  id.canonical.push_back('@');
  if (const char* error = append_domain_name(body.substr(at + 1), id.canonical))
    return reject(error);
  return id;
}

bool is_handle_char(char c) {  // RFC 3986 unreserved, plus "+"
  return is_alpha(c) || is_digit(c) || c == '.' || c == '_' || c == '~' || c == '-' || c == '+';
}

Result<Identifier> parse_handle(std::string_view body) {
  const std::size_t at = body.find('@');
  if (at == std::string_view::npos) return reject("a handle needs the form user@provider.example");
  if (body.find('@', at + 1) != std::string_view::npos) {
    return reject("a handle must contain exactly one @ after its user part");
  }
  const std::string_view user = body.substr(0, at);
  if (user.empty()) return reject("the handle has no user part before the @");
  if (user.size() > 64) return reject("the user part of the handle is longer than 64 bytes");
  for (char c : user) {
    if (!is_handle_char(c))
      return reject("a handle's user part may contain only letters, digits and . _ ~ + -");
  }
  Identifier id{IdentifierType::handle, {}};
  id.canonical.reserve(5 + body.size() + 8);
  id.canonical.append("acct:");
  append_lower_ascii(user, id.canonical);
  id.canonical.push_back('@');
  if (const char* error = append_domain_name(body.substr(at + 1), id.canonical))
    return reject(error);
  return id;
}

// True when `text` opens with an RFC 3986 scheme and ':' before any '@'.
bool has_scheme(std::string_view text) {
  if (text.empty() || !is_alpha(text[0])) return false;
  for (char c : text) {
    if (c == ':') return true;
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '.' && c != '-') return false;
  }
  return false;
}

// The bytes of the tel:, mailto: or acct: scheme that opens `input` after its leading spaces; 0
// when none does.
std::size_t scheme_bytes(std::string_view input) {
  while (!input.empty() && input.front() == ' ') input.remove_prefix(1);
  for (std::string_view scheme : {"tel:", "mailto:", "acct:"}) {
    if (starts_with_nocase(input, scheme)) return scheme.size();
  }
  return 0;
}

}  // namespace

std::string_view type_name(IdentifierType type) {
  switch (type) {
    case IdentifierType::phone: return "phone";
    case IdentifierType::email: return "email";
    case IdentifierType::handle: return "handle";
  }
  return "phone";
}

std::vector<Result<Identifier>> parse_identifiers(std::span<const std::string> inputs,
                                                  std::string_view region) {
  std::vector<Result<Identifier>> out;
  out.reserve(inputs.size());
  for (const auto& in : inputs) out.push_back(parse_identifier(in, region));
  return out;
}

bool is_known_region(std::string_view region) {
  std::string ignored;
  return region.empty() || normalise_region(region, ignored);
}

Result<Identifier> parse_identifier(std::string_view input, std::string_view region) {
  // The scheme is not counted, so that every canonical form parses again: "mailto:" and the
  // longest address (64 + 1 + 253 bytes) is 325 bytes.
  if (input.size() > kMaxIdentifierBytes && input.size() - scheme_bytes(input) > kMaxIdentifierBytes) {
    return reject("the identifier is longer than 320 bytes");
  }
  while (!input.empty() && input.front() == ' ') input.remove_prefix(1);
  while (!input.empty() && input.back() == ' ') input.remove_suffix(1);
  if (input.empty()) return reject("the identifier is empty");
  switch (check_utf8(input)) {
    case Utf8Check::ok: break;
    case Utf8Check::invalid: return reject("the identifier is not valid UTF-8");
    case Utf8Check::control: return reject("the identifier contains a control character");
    case Utf8Check::invisible:
      return reject("the identifier contains an invisible or non-ASCII space character");
  }
  if (starts_with_nocase(input, "tel:")) return parse_phone(input.substr(4), true, region);
  if (starts_with_nocase(input, "mailto:")) return parse_email(input.substr(7), true);
  if (starts_with_nocase(input, "acct:")) return parse_handle(input.substr(5));
  if (has_scheme(input))
    return reject("the identifier scheme is not supported (use tel:, mailto: or acct:)");
  const char first = input.front();
  if (first == '@') return parse_handle(input.substr(1));
  const bool has_at = input.find('@') != std::string_view::npos;
  if ((first == '+' || first == '(' || is_digit(first)) && !has_at) {
    return parse_phone(input, false, region);
  }
  if (has_at) return parse_email(input, false);
  return reject("the identifier is not a phone number, email address or handle");
}

}  // namespace resolver
