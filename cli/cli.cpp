// discoveryctl dispatch: global options, help, the command table, and the one mapping from a
// Status to an exit code.
#include "cli/cli.hpp"

#include <algorithm>
#include <iostream>

#include "cli/command.hpp"
#include "resolver/identifier.hpp"

// The project's version (CMakeLists.txt), given to this file alone so that a new version rebuilds
// one file.
#ifndef MIMI_VERSION
#define MIMI_VERSION "unknown"
#endif

namespace cli {
namespace {

constexpr const char* kUsage =
    "usage: discoveryctl [--db PATH] <command> [options]\n"
    "\n"
    "Manages the index of a mimi-discovery discovery provider. The index path comes from --db,\n"
    "or else from the DISCOVERY_DB environment variable.\n"
    "\n"
    "commands:\n";

const std::vector<Command>& commands();

resolver::Status completion(const Args& a, Context& ctx) {
  if (a.positional[0] != "bash") return ctx.usage("only bash completion is available: discoveryctl completion bash");
  ctx.io.out << bash_completion(commands());
  return resolver::Status::Ok();
}

const std::vector<Command>& commands() {
  static const std::vector<Command> all = [] {
    auto a = index_commands();
    auto b = admin_commands();
    a.insert(a.end(), b.begin(), b.end());
    auto c = private_commands();
    a.insert(a.end(), c.begin(), c.end());
    a.push_back({"completion", "completion bash", "Prints a bash completion script for discoveryctl.", {}, {}, 1, 1,
                 completion,
                 "examples:\n"
                 "  source <(discoveryctl completion bash)\n"
                 "  discoveryctl completion bash > /etc/bash_completion.d/discoveryctl\n"});
    return a;
  }();
  return all;
}

// The words of a command's name: "peer add" -> 2.
std::size_t word_count(const std::string& name) {
  return 1 + static_cast<std::size_t>(std::count(name.begin(), name.end(), ' '));
}

// What a group of commands is for: "peer" -> the peer commands.
const char* group_summary(const std::string& group) {
  if (group == "peer") return "Federation peers: the other discovery providers this DP asks (docs/FEDERATION.md).";
  if (group == "token") return "API tokens: bearer tokens for clients, peers and admins, stored hashed.";
  if (group == "private") return "Private lookups: the OPRF epochs and the sealed private index (docs/PRIVACY.md).";
  if (group == "key") return "Signing keys: the Ed25519 keys that sign this DP's assertions, published as its JWKS.";
  return "";
}

// The commands whose first word is `group` ("peer" for "peer add"); empty when it is no group.
std::vector<const Command*> group_commands(const std::string& group) {
  std::vector<const Command*> out;
  for (const auto& c : commands()) {
    const std::string name = c.name;
    if (name.size() > group.size() && name.compare(0, group.size(), group) == 0 && name[group.size()] == ' ')
      out.push_back(&c);
  }
  return out;
}

void print_usage(std::ostream& out) {
  out << kUsage;
  for (const auto& c : commands()) {
    out << "  " << c.synopsis << "\n      " << c.summary << "\n";
  }
  out << "\nRun 'discoveryctl <command> --help' for one command's options and examples, e.g.\n"
         "'discoveryctl import --help' or 'discoveryctl peer --help'. --version prints the version.\n"
         "Exit codes: 0 success, 1 failure, 2 usage error.\n";
}

void print_group(std::ostream& out, const std::string& group) {
  out << "usage: discoveryctl [--db PATH] " << group << " <subcommand> [options]\n\n"
      << group_summary(group) << "\n\nsubcommands:\n";
  for (const Command* c : group_commands(group)) out << "  " << c->synopsis << "\n      " << c->summary << "\n";
  out << "\nRun 'discoveryctl " << group << " <subcommand> --help' for its options and examples.\n";
}

void print_command(std::ostream& out, const Command& c) {
  out << "usage: discoveryctl [--db PATH] " << c.synopsis << "\n\n" << c.summary << "\n";
  if (*c.help) out << "\n" << c.help;
  const std::string name = c.name;
  if (name != "completion" && name != "import")
    out << "\nThe index comes from --db PATH or the DISCOVERY_DB environment variable.\n";
  else if (name == "import")
    out << "\nThe index comes from --db PATH or the DISCOVERY_DB environment variable (not needed for --dry-run).\n";
}

// The command named by args[i...]: the longest name that matches ("peer add" before "peer").
const Command* find_command(const std::vector<std::string>& args, std::size_t i, std::size_t& words) {
  const Command* cmd = nullptr;
  words = 0;
  for (const auto& c : commands()) {
    const std::size_t n = word_count(c.name);
    if (i + n > args.size()) continue;
    std::string given = args[i];
    for (std::size_t k = 1; k < n; ++k) given += " " + args[i + k];
    if (given == c.name && n > words) {
      cmd = &c;
      words = n;
    }
  }
  return cmd;
}

// discoveryctl help [COMMAND...]: the overview, a group's or a command's help.
int help(const std::vector<std::string>& args, std::size_t i, Io& io) {
  if (i >= args.size()) {
    print_usage(io.out);
    return 0;
  }
  std::size_t words = 0;
  if (const Command* c = find_command(args, i, words); c && i + words == args.size()) {
    print_command(io.out, *c);
    return 0;
  }
  if (i + 1 == args.size() && !group_commands(args[i]).empty()) {
    print_group(io.out, args[i]);
    return 0;
  }
  io.err << "discoveryctl help: there is no command '" << args[i] << "'; see 'discoveryctl --help'\n";
  return 2;
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
    if (a == "--version" || a == "-V") {
      io.out << "discoveryctl " << MIMI_VERSION << "\n";
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
  if (args[i] == "help") return help(args, i + 1, io);
  std::size_t words = 0;
  const Command* cmd = find_command(args, i, words);
  if (!cmd) {
    const std::string group = args[i];
    if (!group_commands(group).empty()) {
      // "discoveryctl peer" or "discoveryctl peer --help": the group's subcommands.
      const bool asked = i + 1 < args.size() && (args[i + 1] == "--help" || args[i + 1] == "-h");
      if (asked) {
        print_group(io.out, group);
        return 0;
      }
      if (i + 1 < args.size())
        io.err << "discoveryctl: '" << group << " " << args[i + 1] << "' is not a command.\n\n";
      else
        io.err << "discoveryctl: " << group << " needs a subcommand.\n\n";
      print_group(io.err, group);
      return 2;
    }
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
    print_command(io.out, *cmd);
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
  Context ctx{db, io};
  resolver::Status s;
  try {
    s = cmd->run(*parsed, ctx);
  } catch (const std::exception& e) {
    // Last resort: the core returns Status values, so this is a bug; say so rather than crash.
    s = resolver::Status(resolver::Code::internal, std::string("internal error: ") + e.what());
  }
  if (!s.ok()) {
    std::string message = s.message();
    // The core names no flag for a missing region; here it is --region.
    if (message.find(resolver::kNeedsRegion) != std::string::npos) message += "; pass one with --region, e.g. --region US";
    io.err << "discoveryctl " << cmd->name << ": " << message << "\n";
  }
  return exit_code(s, ctx.usage_failure);
}

}  // namespace cli
