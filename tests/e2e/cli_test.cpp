// End-to-end tests of the real discoveryctl binary on a temporary index: init, import, lookup,
// optout, export, re-import, tokens, peers, keys, and the exit codes and messages of failures.
#include <doctest/doctest.h>

#include <signal.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "server_fixture.hpp"
#include "tests/support/process.hpp"

namespace {

struct Ctl {
  test::TempDir dir;
  std::string db = dir.file("index.db");

  test::RunResult operator()(std::vector<std::string> args, const std::string& input = {}) {
    args.insert(args.begin(), {test::bin("discoveryctl"), "--db", db});
    return test::run(args, input);
  }
  nlohmann::json json(std::vector<std::string> args) {
    auto r = (*this)(std::move(args));
    REQUIRE(r.exit_code == 0);
    return nlohmann::json::parse(r.out);
  }
};

const char* kDemo =
    R"({"identifier": "+14155552671", "provider": "chat.example", "user": "mimi://chat.example/u/1", "tags": ["personal"]})" "\n"
    R"({"identifier": "+14155552671", "provider": "talk.example", "user": "mimi://talk.example/u/1"})" "\n"
    R"({"identifier": "Alice@Example.COM", "provider": "chat.example", "user": "mimi://chat.example/u/1"})" "\n"
    R"({"identifier": "+14155550100", "optout": true})" "\n";

}  // namespace

TEST_CASE("init, import, lookup, optout, export and re-import through the real binary") {
  Ctl ctl;
  auto init = ctl({"init", "--issuer", "dp.example"});
  REQUIRE(init.exit_code == 0);
  CHECK(init.out.find("dp.example") != std::string::npos);
  CHECK(ctl({"init", "--issuer", "dp.example"}).exit_code == 1);  // already initialised

  test::write_file(ctl.dir.file("demo.jsonl"), kDemo);
  auto imp = ctl({"import", ctl.dir.file("demo.jsonl")});
  REQUIRE(imp.exit_code == 0);
  CHECK(imp.out.find("imported 3 mappings (3 inserted, 0 updated) and 1 opt-out") != std::string::npos);
  CHECK(imp.out.find("skipped") == std::string::npos);
  CHECK(imp.out.find("rows/s") != std::string::npos);

  auto found = ctl.json({"lookup", "+1 (415) 555-2671"});
  CHECK(found["status"] == "found");
  CHECK(found["identifier"] == "tel:+14155552671");
  CHECK(found["mappings"].size() == 2);
  CHECK(ctl.json({"lookup", "alice@example.com"})["status"] == "found");
  CHECK(ctl.json({"lookup", "+14155550100"})["status"] == "opted_out");
  CHECK(ctl.json({"lookup", "415 555 2671", "--region", "US"})["status"] == "found");
  CHECK(ctl.json({"lookup", "+14155552671", "--provider", "talk.example"})["mappings"].size() == 1);

  REQUIRE(ctl({"optout", "tel:+14155552671"}).exit_code == 0);
  CHECK(ctl.json({"lookup", "+14155552671"})["status"] == "opted_out");

  auto exported = ctl({"export"});
  REQUIRE(exported.exit_code == 0);
  Ctl other;
  REQUIRE(other({"init", "--issuer", "dp2.example"}).exit_code == 0);
  auto reimport = other({"import", "-"}, exported.out);  // from stdin
  REQUIRE(reimport.exit_code == 0);
  CHECK(other.json({"lookup", "+14155552671"})["status"] == "opted_out");
  CHECK(other.json({"lookup", "alice@example.com"})["mappings"][0]["user"] == "mimi://chat.example/u/1");
  CHECK(other({"export"}).out == exported.out);  // the same records, byte for byte

  REQUIRE(ctl({"optin", "+14155552671"}).exit_code == 0);
  CHECK(ctl.json({"lookup", "+14155552671"})["status"] == "not_found");  // optout removed mappings
  auto stats = ctl.json({"stats"});
  CHECK(stats["mappings"] == 1);
}

