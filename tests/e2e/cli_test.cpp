// End-to-end tests of the real discoveryctl binary on a temporary index: init, import, lookup,
// optout, export, re-import, tokens, peers, keys, and the exit codes and messages of failures.
#include <doctest/doctest.h>

#include <filesystem>

#include <nlohmann/json.hpp>

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
  CHECK(imp.out.find("3 inserted, 0 updated, 1 opt-outs, 0 skipped") != std::string::npos);
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
  CHECK(ctl.json({"stats"})["mappings"] == 3);
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
