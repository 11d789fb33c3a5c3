// Option parsing for discoveryctl commands.
#include "cli/args.hpp"

namespace cli {

std::optional<std::string> Args::value(const std::string& name) const {
  auto it = values.find(name);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

resolver::Result<Args> parse_args(const std::vector<std::string>& args, std::size_t first,
                                  const std::set<std::string>& with_value,
                                  const std::set<std::string>& boolean) {
  using resolver::Code;
  using resolver::Status;
  Args out;
  bool only_positional = false;
  for (std::size_t i = first; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (only_positional || a == "-" || a.size() < 2 || a[0] != '-') {
      out.positional.push_back(a);
      continue;
    }
    if (a == "--") {
      only_positional = true;
      continue;
    }
    if (a == "--help" || a == "-h") {
      out.help = true;
      continue;
    }
    std::string name = a, value;
    bool inline_value = false;
    if (auto eq = a.find('='); eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
      inline_value = true;
    }
    if (boolean.count(name)) {
      if (inline_value) return Status(Code::invalid_request, "option " + name + " takes no value");
      out.flags.insert(name);
      continue;
    }
    if (!with_value.count(name)) return Status(Code::invalid_request, "unknown option " + name);
    if (!inline_value) {
      if (i + 1 >= args.size()) return Status(Code::invalid_request, "option " + name + " needs a value");
      value = args[++i];
    }
    if (out.values.count(name)) return Status(Code::invalid_request, "option " + name + " is given twice");
    out.values[name] = value;
  }
  return out;
}

}  // namespace cli