TEST_CASE("a bad row aborts the import, names its line, and leaves the index untouched") {
  Ctl ctl;
  REQUIRE(ctl({"init", "--issuer", "dp.example"}).exit_code == 0);
  std::string text = std::string(kDemo) + R"({"identifier": "+1", "provider": "chat.example", "user": "x:1"})" + "\n";
  auto r = ctl({"import", "-"}, text);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("line 5: identifier:") != std::string::npos);
  CHECK(r.err.find("nothing was imported") != std::string::npos);
  CHECK(ctl.json({"stats"})["mappings"] == 0);

  auto skipped = ctl({"import", "-", "--skip-invalid"}, text);
  REQUIRE(skipped.exit_code == 0);
  CHECK(skipped.err.find("skipped line 5:") != std::string::npos);
  // The summary says what landed and what did not; it never counts a skipped row as imported.
  CHECK(skipped.out.find("imported 3 mappings (3 inserted, 0 updated) and 1 opt-out; skipped 1 bad line, not imported") !=
        std::string::npos);
  CHECK(ctl.json({"stats"})["mappings"] == 3);
}

TEST_CASE("import lists every bad row in one pass, and --dry-run validates without writing") {
  Ctl ctl;
  REQUIRE(ctl({"init", "--issuer", "dp.example"}).exit_code == 0);
  std::string text = std::string(kDemo) + "not json\n" +
                     R"({"identifier": "+1", "provider": "chat.example", "user": "x:1"})" "\n" +
                     R"({"identifier": "+14155552671", "provider": "bad domain", "user": "x:1"})" "\n" +
                     R"({"identifier": "+14155552671", "provider": "chat.example", "user": "x:1", "colour": "red"})" "\n";
  test::write_file(ctl.dir.file("bad.jsonl"), text);
  auto r = ctl({"import", ctl.dir.file("bad.jsonl")});
  CHECK(r.exit_code == 1);
  for (const char* line : {"line 5: ", "line 6: identifier:", "line 7: provider", "line 8: unknown field"})
    CHECK_MESSAGE(r.err.find(line) != std::string::npos, line);
  CHECK(r.err.find("the input has 4 bad lines (listed above); nothing was imported") != std::string::npos);
  CHECK(ctl.json({"stats"})["mappings"] == 0);

  auto dry = ctl({"import", ctl.dir.file("bad.jsonl"), "--dry-run"});
  CHECK(dry.exit_code == 1);
  CHECK(dry.err.find("line 8: ") != std::string::npos);
  CHECK(dry.err.find("nothing would be imported") != std::string::npos);

  test::write_file(ctl.dir.file("good.jsonl"), kDemo);
  const auto before = std::filesystem::last_write_time(ctl.db);
  auto ok = ctl({"import", ctl.dir.file("good.jsonl"), "--dry-run"});
  REQUIRE(ok.exit_code == 0);
  CHECK(ok.out.find("checked 4 lines") != std::string::npos);
  CHECK(ok.out.find("3 mappings and 1 opt-out are valid; nothing was written (--dry-run)") != std::string::npos);
  CHECK(ctl.json({"stats"})["mappings"] == 0);
  CHECK(std::filesystem::last_write_time(ctl.db) == before);
  // A dry run needs no index at all.
  auto no_db = test::run({test::bin("discoveryctl"), "import", ctl.dir.file("good.jsonl"), "--dry-run"});
  CHECK(no_db.exit_code == 0);

  // More than 100 bad rows: the first 100 are listed, the rest counted.
  std::string many;
  for (int i = 0; i < 130; ++i) many += "not json\n";
  auto capped = ctl({"import", "-"}, many);
  CHECK(capped.exit_code == 1);
  CHECK(capped.err.find("line 100: ") != std::string::npos);
  CHECK(capped.err.find("line 101: ") == std::string::npos);
  CHECK(capped.err.find("... and 30 more bad lines, not listed") != std::string::npos);
  CHECK(capped.err.find("the input has 130 bad lines") != std::string::npos);
}

