// discoveryctl dispatch: global options, help, the command table, and the one mapping from a
// Status to an exit code.
#include "cli/cli.hpp"

#include <iostream>

#include "cli/command.hpp"

namespace cli {
namespace {

constexpr const char* kUsage =
    "usage: discoveryctl [--db PATH] <command> [options]\n"
    "\n"
    "Manages the index of a mimi-discovery discovery provider. The index path comes from --db,\n"
    "or else from the DISCOVERY_DB environment variable.\n"
    "\n"
    "commands:\n";

const std::vector<Command>& commands() {
  static const std::vector<Command> all = [] {
    auto a = index_commands();
    auto b = admin_commands();
    a.insert(a.end(), b.begin(), b.end());
    auto c = private_commands();
    a.insert(a.end(), c.begin(), c.end());
    return a;
  }();
  return all;
}

void print_usage(std::ostream& out) {
  out << kUsage;
  for (const auto& c : commands()) {
    std::string syn = c.synopsis;
    out << "  " << syn << "\n      " << c.summary << "\n";
  }
  out << "\nRun 'discoveryctl <command> --help' for one command. Exit codes: 0 success, 1 failure,\n"
         "2 usage error.\n";
}

// Exit code of a finished command (DESIGN §9): usage errors 2, every other failure 1.
int exit_code(const resolver::Status& s, bool usage) {
  if (s.ok()) return 0;
  return usage ? 2 : 1;
}

}  // namespace

int run(const std::vector<std::string>& args, const std::string& env_db, Io io) {
  std::string db = env_db;
  std::size_t i = 0;
  // Global options come before the command.
  while (i < args.size() && args[i].rfind("-", 0) == 0) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      print_usage(io.out);
      return 0;
    }
    if (a == "--db" && i + 1 < args.size()) {
      db = args[i + 1];
      i += 2;
    } else if (a.rfind("--db=", 0) == 0) {
      db = a.substr(5);
      ++i;
    } else {
      io.err << "discoveryctl: unknown option " << a << " before the command; see 'discoveryctl --help'\n";
      return 2;
    }
  }
  if (i >= args.size()) {
    io.err << "discoveryctl: no command given; see 'discoveryctl --help'\n";
    return 2;
  }
  // The longest command name that matches: "peer add" before "peer".
  const Command* cmd = nullptr;
  std::size_t words = 0;
  for (const auto& c : commands()) {
    std::string name = c.name;
    std::size_t n = 1 + static_cast<std::size_t>(std::count(name.begin(), name.end(), ' '));
    if (i + n > args.size()) continue;
    std::string given = args[i];
    for (std::size_t k = 1; k < n; ++k) given += " " + args[i + k];
    if (given == name && n > words) {
      cmd = &c;
      words = n;
    }
  }
  if (!cmd) {
    io.err << "discoveryctl: unknown command '" << args[i] << "'; see 'discoveryctl --help'\n";
    return 2;
  }
  std::set<std::string> with_value = cmd->with_value;
  with_value.insert("--db");
  auto parsed = parse_args(args, i + words, with_value, cmd->boolean);
  if (!parsed) {
    io.err << "discoveryctl " << cmd->name << ": " << parsed.status().message() << "; usage: discoveryctl "
           << cmd->synopsis << "\n";
    return 2;
  }
  if (parsed->help) {
    io.out << "usage: discoveryctl [--db PATH] " << cmd->synopsis << "\n\n" << cmd->summary << "\n";
    return 0;
  }
  if (auto d = parsed->value("--db")) db = *d;
  const std::size_t n = parsed->positional.size();
  if (n < cmd->min_positional || n > cmd->max_positional) {
    io.err << "discoveryctl " << cmd->name << ": expected "
           << (cmd->min_positional == cmd->max_positional ? std::to_string(cmd->min_positional)
                                                          : std::to_string(cmd->min_positional) + " to " +
                                                                std::to_string(cmd->max_positional))
           << " argument(s), got " << n << "; usage: discoveryctl " << cmd->synopsis << "\n";
    return 2;
  }
  if (db.empty()) {
    io.err << "discoveryctl: no index given; pass --db PATH or set DISCOVERY_DB\n";
    return 2;
  }
  Context ctx{db, io};
  resolver::Status s;
  try {
    s = cmd->run(*parsed, ctx);
  } catch (const std::exception& e) {
    // Last resort: the core returns Status values, so this is a bug; say so rather than crash.
    s = resolver::Status(resolver::Code::internal, std::string("internal error: ") + e.what());
  }
  if (!s.ok()) io.err << "discoveryctl " << cmd->name << ": " << s.message() << "\n";
  return exit_code(s, ctx.usage_failure);
}

}  // namespace cli
