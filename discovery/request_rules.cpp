// The shared request field rules; their sentences are the API's (docs/API.md).
#include "discovery/request_rules.hpp"

#include <cctype>

#include "resolver/identifier.hpp"
#include "resolver/import_record.hpp"

namespace discovery {

using json = nlohmann::json;
using resolver::Code;
using resolver::Status;

std::string name_list(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " and " : ", ";
    out += names[i];
  }
  return out;
}

resolver::Result<json> parse_body(const Request& request) {
  auto j = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return Status(Code::invalid_request, "The request body is not valid JSON (UTF-8).");
  }
  if (!j.is_object()) return Status(Code::invalid_request, "The request body must be a JSON object.");
  return j;
}

Status check_fields(const json& body, const std::vector<std::string_view>& allowed) {
  for (const auto& [key, value] : body.items()) {
    bool known = false;
    for (auto a : allowed) known = known || key == a;
    if (!known) {
      // The name is cut: it is the caller's text and goes back into the message.
      return Status(Code::invalid_request,
                    "Unknown field \"" + key.substr(0, 64) + "\"; use " + name_list(allowed) + ".");
    }
  }
  return Status::Ok();
}

resolver::Result<std::string> read_region(std::string_view region) {
  std::string out(region);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!out.empty() && (out.size() != 2 || !resolver::is_known_region(out))) {
    return Status(Code::invalid_request, "region must be an ISO 3166 alpha-2 country code such as US.");
  }
  return out;
}

resolver::Result<std::string> body_region(const json& body) {
  auto it = body.find("region");
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string()) return Status(Code::invalid_request, "region must be a string or null.");
  return read_region(it->get<std::string>());
}

resolver::Result<std::string> read_provider(std::string_view provider) {
  auto canonical = resolver::canonical_provider(std::string(provider));
  if (!canonical) {
    return Status(Code::invalid_request, "provider must be a domain name such as chat.example.");
  }
  return *canonical;
}

resolver::Result<std::optional<std::string>> body_provider(const json& body) {
  auto it = body.find("provider");
  if (it == body.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return Status(Code::invalid_request, "provider must be a string or null.");
  auto p = read_provider(it->get<std::string>());
  if (!p) return p.status();
  return std::optional<std::string>(std::move(*p));
}

bool may_federate(bool asked, resolver::Role role, const FederationConfig& config) {
  return asked && (role != resolver::Role::anonymous || config.anonymous);
}

}  // namespace discovery