TEST_CASE("CSV import") {
  Ctl ctl;
  REQUIRE(ctl({"init", "--issuer", "dp.example"}).exit_code == 0);
  test::write_file(ctl.dir.file("m.csv"),
                   "identifier,provider,user,tags,expires_at\n"
                   "020 7946 0018,talk.example,mimi://talk.example/u/bob,personal;work,2030-01-01T00:00:00Z\n");
  REQUIRE(ctl({"import", ctl.dir.file("m.csv"), "--region", "GB"}).exit_code == 0);
  auto j = ctl.json({"lookup", "+442079460018"});
  CHECK(j["mappings"][0]["tags"] == nlohmann::json({"personal", "work"}));
  CHECK(j["mappings"][0]["expires_at"] == "2030-01-01T00:00:00Z");
  // A spreadsheet's CSV export starts with a UTF-8 byte-order mark.
  test::write_file(ctl.dir.file("bom.csv"), "\xEF\xBB\xBFidentifier,provider,user\r\n+14155552671,chat.example,mimi://chat.example/u/9\r\n");
  auto bom = ctl({"import", ctl.dir.file("bom.csv")});
  CHECK_MESSAGE(bom.exit_code == 0, bom.err);
  CHECK(ctl.json({"lookup", "+14155552671"})["status"] == "found");
}

TEST_CASE("tokens, peers and keys") {
  Ctl ctl;
  REQUIRE(ctl({"init", "--issuer", "dp.example"}).exit_code == 0);
  auto created = ctl({"token", "create", "--role", "admin", "--name", "ops"});
  REQUIRE(created.exit_code == 0);
  std::string secret = created.out.substr(created.out.rfind('\n', created.out.size() - 2) + 1);
  CHECK(secret.rfind("mimi_", 0) == 0);
  auto tokens = ctl.json({"token", "list"});
  REQUIRE(tokens.size() == 1);
  CHECK(tokens[0]["role"] == "admin");
  CHECK(tokens.dump().find(secret.substr(0, secret.size() - 1)) == std::string::npos);  // never listed
  REQUIRE(ctl({"token", "revoke", tokens[0]["id"]}).exit_code == 0);
  CHECK(ctl.json({"token", "list"})[0]["revoked_at"].is_string());
  CHECK(ctl({"token", "create", "--role", "root"}).exit_code == 2);

  auto jwks = ctl.json({"key", "show"});
  REQUIRE(jwks["keys"].size() == 1);
  const std::string x = jwks["keys"][0]["x"];
  REQUIRE(ctl({"peer", "add", "--domain", "dp2.example", "--url", "http://127.0.0.1:9", "--key", x}).exit_code == 0);
  CHECK(ctl({"peer", "add", "--domain", "dp2.example", "--url", "http://127.0.0.1:9", "--key", x}).exit_code == 1);
  CHECK(ctl({"peer", "add", "--domain", "dp3.example", "--url", "ftp://x", "--key", x}).exit_code == 2);
  CHECK(ctl({"peer", "add", "--domain", "dp3.example", "--url", "http://x", "--key", "short"}).exit_code == 2);
  CHECK(ctl.json({"peer", "list"})[0]["domain"] == "dp2.example");
  REQUIRE(ctl({"peer", "remove", "dp2.example"}).exit_code == 0);
  CHECK(ctl({"peer", "remove", "dp2.example"}).exit_code == 1);

  REQUIRE(ctl({"key", "rotate"}).exit_code == 0);
  auto rotated = ctl.json({"key", "show"});
  CHECK(rotated["keys"].size() == 2);  // the old key stays published
}

