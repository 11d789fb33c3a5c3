// Tests of import record validation: tables of good and bad JSON Lines and CSV rows.
#include "resolver/import_record.hpp"

#include <doctest/doctest.h>

using namespace resolver;

TEST_CASE("good JSON Lines records") {
  auto r = parse_jsonl_record(
      R"({"identifier": "+1 415 555 2671", "provider": "Chat.Example", "user": "mimi://chat.example/u/1",)"
      R"( "tags": ["personal"], "keys": [{"kind": "ed25519", "id": "k1", "key": "AAAA"}],)"
      R"( "expires_at": "2027-11-28T05:00:00Z"})",
      "", 42);
  REQUIRE(r.ok());
  CHECK_FALSE(r->optout);
  CHECK(r->mapping.identifier == "tel:+14155552671");
  CHECK(r->mapping.provider == "chat.example");
  CHECK(r->mapping.tags == std::vector<std::string>{"personal"});
  CHECK(r->mapping.keys.size() == 1);
  CHECK(r->mapping.expires_at == 1827378000);
  CHECK(r->mapping.updated_at == 42);

  auto national = parse_jsonl_record(R"({"identifier": "030 901820", "provider": "a.example", "user": "x:1"})", "DE", 0);
  REQUIRE(national.ok());
  CHECK(national->mapping.identifier == "tel:+4930901820");

  auto opt = parse_jsonl_record(R"({"identifier": "Alice@Example.com", "optout": true})", "", 0);
  REQUIRE(opt.ok());
  CHECK(opt->optout);
  CHECK(opt->mapping.identifier == "mailto:alice@example.com");

  auto past = parse_jsonl_record(R"({"identifier": "acct:a@b.example", "provider": "a.example", "user": "x:1",)"
                                 R"( "expires_at": "2000-01-01T00:00:00Z", "tags": null})", "", 0);
  REQUIRE(past.ok());  // already expired is valid: stored, never served
}

TEST_CASE("bad JSON Lines records name the field and the reason") {
  struct Case {
    const char* line;
    Code code;
    const char* says;
  };
  const Case cases[] = {
      {"not json", Code::invalid_request, "not valid JSON"},
      {"[1,2]", Code::invalid_request, "not a JSON object"},
      {R"({"provider": "a.example", "user": "x:1"})", Code::invalid_request, "identifier is missing"},
      {R"({"identifier": 5, "provider": "a.example", "user": "x:1"})", Code::invalid_request, "identifier"},
      {R"({"identifier": "12", "provider": "a.example", "user": "x:1"})", Code::invalid_identifier, "identifier:"},
      {R"({"identifier": "+14155552671", "user": "x:1"})", Code::invalid_request, "provider is missing"},
      {R"({"identifier": "+14155552671", "provider": "not a domain", "user": "x:1"})", Code::invalid_request, "provider is not a domain"},
      {R"({"identifier": "+14155552671", "provider": "a.example"})", Code::invalid_request, "user is missing"},
      {R"({"identifier": "+14155552671", "provider": "a.example", "user": ""})", Code::invalid_request, "user is empty"},
      {R"({"identifier": "+14155552671", "provider": "a.example", "user": "no scheme"})", Code::invalid_request, "user contains"},
      {R"({"identifier": "+14155552671", "provider": "a.example", "user": "noscheme"})", Code::invalid_request, "not a URI"},
      {R"({"identifier": "+14155552671", "provider": "a.example", "user": "x:1", "tags": "personal"})", Code::invalid_request, "tags must be an array"},
      {R"({"identifier": "+14155552671", "provider": "a.example", "user": "x:1", "tags": [""]})", Code::invalid_request, "tag must be 1 to 64"},
      {R"({"identifier": "+14155552671", "provider": "a.example", "user": "x:1", "keys": [{"kind": "ed25519"}]})", Code::invalid_request, "no string field"},
      {R"({"identifier": "+14155552671", "provider": "a.example", "user": "x:1", "keys": [{"kind": "e", "id": "k", "key": "!!"}]})", Code::invalid_request, "base64url"},
      {R"({"identifier": "+14155552671", "provider": "a.example", "user": "x:1", "expires_at": "tomorrow"})", Code::invalid_request, "expires_at is not an RFC 3339"},
      {R"({"identifier": "+14155552671", "provider": "a.example", "user": "x:1", "tag": ["x"]})", Code::invalid_request, "unknown field \"tag\""},
      // The message lists every accepted field, the optional ones too.
      {R"({"identifier": "+14155552671", "provider": "a.example", "user": "x:1", "tag": ["x"]})", Code::invalid_request,
       "(the fields are identifier, provider, user, tags, keys, expires_at, updated_at and optout)"},
      {R"({"identifier": "+14155552671", "optout": true, "provider": "a.example"})", Code::invalid_request, "opt-out record holds only"},
      {R"({"identifier": "+14155552671", "optout": "yes"})", Code::invalid_request, "optout must be"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.line);
    auto r = parse_jsonl_record(c.line, "", 0);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == c.code);
    CHECK(r.status().message().find(c.says) != std::string::npos);
    CHECK(r.status().message().find("415") == std::string::npos);  // never echoes the identifier
  }
}

