// mimi-lookup: the client's command (DESIGN.md §12). It looks identifiers up at one discovery
// provider, in clear (POST /v1/lookup batches) or with --private without the provider learning
// them (cli/private_lookup.hpp), prints the answers (§4.1) as text or JSON, and verifies every
// assertion against the keys of its iss. run_mimi_lookup() is everything but reading argv, so tests can drive it with
// strings. Not thread-safe: one run per process at a time.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace cli {

// Runs mimi-lookup with `args` (the program name excluded), printing answers to `out` and one
// sentence per error to `err`. Returns the exit code (§9): 0 when every identifier was looked up
// and every assertion verified, 1 when one failed (an invalid identifier, a server error, an
// assertion or a --private proof that does not verify, a server without private lookups), 2 for
// a usage error.
int run_mimi_lookup(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace cli
