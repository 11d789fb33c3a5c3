// The documentation stands alone: README.md, bench/README.md and every docs/*.md link only to
// files inside this repository that exist (no ../shared/, no absolute paths), so a fresh clone
// has every page they cite. External http(s) and mailto links are not checked.
#include <doctest/doctest.h>

#include <cstddef>
#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace {

namespace fs = std::filesystem;

struct Link {
  std::string target;
  int line = 0;
};

// The inline links and images `[text](target "title")` of a Markdown text, line by line, outside
// fenced code blocks and code spans (where a link is an example, not a link). The docs use no
// reference-style links.
std::vector<Link> links_in(const std::string& markdown) {
  static const std::regex kFence(R"(^\s*(```|~~~))");
  static const std::regex kCodeSpan("`[^`]*`");
  static const std::regex kLink(R"(\]\(<?([^)\s>]*))");
  std::vector<Link> links;
  std::istringstream in(markdown);
  std::string line;
  bool fenced = false;
  for (int number = 1; std::getline(in, line); ++number) {
    if (std::regex_search(line, kFence)) {
      fenced = !fenced;
      continue;
    }
    if (fenced) continue;
    const std::string prose = std::regex_replace(line, kCodeSpan, "");
    for (std::sregex_iterator m(prose.begin(), prose.end(), kLink), end; m != end; ++m) {
      links.push_back({(*m)[1].str(), number});
    }
  }
  return links;
}

// "https", "mailto", ...: the target names a scheme, so it is not a path in this repository.
std::string scheme_of(const std::string& target) {
  static const std::regex kScheme("^([A-Za-z][A-Za-z0-9+.-]*):");
  std::smatch m;
  return std::regex_search(target, m, kScheme) ? m[1].str() : std::string();
}

// Why `target`, linked from `file` (a path relative to the repository root), is a bad link; ""
// when it is fine.
std::string link_problem(const fs::path& root, const fs::path& file, const std::string& target) {
  if (target.empty()) return "is empty";
  if (target.find("shared/") != std::string::npos) return "points at a shared folder outside the repository";
  if (target[0] == '/') return "is an absolute path";
  if (target[0] == '#') return {};  // an anchor in the same page
  const std::string scheme = scheme_of(target);
  if (scheme == "file") return "is a file: URL";
  if (!scheme.empty()) return {};  // https:, mailto:, ...: not a file of this repository
  std::string path = target;
  const std::size_t cut = path.find_first_of("#?");
  if (cut != std::string::npos) path.resize(cut);
  if (path.empty()) return {};
  // Relative to the linking file's folder; it must stay inside the repository (README.md may
  // never start a link with ../, docs/API.md may link ../schema/openapi.json).
  const fs::path resolved = (file.parent_path() / path).lexically_normal();
  if (resolved.empty() || resolved.is_absolute() || *resolved.begin() == "..")
    return "leaves the repository";
  if (!fs::exists(root / resolved)) return "names a file that does not exist (" + resolved.generic_string() + ")";
  return {};
}

// README.md, bench/README.md and every docs/*.md, relative to the repository root.
std::vector<fs::path> markdown_files(const fs::path& root) {
  std::vector<fs::path> files = {"README.md", "bench/README.md"};
  for (const auto& entry : fs::directory_iterator(root / "docs"))
    if (entry.is_regular_file() && entry.path().extension() == ".md")
      files.push_back(fs::path("docs") / entry.path().filename());
  return files;
}

}  // namespace

TEST_CASE("documentation links stay inside the repository and name files that exist") {
  const fs::path root = test::source_path("");
  const std::vector<fs::path> files = markdown_files(root);
  REQUIRE(files.size() >= 8);  // the two READMEs and docs/: DESIGN, API, ARCHITECTURE, ...
  std::size_t checked = 0;
  for (const fs::path& file : files) {
    const std::string missing = file.generic_string() + " is missing";
    REQUIRE_MESSAGE(fs::exists(root / file), missing);
    const std::string text = test::read_file((root / file).string());
    for (const Link& link : links_in(text)) {
      ++checked;
      const std::string problem = link_problem(root, file, link.target);
      if (problem.empty()) continue;
      // One string: FAIL_CHECK streams its argument, so an expression with + would not compile.
      const std::string message = file.generic_string() + ":" + std::to_string(link.line) +
                                  ": link \"" + link.target + "\" " + problem;
      FAIL_CHECK(message);
    }
  }
  CHECK(checked > 10);  // the parser found the links at all
}

TEST_CASE("the design document is part of the repository and README.md links it") {
  const fs::path root = test::source_path("");
  CHECK(fs::exists(root / "docs" / "DESIGN.md"));
  const std::string readme = test::read_file((root / "README.md").string());
  CHECK(readme.find("](docs/DESIGN.md)") != std::string::npos);
  for (const char* page : {"API.md", "ARCHITECTURE.md", "FEDERATION.md", "OPERATIONS.md", "RATE_LIMITS.md"}) {
    const std::string message = std::string("README.md does not link docs/") + page;
    CHECK_MESSAGE(readme.find(std::string("](docs/") + page + ")") != std::string::npos, message);
  }
}