TEST_CASE("CSV header and rows") {
  auto cols = parse_csv_header("identifier,provider,user,tags,expires_at");
  REQUIRE(cols.ok());
  auto r = parse_csv_record(R"("+1 (415) 555-2671",chat.example,mimi://chat.example/u/1,personal;work,2027-11-28T05:00:00Z)",
                            *cols, "", 0);
  REQUIRE(r.ok());
  CHECK(r->mapping.identifier == "tel:+14155552671");
  CHECK(r->mapping.tags == std::vector<std::string>{"personal", "work"});
  auto no_tags = parse_csv_record("alice@example.com,chat.example,mimi://x/1,,", *cols, "", 0);
  REQUIRE(no_tags.ok());
  CHECK(no_tags->mapping.tags.empty());
  CHECK_FALSE(no_tags->mapping.expires_at);

  CHECK(parse_csv_header("identifier,provider").status().code() == Code::invalid_request);
  CHECK(parse_csv_header("identifier,provider,user,colour").status().message().find("colour") != std::string::npos);
  CHECK(parse_csv_header("identifier,provider,user,user").status().message().find("twice") != std::string::npos);
  CHECK(parse_csv_record("a@b.example,chat.example", *cols, "", 0).status().message().find("2 fields") != std::string::npos);
  CHECK(parse_csv_record("\"a@b.example,chat.example,x:1,,", *cols, "", 0).status().message().find("not closed") != std::string::npos);
  auto quoted = split_csv_line(R"(a,"b ""c"", d",e)");
  REQUIRE(quoted.ok());
  CHECK((*quoted)[1] == "b \"c\", d");
}

TEST_CASE("export_line reads back to the same mapping") {
  ExportRecord rec;
  rec.mapping.identifier = "tel:+14155552671";
  rec.mapping.provider = "chat.example";
  rec.mapping.user = "mimi://chat.example/u/1";
  rec.mapping.tags = {"a", "b"};
  rec.mapping.keys = {{"ed25519", "k1", "AAAA"}};
  rec.mapping.updated_at = 1700000000;
  rec.mapping.expires_at = 1800000000;
  auto back = parse_jsonl_record(export_line(rec), "", 0);
  REQUIRE(back.ok());
  CHECK(back->mapping.identifier == rec.mapping.identifier);
  CHECK(back->mapping.tags == rec.mapping.tags);
  CHECK(back->mapping.keys == rec.mapping.keys);
  CHECK(back->mapping.updated_at == rec.mapping.updated_at);
  CHECK(back->mapping.expires_at == rec.mapping.expires_at);
  rec.optout = true;
  auto opt = parse_jsonl_record(export_line(rec), "", 0);
  REQUIRE(opt.ok());
  CHECK(opt->optout);
}

// Found by fuzz_import_line (fuzz/corpus/fuzz_import_line/regression_*): records that imported
// but whose export line did not import again.
TEST_CASE("accepted records at the edges export to lines that import again") {
  const char* lines[] = {
      R"({"identifier": "acct:a@b.example", "provider": "a.example", "user": "x:1", "expires_at": "9999-12-31T23:59:59Z"})",
      R"({"identifier": "acct:a@b.example", "provider": "a.example", "user": "x:1", "updated_at": "0000-01-01T00:00:00Z"})",
  };
  for (const char* line : lines) {
    CAPTURE(line);
    auto r = parse_jsonl_record(line, "", 0);
    REQUIRE(r.ok());
    auto back = parse_jsonl_record(export_line(ExportRecord{false, r->mapping}), "", 1);
    REQUIRE(back.ok());
    CHECK(back->mapping.expires_at == r->mapping.expires_at);
    CHECK(back->mapping.updated_at == r->mapping.updated_at);
  }
  const char* refused[] = {
      R"({"identifier": "acct:a@b.example", "provider": "a.example", "user": "x:1", "expires_at": "9999-12-31T23:59:59-01:00"})",
      R"({"identifier": "acct:a@b.example", "provider": "a.example", "user": "x:1", "updated_at": "0000-01-01T00:00:00+00:01"})",
      R"({"identifier": "a%b@example.com", "provider": "a.example", "user": "x:1"})",
  };
  for (const char* line : refused) {
    CAPTURE(line);
    CHECK_FALSE(parse_jsonl_record(line, "", 0).ok());
  }
}