TEST_CASE("peer add refuses a URL with a path, query or fragment and this DP's own domain") {
  Ctl ctl;
  REQUIRE(ctl({"init", "--issuer", "dp.example"}).exit_code == 0);
  const std::string x = ctl.json({"key", "show"})["keys"][0]["x"];
  auto add = [&](const std::string& domain, const std::string& url) {
    return ctl({"peer", "add", "--domain", domain, "--url", url, "--key", x});
  };
  auto path = add("dp2.example", "https://dp2.example/v1/lookup");
  CHECK(path.exit_code == 2);
  CHECK(path.err.find("--url must not have a path") != std::string::npos);
  auto query = add("dp2.example", "https://dp2.example?x=1");
  CHECK(query.exit_code == 2);
  CHECK(query.err.find("must not have a query") != std::string::npos);
  CHECK(add("dp2.example", "https://dp2.example#top").exit_code == 2);
  CHECK(add("dp2.example", "https://user:pw@dp2.example").exit_code == 2);
  auto self = add("DP.example", "https://dp.example");
  CHECK(self.exit_code == 2);
  CHECK(self.err.find("dp.example is this DP's own domain") != std::string::npos);
  // A trailing slash is only trimmed.
  REQUIRE(add("dp2.example", "https://dp2.example:8443/").exit_code == 0);
  CHECK(ctl.json({"peer", "list"})[0]["url"] == "https://dp2.example:8443");
}

TEST_CASE("peer set changes the key, URL or token of a peer and keeps the rest") {
  Ctl ctl;
  REQUIRE(ctl({"init", "--issuer", "dp.example"}).exit_code == 0);
  const std::string x = ctl.json({"key", "show"})["keys"][0]["x"];
  REQUIRE(ctl({"peer", "add", "--domain", "dp2.example", "--url", "https://dp2.example", "--key", x, "--token",
               "peer-token"}).exit_code == 0);
  REQUIRE(ctl({"key", "rotate"}).exit_code == 0);
  std::string y;
  const auto jwks = ctl.json({"key", "show"});
  for (const auto& k : jwks["keys"])
    if (k["x"] != x) y = k["x"];
  REQUIRE(!y.empty());
  auto set = ctl({"peer", "set", "dp2.example", "--key", y});
  REQUIRE(set.exit_code == 0);
  CHECK(set.out.find("changed peer dp2.example: key") != std::string::npos);
  auto peers = ctl.json({"peer", "list"});
  CHECK(peers[0]["key"] == y);
  CHECK(peers[0]["url"] == "https://dp2.example");
  CHECK(peers[0]["token"] == true);  // the token shown once is kept

  REQUIRE(ctl({"peer", "set", "dp2.example", "--url", "https://dp2.example:8443"}).exit_code == 0);
  CHECK(ctl.json({"peer", "list"})[0]["url"] == "https://dp2.example:8443");
  REQUIRE(ctl({"peer", "set", "dp2.example", "--token", ""}).exit_code == 0);
  peers = ctl.json({"peer", "list"});
  CHECK(peers[0]["token"] == false);
  CHECK(peers[0]["key"] == y);

  CHECK(ctl({"peer", "set", "dp2.example"}).exit_code == 2);  // nothing to change
  CHECK(ctl({"peer", "set", "dp2.example", "--url", "https://dp2.example/api"}).exit_code == 2);
  CHECK(ctl({"peer", "set", "dp2.example", "--key", "short"}).exit_code == 2);
  auto unknown = ctl({"peer", "set", "dp9.example", "--key", y});
  CHECK(unknown.exit_code == 1);
  CHECK(unknown.err.find("there is no peer with domain dp9.example") != std::string::npos);
  CHECK(ctl.json({"peer", "list"})[0]["url"] == "https://dp2.example:8443");  // refused sets changed nothing
}

TEST_CASE("key retire removes an old key from the JWKS, but the active key cannot be retired") {
  Ctl ctl;
  REQUIRE(ctl({"init", "--issuer", "dp.example"}).exit_code == 0);
  const std::string first = ctl.json({"key", "show"})["keys"][0]["kid"];
  auto active = ctl({"key", "retire", first});
  CHECK(active.exit_code == 1);
  CHECK(active.err.find("is the active signing key and cannot be retired; run discoveryctl key rotate first") !=
        std::string::npos);
  REQUIRE(ctl({"key", "rotate"}).exit_code == 0);
  REQUIRE(ctl.json({"key", "show"})["keys"].size() == 2);
  auto retired = ctl({"key", "retire", first});
  REQUIRE(retired.exit_code == 0);
  CHECK(retired.out.find("retired key " + first) != std::string::npos);
  auto keys = ctl.json({"key", "show"})["keys"];
  REQUIRE(keys.size() == 1);
  CHECK(keys[0]["kid"] != first);
  CHECK(ctl({"key", "retire", first}).exit_code == 1);  // unknown now
  CHECK(ctl.json({"lookup", "+14155552671"})["status"] == "not_found");  // the index still signs and answers
}

