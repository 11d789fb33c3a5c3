// discoveryctl's entry point: the only code of the CLI that reads argv and the environment.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "cli/cli.hpp"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  std::vector<std::string> args(argv + 1, argv + argc);
  const char* env_db = std::getenv("DISCOVERY_DB");
  cli::Io io{std::cin, std::cout, std::cerr, isatty(STDERR_FILENO) == 1};
  int code = cli::run(args, env_db ? env_db : "", io);
  std::cout.flush();
  return code;
}
