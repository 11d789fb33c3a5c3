// The table of discoveryctl commands and what a command's handler gets. Used by cli.cpp only
// and by the files that implement the commands.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>

#include "cli/args.hpp"
#include "cli/cli.hpp"
#include "resolver/clock.hpp"
#include "resolver/open_store.hpp"

namespace cli {

struct Context {
  Context(std::string db_path, Io streams) : db(std::move(db_path)), io(streams) {}

  std::string db;  // --db or DISCOVERY_DB: an SQLite path, "sqlite:PATH" or a PostgreSQL URI
  Io io;
  resolver::SystemClock clock;
  bool usage_failure = false;  // set by usage(): the run exits 2, not 1

  // A usage error: the command line is wrong, not the data.
  resolver::Status usage(const std::string& message) {
    usage_failure = true;
    return resolver::Status(resolver::Code::invalid_request, message);
  }
  // Opens the existing index (or creates it for init), of the kind `db` names. A usage error when
  // no index was given: only the commands that open one need --db.
  resolver::Result<std::unique_ptr<resolver::Store>> open(
      resolver::OpenMode mode = resolver::OpenMode::must_exist) {
    if (db.empty()) return usage("no index given; pass --db PATH or set DISCOVERY_DB");
    return resolver::open_store(db, mode);
  }
};

struct Command {
  const char* name;        // "import", "peer add"
  const char* synopsis;    // "import FILE [--format jsonl|csv] [--region CC] [--skip-invalid]"
  const char* summary;     // one line
  std::set<std::string> with_value;
  std::set<std::string> boolean;
  std::size_t min_positional = 0;
  std::size_t max_positional = 0;
  std::function<resolver::Status(const Args&, Context&)> run;
  // What `discoveryctl COMMAND --help` prints after the summary: an "options:" and an "examples:"
  // section, each line indented by two spaces.
  const char* help = "";
};

// Registered by index_commands.cpp, admin_commands.cpp and private_commands.cpp.
std::vector<Command> index_commands();
std::vector<Command> admin_commands();
std::vector<Command> private_commands();

// The bash completion script for `commands` (completion.cpp): command names, then each command's
// options, and the values of the options that take one of a few (--format, --role).
std::string bash_completion(const std::vector<Command>& commands);

}  // namespace cli
