// Args: the options and positional arguments of one discoveryctl command, checked against the
// options the command accepts. Plain value type.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "resolver/status.hpp"

namespace cli {

struct Args {
  std::map<std::string, std::string> values;  // "--region" -> "US"
  std::set<std::string> flags;                // "--skip-invalid"
  std::vector<std::string> positional;
  bool help = false;

  std::optional<std::string> value(const std::string& name) const;
  bool flag(const std::string& name) const { return flags.count(name) > 0; }
};

// Parses `args` (from `first` on). `with_value` are options that take a value ("--region"),
// `boolean` ones that do not. Accepts "--opt value" and "--opt=value". invalid_request naming the
// problem for an unknown option, a missing value or a repeated option.
resolver::Result<Args> parse_args(const std::vector<std::string>& args, std::size_t first,
                                  const std::set<std::string>& with_value,
                                  const std::set<std::string>& boolean);

}  // namespace cli