TEST_CASE("usage errors exit 2, failures exit 1, help exits 0") {
  Ctl ctl;
  CHECK(ctl({"--help"}).exit_code == 0);
  CHECK(ctl({"import", "--help"}).out.find("--skip-invalid") != std::string::npos);
  CHECK(ctl({"frobnicate"}).exit_code == 2);
  CHECK(ctl({"import"}).exit_code == 2);
  CHECK(ctl({"import", "x", "--bogus"}).exit_code == 2);
  auto missing = ctl({"stats"});
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("does not exist") != std::string::npos);
  REQUIRE(ctl({"init", "--issuer", "dp.example"}).exit_code == 0);
  auto bad = ctl({"lookup", "not an identifier"});
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find('\n') == bad.err.size() - 1);  // one sentence, one line
  CHECK(ctl({"import", ctl.dir.file("absent.jsonl")}).exit_code == 1);
  auto no_db = test::run({test::bin("discoveryctl"), "stats"});
  CHECK(no_db.exit_code == 2);
}

TEST_CASE("--db takes sqlite:PATH, and an unreachable PostgreSQL fails with one clear sentence") {
  Ctl ctl;
  ctl.db = "sqlite:" + ctl.dir.file("index.db");
  REQUIRE(ctl({"init", "--issuer", "dp.example"}).exit_code == 0);
  CHECK(std::filesystem::exists(ctl.dir.file("index.db")));
  CHECK(ctl.json({"stats"})["mappings"] == 0);
  ctl.db = "postgresql://dp:hunter2@127.0.0.1:9/discovery";
  auto pg = ctl({"init", "--issuer", "dp.example"});
  CHECK(pg.exit_code == 1);
  CHECK(pg.err.find("connecting to PostgreSQL failed") != std::string::npos);
  CHECK(pg.err.find("hunter2") == std::string::npos);
}

TEST_CASE("issue 14: init creates the index and its WAL and SHM files owner-only, whatever the umask") {
  namespace fs = std::filesystem;
  Ctl ctl;
  // The umask of a careless shell: files would be 0644 by default.
  auto init = test::run({"/bin/sh", "-c", "umask 022 && exec \"$0\" --db \"$1\" init --issuer dp.example",
                         test::bin("discoveryctl"), ctl.db});
  REQUIRE(init.exit_code == 0);
  // A server keeps the WAL and SHM files open: they exist while it runs.
  test::Process server({"/bin/sh", "-c", "umask 022 && exec \"$0\" --db \"$1\" --listen 127.0.0.1:0",
                        test::bin("discoveryd"), ctl.db});
  REQUIRE(!server.wait_for_line("listening on").empty());
  REQUIRE(ctl({"import", "-"}, kDemo).exit_code == 0);
  for (const std::string suffix : {"", "-wal", "-shm"}) {
    CAPTURE(suffix);
    REQUIRE(fs::exists(ctl.db + suffix));
    CHECK((fs::status(ctl.db + suffix).permissions() & (fs::perms::group_all | fs::perms::others_all)) ==
          fs::perms::none);
  }
}

