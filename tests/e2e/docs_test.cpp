// The documentation stands alone: README.md, bench/README.md and every docs/*.md link only to
// files inside this repository that exist (no ../shared/, no absolute paths), so a fresh clone
// has every page they cite. External http(s) and mailto links are not checked.
#include <doctest/doctest.h>

#include <cctype>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace {

namespace fs = std::filesystem;

struct Link {
  std::string target;
  int line = 0;
};

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

std::string left_trimmed(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

// The text with fenced code blocks blanked out (their newlines kept, so line numbers hold).
std::string without_fences(const std::string& text) {
  std::string out;
  char fence_char = 0;
  std::size_t fence_len = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(pos, end - pos);
    const std::string trimmed = left_trimmed(line);
    std::size_t run = 0;
    if (!trimmed.empty() && (trimmed[0] == '`' || trimmed[0] == '~'))
      while (run < trimmed.size() && trimmed[run] == trimmed[0]) ++run;
    if (fence_char == 0 && run >= 3) {
      fence_char = trimmed[0];
      fence_len = run;
    } else if (fence_char != 0 && run >= fence_len && trimmed[0] == fence_char) {
      fence_char = 0;
    } else if (fence_char == 0) {
      out += line;
    }
    if (end < text.size()) out += '\n';
    pos = end + 1;
  }
  return out;
}

// The text with inline code spans removed (newlines inside them kept). A run of backticks with
// no closing run of the same length before the paragraph ends is plain text.
std::string without_code_spans(const std::string& text) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '`') {
      out += text[i++];
      continue;
    }
    std::size_t run = 0;
    while (i + run < text.size() && text[i + run] == '`') ++run;
    std::size_t close = std::string::npos;
    for (std::size_t j = i + run; j < text.size();) {
      if (text.compare(j, 2, "\n\n") == 0) break;  // a code span never crosses a paragraph
      if (text[j] != '`') {
        ++j;
        continue;
      }
      std::size_t other = 0;
      while (j + other < text.size() && text[j + other] == '`') ++other;
      if (other == run) {
        close = j;
        break;
      }
      j += other;
    }
    if (close == std::string::npos) {
      out.append(run, '`');
      i += run;
      continue;
    }
    for (std::size_t k = i; k < close; ++k)
      if (text[k] == '\n') out += '\n';
    i = close + run;
  }
  return out;
}

int line_of(const std::string& text, std::size_t pos) {
  int line = 1;
  for (std::size_t i = 0; i < pos && i < text.size(); ++i)
    if (text[i] == '\n') ++line;
  return line;
}

// Inline links and images `[text](target "title")` and reference definitions `[name]: target`.
std::vector<Link> links_in(const std::string& markdown) {
  const std::string text = without_code_spans(without_fences(markdown));
  std::vector<Link> links;
  for (std::size_t pos = text.find("]("); pos != std::string::npos; pos = text.find("](", pos + 2)) {
    std::size_t start = pos + 2;
    std::string target;
    if (start < text.size() && text[start] == '<') {
      std::size_t end = text.find('>', start + 1);
      if (end == std::string::npos) continue;
      target = text.substr(start + 1, end - start - 1);
    } else {
      std::size_t end = start;
      while (end < text.size() && text[end] != ')' && text[end] != ' ' && text[end] != '\n' &&
             text[end] != '\t')
        ++end;
      target = text.substr(start, end - start);
    }
    links.push_back({target, line_of(text, pos)});
  }
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = left_trimmed(text.substr(pos, end - pos));
    const std::size_t close = line.find("]:");
    if (starts_with(line, "[") && close != std::string::npos && close > 1 &&
        line.find(']') == close) {
      std::string target = left_trimmed(line.substr(close + 2));
      const std::size_t space = target.find_first_of(" \t");
      if (space != std::string::npos) target.resize(space);
      if (target.size() >= 2 && target.front() == '<' && target.back() == '>')
        target = target.substr(1, target.size() - 2);
      if (!target.empty()) links.push_back({target, line_of(text, pos)});
    }
    pos = end + 1;
  }
  return links;
}

// "https:", "mailto:", ...: the target names a scheme, so it is not a path in this repository.
std::string scheme_of(const std::string& target) {
  if (target.empty() || !std::isalpha(static_cast<unsigned char>(target[0]))) return {};
  for (std::size_t i = 1; i < target.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(target[i]);
    if (c == ':') return target.substr(0, i);
    if (!std::isalnum(c) && c != '+' && c != '.' && c != '-') return {};
  }
  return {};
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
