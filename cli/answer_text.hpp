// The readable text of one lookup answer (DESIGN.md §4.1) and the verdicts on its assertions, as
// mimi-lookup prints it. Free functions; thread-safe.
#pragma once

#include <iosfwd>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/assertion_check.hpp"

namespace cli {

// Writes `answer` with one verdict per mapping (`checks`, in the order of its mappings).
void print_answer(std::ostream& out, const nlohmann::json& answer, const std::vector<MappingCheck>& checks);

}  // namespace cli
