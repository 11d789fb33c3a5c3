// End-to-end tests of discoveryd's log (issue 14): every line has a UTC timestamp and a level, as
// text or as one JSON object a line (--log-format json); the start line names the index, issuer,
// keys and peers the process serves; nothing in it identifies a person or holds a token.
#include <signal.h>

#include <algorithm>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "server_fixture.hpp"

using json = nlohmann::json;

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

// Runs discoveryd over `demo` with `extra` arguments, makes one lookup and one 404, stops it;
// returns its stderr.
std::string run_and_log(test::DemoIndex& demo, const std::vector<std::string>& extra) {
  const std::string log = demo.dir.file("stderr.log");
  std::vector<std::string> argv = {test::bin("discoveryd"), "--db", demo.db, "--listen", "127.0.0.1:0"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  {
    test::Process p(argv, log);
    const std::string line = p.wait_for_line("listening on http://127.0.0.1:");
    REQUIRE(!line.empty());
    httplib::Client c("127.0.0.1", std::stoi(line.substr(line.rfind(':') + 1)));
    c.set_read_timeout(10, 0);
    REQUIRE(c.Get("/v1/lookup?id=%2B14155552671", test::bearer(demo.client)));
    REQUIRE(c.Get("/nowhere"));
    CHECK(p.stop(SIGTERM) == 0);
  }
  return test::read_file(log);
}

// The kid of every signing key, the active first.
std::vector<std::string> kids(test::DemoIndex& demo) {
  std::vector<std::string> out;
  const json shown = json::parse(demo.ctl({"key", "show"}));
  for (const json& k : shown["keys"]) out.push_back(k["kid"]);
  return out;
}

void add_peer(test::DemoIndex& demo) {
  demo.ctl({"peer", "add", "--domain", "peer.example", "--url", "https://peer.example", "--key",
            "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"});
}

}  // namespace

TEST_CASE("log: text lines carry a timestamp and a level, and the start line says what is served") {
  test::DemoIndex demo;
  add_peer(demo);
  demo.ctl({"key", "rotate"});
  const std::vector<std::string> keys = kids(demo);
  REQUIRE(keys.size() == 2);
  const std::string text = run_and_log(demo, {});
  const std::regex shape(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (info|warning|error) discoveryd: .+$)");
  const std::vector<std::string> lines = lines_of(text);
  REQUIRE(lines.size() >= 4);  // started, two requests, stopping, stopped
  for (const std::string& line : lines) {
    CAPTURE(line);
    CHECK(std::regex_match(line, shape));
  }
  CHECK(text.find(" info discoveryd: started url=http://127.0.0.1:") != std::string::npos);
  CHECK(text.find(" index=sqlite:" + demo.db + " ") != std::string::npos);
  CHECK(text.find(" issuer=dp.example ") != std::string::npos);
  CHECK(text.find(" keys=" + keys[0] + "," + keys[1] + " ") != std::string::npos);  // the active first
  CHECK(text.find(" peers=peer.example ") != std::string::npos);
  CHECK(text.find(" info discoveryd: request rid=") != std::string::npos);
  CHECK(text.find(" route=/v1/lookup status=200 ") != std::string::npos);
  CHECK(text.find(" info discoveryd: stopped") != std::string::npos);
  for (const std::string& secret : {std::string("14155552671"), demo.client, demo.admin}) {
    CAPTURE(secret);
    CHECK(text.find(secret) == std::string::npos);
  }
}

TEST_CASE("log: --log-format json writes one JSON object a line with the same facts") {
  test::DemoIndex demo;
  add_peer(demo);
  const std::string text = run_and_log(demo, {"--log-format", "json"});
  const std::regex ts(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$)");
  std::vector<json> lines;
  for (const std::string& line : lines_of(text)) {
    CAPTURE(line);
    json j;
    REQUIRE_NOTHROW(j = json::parse(line));
    CHECK(std::regex_match(j["ts"].get<std::string>(), ts));
    CHECK((j["level"] == "info" || j["level"] == "warning" || j["level"] == "error"));
    CHECK(j["msg"].is_string());
    lines.push_back(j);
  }
  REQUIRE(lines.size() >= 4);
  // The start line. It need not be the first: discoveryd makes the Matrix lookup pepper of a new
  // index, and logs that, before it starts serving. A missing member reads as "", not as the
  // const operator[] of a key that is not there (undefined behaviour; an assertion in Debug).
  const auto started_at = std::find_if(lines.begin(), lines.end(),
                                       [](const json& j) { return j.value("msg", "") == "started"; });
  REQUIRE(started_at != lines.end());
  const json& started = *started_at;
  CHECK(started.value("issuer", "") == "dp.example");
  CHECK(started.value("peers", "") == "peer.example");
  CHECK(started.value("keys", "") == kids(demo)[0]);
  CHECK(started.value("index", "") == "sqlite:" + demo.db);
  // discoveryctl init made the first Matrix lookup pepper, so the server had none to make (on a
  // large index that would hash every identifier before listening).
  for (const json& j : lines) CHECK(j.value("msg", "") != "made the Matrix lookup pepper");
  bool found = false, missing = false;
  for (const json& j : lines) {
    if (j["msg"] != "request") continue;
    CHECK(j["rid"].is_string());
    CHECK(j["ms"].is_number());
    found = found || (j["route"] == "/v1/lookup" && j["status"] == 200);
    missing = missing || (j["route"] == "other" && j["status"] == 404);
  }
  CHECK(found);
  CHECK(missing);
  CHECK(text.find("14155552671") == std::string::npos);
}

TEST_CASE("log: an unknown --log-format is a usage error that names the choices") {
  test::DemoIndex demo;
  test::RunResult r = test::run({test::bin("discoveryd"), "--db", demo.db, "--log-format", "xml"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("--log-format must be text or json.") != std::string::npos);
}
