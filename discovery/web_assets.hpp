// The lookup page's static files (DESIGN.md §13), compiled into discoveryd from discovery/web/ by
// discovery/web/embed.cmake. Immutable data; thread-safe.
#pragma once

#include <string_view>
#include <vector>

namespace discovery {

struct WebAsset {
  std::string_view name;          // the file name: "index.html", "lookup.js", "lookup.css"
  std::string_view content_type;  // from the extension, e.g. "text/javascript; charset=utf-8"
  std::string_view body;
};

// Every file of discovery/web/ (.html, .css, .js), by name.
const std::vector<WebAsset>& web_assets();

}  // namespace discovery
