// Domain names in canonical A-label form: validation and IDNA conversion (resolver/identifier.hpp,
// DESIGN.md §3). libidn2 is thread-safe and keeps no state between calls.
#include "resolver/domain_name.hpp"

#include <idn2.h>

#include <algorithm>

#include "resolver/identifier.hpp"
#include "resolver/utf8.hpp"

namespace resolver {
namespace {

// Reused per thread so the success path allocates nothing of its own.
thread_local std::string t_scratch;

bool is_ldh(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

// Runs `lowered` (NUL-terminated) through libidn2 and appends the A-label form.
const char* idna_into(const std::string& lowered, std::string& out) {
  char* converted = nullptr;
  const int rc =
      idn2_to_ascii_8z(lowered.c_str(), &converted, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
  if (rc != IDN2_OK) {
    idn2_free(converted);
    return "the domain is not a valid internationalised domain name";
  }
  out.append(converted);
  idn2_free(converted);
  return nullptr;
}

}  // namespace

const char* check_domain_name(std::string_view domain) {
  if (domain.empty()) return "the domain is empty";
  if (domain.size() > 253) return "the domain is longer than 253 bytes";
  bool dot = false;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = std::min(domain.find('.', start), domain.size());
    const std::string_view label = domain.substr(start, end - start);
    if (label.empty()) return "the domain has an empty label (two dots, or a dot at an end)";
    if (label.size() > 63) return "a domain label is longer than 63 bytes";
    bool all_digits = true;
    for (char c : label) {
      if (!is_ldh(c)) return "the domain may contain only letters, digits, hyphens and dots";
      all_digits = all_digits && c >= '0' && c <= '9';
    }
    if (label.front() == '-' || label.back() == '-') {
      return "a domain label may not start or end with a hyphen";
    }
    if (end == domain.size()) {
      if (!dot) return "the domain needs at least one dot, as in example.com";
      if (all_digits) return "the domain's top-level label may not be all digits";
      return nullptr;
    }
    dot = true;
    start = end + 1;
  }
}

const char* append_domain_name(std::string_view domain, std::string& out) {
  if (domain.empty()) return "the domain is empty";
  const std::size_t base = out.size();
  if (is_ascii(domain)) {
    append_lower_ascii(domain, out);
    const std::string_view lowered(out.data() + base, out.size() - base);
    // An A-label ("xn--") must decode to a valid U-label; libidn2 checks that.
    if (lowered.starts_with("xn--") || lowered.find(".xn--") != std::string_view::npos) {
      t_scratch.assign(lowered);
      out.resize(base);
      if (const char* error = idna_into(t_scratch, out)) return error;
    }
  } else {
    // Lower-case ASCII first; UTS #46 mapping lower-cases the rest.
    t_scratch.clear();
    append_lower_ascii(domain, t_scratch);
    if (const char* error = idna_into(t_scratch, out)) return error;
  }
  return check_domain_name(std::string_view(out.data() + base, out.size() - base));
}

bool is_domain_name(std::string_view domain) { return check_domain_name(domain) == nullptr; }

Result<std::string> canonical_domain_name(std::string_view domain) {
  // Generous for U-labels, which grow or shrink in A-label form; the A-label is checked below.
  if (domain.size() > 1024) {
    return Result<std::string>(Code::invalid_request, "the domain is longer than 253 bytes");
  }
  switch (check_utf8(domain)) {
    case Utf8Check::ok: break;
    case Utf8Check::invalid:
      return Result<std::string>(Code::invalid_request, "the domain is not valid UTF-8");
    case Utf8Check::control:
    case Utf8Check::invisible:
      return Result<std::string>(Code::invalid_request,
                                 "the domain contains a control, space or invisible character");
  }
  std::string out;
  if (const char* error = append_domain_name(domain, out)) {
    return Result<std::string>(Code::invalid_request, error);
  }
  return out;
}

}  // namespace resolver