TEST_CASE("issue 14: help for every command, group and the version") {
  Ctl ctl;
  // A group alone, or with --help, lists its subcommands instead of "unknown command".
  for (const std::string group : {"peer", "token", "key"}) {
    CAPTURE(group);
    auto asked = ctl({group, "--help"});
    CHECK(asked.exit_code == 0);
    CHECK(asked.out.find("usage: discoveryctl [--db PATH] " + group + " <subcommand>") != std::string::npos);
    const std::string first = group == "key" ? "key show" : group + " list";
    CHECK(asked.out.find(first) != std::string::npos);
    auto bare = ctl({group});
    CHECK(bare.exit_code == 2);
    CHECK(bare.err.find(group + " needs a subcommand") != std::string::npos);
    CHECK(bare.err.find(first) != std::string::npos);
    CHECK(ctl({"help", group}).out == asked.out);
  }
  auto wrong = ctl({"peer", "frob"});
  CHECK(wrong.exit_code == 2);
  CHECK(wrong.err.find("'peer frob' is not a command") != std::string::npos);
  CHECK(wrong.err.find("peer set DOMAIN") != std::string::npos);
  // Per-command help has the options and examples.
  auto import = ctl({"import", "--help"});
  CHECK(import.exit_code == 0);
  CHECK(import.out.find("  --dry-run ") != std::string::npos);
  CHECK(import.out.find("examples:\n  discoveryctl import ") != std::string::npos);
  auto peer_add = ctl({"peer", "add", "--help"});
  CHECK(peer_add.out.find("  --url URL ") != std::string::npos);
  CHECK(peer_add.out.find("examples:") != std::string::npos);
  CHECK(ctl({"help", "key", "retire"}).out == ctl({"key", "retire", "--help"}).out);
  // Every command of the overview has options or examples of its own.
  auto overview = ctl({"--help"});
  for (const std::string name : {"init", "import", "export", "lookup", "remove", "optout", "optin", "stats",
                                 "peer add", "peer list", "peer set", "peer remove", "token create", "token list",
                                 "token revoke", "key show", "key rotate", "key retire", "private rotate",
                                 "private status", "completion"}) {
    CAPTURE(name);
    CHECK(overview.out.find("  " + name) != std::string::npos);
    std::vector<std::string> args;
    for (std::size_t at = 0, next; at != std::string::npos; at = next == std::string::npos ? next : next + 1) {
      next = name.find(' ', at);
      args.push_back(name.substr(at, next - at));
    }
    args.push_back("--help");
    auto h = ctl(args);
    CHECK(h.exit_code == 0);
    CHECK(h.out.find("examples:\n") != std::string::npos);
  }
  auto version = ctl({"--version"});
  CHECK(version.exit_code == 0);
  CHECK(version.out.rfind("discoveryctl ", 0) == 0);
}

TEST_CASE("issue 14: a national number without a region names the flag, --region") {
  Ctl ctl;
  REQUIRE(ctl({"init", "--issuer", "dp.example"}).exit_code == 0);
  auto r = ctl({"lookup", "415 555 2671"});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("pass one with --region, e.g. --region US") != std::string::npos);
  CHECK(r.err.find("region=") == std::string::npos);
  auto imp = ctl({"import", "-"}, R"({"identifier": "415 555 2671", "provider": "chat.example", "user": "x:1"})" "\n");
  CHECK(imp.exit_code == 1);
  CHECK(imp.err.find("pass --region, e.g. --region US") != std::string::npos);
  CHECK(ctl({"import", "-", "--region", "US"}, R"({"identifier": "415 555 2671", "provider": "chat.example", "user": "x:1"})" "\n")
            .exit_code == 0);
}

