// Status and Result<T>: how every expected failure travels through mimi-discovery as a value.
// Plain value types; safe to copy between threads.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace resolver {

// A closed set of failure codes. Each enumerator equals its wire string (DESIGN.md §4).
enum class Code {
  ok,
  invalid_identifier,  // an identifier did not parse or canonicalise (DESIGN §3)
  invalid_request,     // a request or record is malformed: bad JSON, wrong type, missing field
  unauthorized,        // no valid credentials where they are required
  forbidden,           // valid credentials without the needed role
  not_found,           // the named thing (route, peer, token, key) does not exist
  method_not_allowed,  // route exists, method does not
  payload_too_large,   // a body or batch over its configured bound
  rate_limited,        // the caller's token bucket is empty
  quota_exceeded,      // the caller's distinct-identifier budget is spent
  internal,            // a bug or an unexpected library failure; never the caller's fault
  unavailable,         // a dependency (the index file, a peer) cannot be reached right now
  already_exists,      // a create whose key is taken (peer domain, index already initialised)
  failed_precondition, // the state does not allow it yet (index not initialised, no signing key)
  key_changed,         // a private lookup names a key_id that is not served (DESIGN §12): refetch metadata
};

// The wire string of `code`, e.g. "invalid_identifier".
std::string_view code_name(Code code);

// A code plus one sentence a person can act on. Messages never hold SQL, secrets or raw identifiers.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return {}; }

  bool ok() const { return code_ == Code::ok; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Code code_ = Code::ok;
  std::string message_;
};

// A value or a non-ok Status, shaped like std::expected.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}                 // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {}          // NOLINT: REQUIRES: !status.ok()
  Result(Code code, std::string message) : v_(Status(code, std::move(message))) {}

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  // REQUIRES: ok()
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  // The failure; Status::Ok() when ok().
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace resolver
