// The rules for the request fields that several routes share (a JSON body, its field names, the
// region, the provider, the federation privilege), so that one bad value is the same error on
// every route. Free functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "discovery/config.hpp"
#include "discovery/http.hpp"
#include "resolver/status.hpp"
#include "resolver/role.hpp"

namespace discovery {

// "a", "a and b", "a, b and c": the names a message offers instead of an unknown one.
std::string name_list(const std::vector<std::string_view>& names);

// The request body as a JSON object; invalid_request when it is not valid JSON or not an object.
resolver::Result<nlohmann::json> parse_body(const Request& request);

// invalid_request naming the first field of `body` that is not in `allowed`, and the allowed ones.
resolver::Status check_fields(const nlohmann::json& body, const std::vector<std::string_view>& allowed);

// A region as sent (query or body), upper-cased: "" for none, or an ISO 3166 alpha-2 code that
// libphonenumber knows. invalid_request otherwise.
resolver::Result<std::string> read_region(std::string_view region);
// body["region"]: absent or null is "", a string is read_region; invalid_request otherwise.
resolver::Result<std::string> body_region(const nlohmann::json& body);

// A provider domain in canonical form (lower-case A-label); invalid_request when not a domain.
resolver::Result<std::string> read_provider(std::string_view provider);
// body["provider"]: absent or null is nullopt, a string is read_provider; invalid_request otherwise.
resolver::Result<std::optional<std::string>> body_provider(const nlohmann::json& body);

// Federation is a privilege (DESIGN.md §5): whether a caller of `role` that asked for it
// (`asked`) gets a federated answer.
bool may_federate(bool asked, resolver::Role role, const FederationConfig& config);

}  // namespace discovery
