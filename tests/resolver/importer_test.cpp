// Tests of the import pipeline: atomicity, rejection reporting, --skip-invalid, counts, round trips.
#include "resolver/importer.hpp"

#include <doctest/doctest.h>

#include <sstream>

#include "resolver/import_record.hpp"
#include "resolver/sqlite_store.hpp"
#include "tests/resolver/store_conformance.hpp"
#include "tests/support/process.hpp"

using namespace resolver;

namespace {

std::unique_ptr<SqliteStore> open_store(const test::TempDir& dir, const std::string& name = "index.db") {
  auto s = SqliteStore::open(dir.file(name), OpenMode::create_if_missing);
  REQUIRE(s.ok());
  return std::move(*s);
}

std::string row(int i, const std::string& provider = "chat.example") {
  return R"({"identifier": "+1415555)" + std::to_string(1000 + i) + R"(", "provider": ")" + provider +
         R"(", "user": "mimi://chat.example/u/)" + std::to_string(i) + R"("})";
}

std::string many_rows(int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += row(i) + "\n";
  return out;
}

Status import_text(Store& store, const std::string& text, ImportOptions opt, ImportReport* rep) {
  std::istringstream in(text);
  opt.now = opt.now ? opt.now : 1000;
  return import_stream(store, in, opt, rep);
}

}  // namespace

TEST_CASE("a clean file lands whole, with counts") {
  test::TempDir dir;
  auto store = open_store(dir);
  ImportReport rep;
  // More rows than one chunk, so several parser threads and chunks are involved.
  REQUIRE(import_text(*store, many_rows(9000), {}, &rep).ok());
  CHECK(rep.lines == 9000);
  CHECK(rep.inserted == 9000);
  CHECK(store->stats()->mappings == 9000);
  // The same file again updates every mapping.
  REQUIRE(import_text(*store, many_rows(9000), {}, &rep).ok());
  CHECK(rep.inserted == 0);
  CHECK(rep.updated == 9000);
}

TEST_CASE("one bad row aborts the whole import and names its line") {
  test::TempDir dir;
  auto store = open_store(dir);
  std::string text = many_rows(5000) + R"({"identifier": "+14155552671", "provider": "bad domain", "user": "x:1"})" +
                     "\n" + many_rows(10);
  ImportReport rep;
  Status s = import_text(*store, text, {}, &rep);
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == Code::invalid_request);
  CHECK(s.message().rfind("line 5001: provider is not a domain name", 0) == 0);
  REQUIRE(rep.errors.size() == 1);
  CHECK(rep.errors[0].line == 5001);
  CHECK(rep.bad_rows == 1);
  CHECK(rep.lines == 5011);  // the whole input was read
  CHECK(store->stats()->mappings == 0);  // nothing landed
}

TEST_CASE_TEMPLATE("every bad row is listed in one pass and nothing lands, on every store", F, MIMI_STORES) {
  F factory;
  const auto store = factory.make();
  // Four bad rows, one of them in a later chunk than the others.
  std::string text = row(1) + "\nnot json\n" + row(2) + "\n" +
                     R"({"identifier": "+14155552671", "provider": "bad domain", "user": "x:1"})" + "\n" +
                     R"({"identifier": "", "provider": "a.example", "user": "x:1"})" + "\n" + many_rows(5000) +
                     R"({"identifier": "+14155552671", "provider": "a.example", "user": "x:1", "colour": 1})" + "\n";
  ImportReport rep;
  Status s = import_text(*store, text, {}, &rep);
  REQUIRE_FALSE(s.ok());
  CHECK(s.message().rfind("line 2: the line is not valid JSON", 0) == 0);  // the first bad row
  CHECK(rep.bad_rows == 4);
  REQUIRE(rep.errors.size() == 4);
  CHECK(rep.errors[0].line == 2);
  CHECK(rep.errors[1].line == 4);
  CHECK(rep.errors[2].line == 5);
  CHECK(rep.errors[3].line == 5006);
  CHECK(rep.inserted == 0);
  CHECK(store->stats()->mappings == 0);
  // The store is still usable: the valid rows alone land.
  REQUIRE(import_text(*store, row(1) + "\n" + row(2) + "\n", {}, &rep).ok());
  CHECK(store->stats()->mappings == 2);
}

TEST_CASE("at most 100 bad rows are listed, the rest are counted") {
  test::TempDir dir;
  auto store = open_store(dir);
  std::string text;
  for (int i = 0; i < 250; ++i) text += "not json\n" + row(i) + "\n";
  ImportReport rep;
  REQUIRE_FALSE(import_text(*store, text, {}, &rep).ok());
  CHECK(rep.bad_rows == 250);
  REQUIRE(rep.errors.size() == kMaxListedRowErrors);
  CHECK(rep.errors.back().line == 199);
  ImportOptions skip;
  skip.skip_invalid = true;
  REQUIRE(import_text(*store, text, skip, &rep).ok());
  CHECK(rep.skipped == 250);
  CHECK(rep.errors.size() == kMaxListedRowErrors);
  CHECK(rep.inserted == 250);
}