TEST_CASE("issue 14: bash completion generated from the command table") {
  Ctl ctl;
  auto script = ctl({"completion", "bash"});
  REQUIRE(script.exit_code == 0);
  test::write_file(ctl.dir.file("completion.bash"), script.out);
  CHECK(ctl({"completion", "zsh"}).exit_code == 2);
  // What bash offers for a command line whose last word is being typed.
  auto complete = [&](const std::string& line) {
    const std::string program = "source '" + ctl.dir.file("completion.bash") +
                                "'\ncd '" + ctl.dir.path().string() + "'\nCOMP_LINE='" + line +
                                "'\nread -ra COMP_WORDS <<< \"$COMP_LINE\"\n"
                                "[[ $COMP_LINE == *' ' ]] && COMP_WORDS+=('')\n"
                                "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n"
                                "_discoveryctl\nprintf '%s\\n' \"${COMPREPLY[@]}\" | LC_ALL=C sort | tr '\\n' ' '\n";
    auto r = test::run({"/bin/bash", "-c", program});
    REQUIRE(r.exit_code == 0);
    return r.out;
  };
  CHECK(complete("discoveryctl pe") == "peer ");
  CHECK(complete("discoveryctl --db x.db to") == "token ");
  CHECK(complete("discoveryctl peer ") == "--help add list remove set ");
  CHECK(complete("discoveryctl key re") == "retire ");
  CHECK(complete("discoveryctl import --") == "--db --dry-run --format --help --region --skip-invalid ");
  CHECK(complete("discoveryctl import --format ") == "csv jsonl ");
  CHECK(complete("discoveryctl token create --role ") == "admin client peer ");
  CHECK(complete("discoveryctl peer set dp2.example --t") == "--token ");
  CHECK(complete("discoveryctl completion ") == "bash ");
  CHECK(complete("discoveryctl help ke") == "key ");
  CHECK(complete("discoveryctl --ver") == "--version ");
  test::write_file(ctl.dir.file("feed.jsonl"), "");
  CHECK(complete("discoveryctl import fe") == "feed.jsonl ");
}

TEST_CASE("issue 14: peer add --check compares the pinned key with the peer's /.well-known/mimi-discovery") {
  test::DemoIndex peer;  // issuer dp.example
  test::Server server(peer.db);
  const std::string x = nlohmann::json::parse(peer.ctl({"key", "show"}))["keys"][0]["x"];
  Ctl ctl;
  REQUIRE(ctl({"init", "--issuer", "dp2.example"}).exit_code == 0);
  auto add = [&](const std::string& domain, const std::string& url, const std::string& key) {
    return ctl({"peer", "add", "--domain", domain, "--url", url, "--key", key, "--check"});
  };
  const std::string other = ctl.json({"key", "show"})["keys"][0]["x"];
  auto wrong_key = add("dp.example", server.base_url(), other);
  CHECK(wrong_key.exit_code == 1);
  CHECK(wrong_key.err.find("The key given is not among the 1 keys dp.example publishes at " + server.base_url() +
                           "/.well-known/mimi-discovery") != std::string::npos);
  auto wrong_domain = add("dp9.example", server.base_url(), x);
  CHECK(wrong_domain.exit_code == 1);
  CHECK(wrong_domain.err.find("is dp.example, not dp9.example; check --domain and --url") != std::string::npos);
  CHECK(ctl.json({"peer", "list"}).empty());  // nothing was added
  auto ok = add("dp.example", server.base_url(), x);
  REQUIRE(ok.exit_code == 0);
  CHECK(ok.out.find("checked: dp.example publishes this key") != std::string::npos);
  // peer set checks the key it is about to pin.
  auto set = ctl({"peer", "set", "dp.example", "--key", other, "--check"});
  CHECK(set.exit_code == 1);
  CHECK(ctl.json({"peer", "list"})[0]["key"] == x);
  (void)server.process().stop(SIGTERM);
  auto down = ctl({"peer", "set", "dp.example", "--key", x, "--check"});
  CHECK(down.exit_code == 1);
  CHECK(down.err.find("Cannot check the key against") != std::string::npos);
}

TEST_CASE("issue 14: cmake --install puts both programs in PREFIX/bin, where the guides call them") {
  test::TempDir prefix;
  auto install = test::run({"/usr/bin/env", "cmake", "--install", MIMI_BINARY_DIR, "--prefix", prefix.path().string()});
  REQUIRE_MESSAGE(install.exit_code == 0, install.err);
  for (const std::string program : {"discoveryctl", "discoveryd"}) {
    auto version = test::run({prefix.file("bin/" + program), "--version"});
    CHECK(version.exit_code == 0);
    CHECK(version.out.rfind(program + " ", 0) == 0);
  }
}
