// discoveryctl: the admin CLI (DESIGN.md §9). run() is everything but reading argv and the
// environment, so tests can drive it with strings. Not thread-safe: one run per process at a time.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace cli {

struct Io {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
  bool err_is_terminal = false;  // show a progress bar on err
};

// Runs one command. `args` excludes the program name; `env_db` is DISCOVERY_DB ("" when unset).
// Returns the exit code: 0 success, 1 failure, 2 usage error. Errors go to io.err as one sentence.
int run(const std::vector<std::string>& args, const std::string& env_db, Io io);

}  // namespace cli