TEST_CASE("check_stream validates without a store and counts what would land") {
  std::string text = row(1) + "\n" + row(1) + "\n" + R"({"identifier": "+14155550100", "optout": true})" + "\nnot json\n";
  ImportOptions opt;
  opt.now = 1000;
  ImportReport rep;
  std::istringstream in(text);
  Status s = check_stream(in, opt, &rep);
  CHECK(s.message().rfind("line 4: ", 0) == 0);
  CHECK(rep.mappings == 2);
  CHECK(rep.optouts == 1);
  CHECK(rep.bad_rows == 1);
  CHECK(rep.inserted == 0);
  opt.skip_invalid = true;
  std::istringstream again(text);
  CHECK(check_stream(again, opt, &rep).ok());
  CHECK(rep.skipped == 1);
}

TEST_CASE("a UTF-8 byte-order mark is accepted at the start of CSV and JSON Lines") {
  test::TempDir dir;
  auto store = open_store(dir);
  ImportOptions csv;
  csv.format = ImportFormat::csv;
  ImportReport rep;
  REQUIRE(import_text(*store, "\xEF\xBB\xBFidentifier,provider,user\r\n+14155552671,chat.example,mimi://x/1\r\n", csv, &rep).ok());
  CHECK(rep.inserted == 1);
  REQUIRE(import_text(*store, "\xEF\xBB\xBF" + row(1) + "\n", {}, &rep).ok());
  CHECK(rep.inserted == 1);
  // Inside a CSV file it is part of a field: that row is bad, not the file.
  CHECK_FALSE(import_text(*store, "identifier,provider,user\n\xEF\xBB\xBF+14155552672,chat.example,mimi://x/2\n", csv,
                          &rep).ok());
  CHECK(rep.errors.at(0).line == 2);
}

TEST_CASE("--skip-invalid skips and lists bad rows, and imports the rest") {
  test::TempDir dir;
  auto store = open_store(dir);
  std::string text = row(1) + "\n\nnot json\n" + row(2) + "\n" + R"({"identifier": "", "provider": "a.example", "user": "x:1"})" +
                     "\n" + R"({"identifier": "+14155550100", "optout": true})" + "\n";
  ImportOptions opt;
  opt.skip_invalid = true;
  ImportReport rep;
  REQUIRE(import_text(*store, text, opt, &rep).ok());
  CHECK(rep.inserted == 2);
  CHECK(rep.optouts == 1);
  CHECK(rep.skipped == 2);
  REQUIRE(rep.errors.size() == 2);
  CHECK(rep.errors[0].line == 3);
  CHECK(rep.errors[1].line == 5);
  CHECK(rep.errors[1].status.code() == Code::invalid_identifier);
}

TEST_CASE("CSV imports, and a bad header stops at line 1") {
  test::TempDir dir;
  auto store = open_store(dir);
  ImportOptions opt;
  opt.format = ImportFormat::csv;
  opt.region = "US";
  ImportReport rep;
  REQUIRE(import_text(*store, "identifier,provider,user,tags\r\n415 555 2671,chat.example,mimi://x/1,a;b\r\n", opt, &rep).ok());
  CHECK(rep.inserted == 1);
  std::vector<std::string> ids = {"tel:+14155552671"};
  CHECK((*store->lookup(ids, 0))[0].mappings.at(0).tags == std::vector<std::string>{"a", "b"});
  Status bad = import_text(*store, "id,provider,user\n", opt, &rep);
  CHECK(bad.message().rfind("line 1: ", 0) == 0);
  Status empty = import_text(*store, "", opt, &rep);
  CHECK(empty.code() == Code::invalid_request);
}

TEST_CASE("export then import into a fresh index gives the same answers") {
  test::TempDir dir;
  auto a = open_store(dir, "a.db");
  std::string text = many_rows(50) +
                     R"({"identifier": "alice@example.com", "provider": "chat.example", "user": "mimi://x/a", "tags": ["t"], "keys": [{"kind": "ed25519", "id": "k1", "key": "AAAA"}], "expires_at": "2030-01-01T00:00:00Z"})" +
                     "\n" + R"({"identifier": "+14155550100", "optout": true})" + "\n";
  REQUIRE(import_text(*a, text, {}, nullptr).ok());
  std::string exported;
  REQUIRE(a->export_all([&](const ExportRecord& r) {
             exported += export_line(r) + "\n";
             return Status::Ok();
           }).ok());
  auto b = open_store(dir, "b.db");
  ImportOptions later;
  later.now = 99999;  // updated_at must come from the export, not from the second import
  REQUIRE(import_text(*b, exported, later, nullptr).ok());
  std::vector<std::string> ids = {"mailto:alice@example.com", "tel:+14155550100", "tel:+14155551007"};
  auto ra = a->lookup(ids, 1000);
  auto rb = b->lookup(ids, 1000);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    CAPTURE(ids[i]);
    CHECK((*ra)[i].opted_out == (*rb)[i].opted_out);
    REQUIRE((*ra)[i].mappings.size() == (*rb)[i].mappings.size());
    for (std::size_t k = 0; k < (*ra)[i].mappings.size(); ++k) {
      const auto& x = (*ra)[i].mappings[k];
      const auto& y = (*rb)[i].mappings[k];
      CHECK(x.provider == y.provider);
      CHECK(x.user == y.user);
      CHECK(x.tags == y.tags);
      CHECK(x.keys == y.keys);
      CHECK(x.updated_at == y.updated_at);
      CHECK(x.expires_at == y.expires_at);
    }
  }
}
