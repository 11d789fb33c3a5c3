// mimi-lookup's entry point: the only code of the client that reads argv.
#include <iostream>
#include <string>
#include <vector>

#include "cli/mimi_lookup.hpp"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  const std::vector<std::string> args(argv + 1, argv + argc);
  const int code = cli::run_mimi_lookup(args, std::cout, std::cerr);
  std::cout.flush();
  return code;
}
