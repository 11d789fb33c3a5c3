// The Store contract for Matrix lookup peppers and address hashes (resolver/store.hpp, DESIGN.md
// §11): rotation, the hashes kept by every kind of mapping write, lookup by hash, and dropping a
// retired pepper's hashes, run on every store in MIMI_STORES.
#include <doctest/doctest.h>

#include <atomic>
#include <limits>
#include <thread>
#include <vector>

#include "resolver/pepper.hpp"
#include "resolver/store.hpp"
#include "tests/resolver/store_conformance.hpp"

using namespace resolver;
using test::mapping;

namespace {

const std::string kPhone = "tel:+14155552671";
const std::string kEmail = "mailto:alice@example.com";
const std::string kIdn = "mailto:j\xc3\xb6rg@xn--bcher-kva.example";  // jörg@bücher.example
const std::string kHandle = "acct:carol@chat.example";
constexpr UnixTime kFirstOnly = std::numeric_limits<UnixTime>::min();

// The current pepper's value. REQUIRES: one exists.
std::string current(Store& store) {
  auto all = store.peppers();
  REQUIRE(all.ok());
  REQUIRE_FALSE(all->empty());
  CHECK_FALSE(all->front().retired_at.has_value());
  return all->front().value;
}

// What identifiers_by_hash answers for each hash.
std::vector<std::string> by_hash(Store& store, const std::string& pepper, const std::vector<std::string>& hashes) {
  auto r = store.identifiers_by_hash(pepper, hashes);
  REQUIRE_MESSAGE(r.ok(), r.status().message());
  REQUIRE(r->size() == hashes.size());
  return *r;
}

// The identifier found by the hash of `address medium` under `pepper`, or "".
std::string find(Store& store, const std::string& pepper, const std::string& address, const std::string& medium) {
  return by_hash(store, pepper, {matrix_hash(address, medium, pepper)}).front();
}

}  // namespace

TEST_CASE("pepper: addresses and hashes as Matrix clients compute them") {
  CHECK(matrix_addresses(kPhone).size() == 1);
  CHECK(matrix_addresses(kPhone)[0].address == "14155552671");
  CHECK(matrix_addresses(kPhone)[0].medium == "msisdn");
  CHECK(matrix_addresses(kEmail)[0].address == "alice@example.com");
  CHECK(matrix_addresses(kEmail)[0].medium == "email");
  auto idn = matrix_addresses(kIdn);
  REQUIRE(idn.size() == 2);
  CHECK(idn[0].address == "j\xc3\xb6rg@xn--bcher-kva.example");
  CHECK(idn[1].address == "j\xc3\xb6rg@b\xc3\xbc" "cher.example");
  CHECK(matrix_addresses(kHandle).empty());
  // The example of the Matrix identity service spec (v1.x, "Client behaviour" of hashed lookups).
  CHECK(matrix_hash("alice@example.com", "email", "matrixrocks") == "4kenr7N9drpCJ4AfalmlGQVsOn3o2RHjkADUpXJWZUc");
  auto pepper = new_pepper();
  REQUIRE(pepper.ok());
  CHECK(pepper->size() == 43);
  CHECK(*new_pepper() != *pepper);
}

TEST_CASE_TEMPLATE("store: the first pepper is made once, with the hashes of existing mappings", F, MIMI_STORES) {
  F factory;
  const auto store = factory.make();
  REQUIRE(store->peppers()->empty());
  REQUIRE(*store->upsert_mappings({mapping(kPhone, "a.example", "u"), mapping(kHandle, "a.example", "c")}) == 2);
  CHECK(*store->rotate_pepper(100, kFirstOnly));
  CHECK_FALSE(*store->rotate_pepper(200, kFirstOnly));  // one exists: only "due" rotates it
  auto all = store->peppers();
  REQUIRE(all->size() == 1);
  CHECK(all->front().value.size() == 43);
  CHECK(all->front().created_at == 100);
  const std::string p = current(*store);
  CHECK(find(*store, p, "14155552671", "msisdn") == kPhone);
  CHECK(find(*store, p, "+14155552671", "msisdn").empty());
  CHECK(find(*store, p, "14155552671", "email").empty());
  CHECK(by_hash(*store, "not-a-pepper", {matrix_hash("14155552671", "msisdn", p)}).front().empty());
}

TEST_CASE_TEMPLATE("store: every mapping write keeps the hashes under every live pepper", F, MIMI_STORES) {
  F factory;
  const auto store = factory.make();
  REQUIRE(*store->rotate_pepper(100, kFirstOnly));
  const std::string old = current(*store);
  REQUIRE(*store->upsert_mappings({mapping(kEmail, "a.example", "u")}) == 1);
  REQUIRE(*store->rotate_pepper(200, 150));  // the first pepper was made at 100 <= 150
  CHECK_FALSE(*store->rotate_pepper(210, 150));
  const std::string now = current(*store);
  REQUIRE(now != old);
  auto all = store->peppers();
  REQUIRE(all->size() == 2);
  CHECK((*all)[1].value == old);
  CHECK((*all)[1].retired_at == std::optional<UnixTime>(200));
  // Upserts, under both peppers; the IDN address in both forms.
  REQUIRE(*store->upsert_mappings({mapping(kPhone, "a.example", "u"), mapping(kPhone, "b.example", "v"),
                                   mapping(kIdn, "a.example", "j")}) == 3);
  for (const std::string& p : {old, now}) {
    CAPTURE(p);
    CHECK(find(*store, p, "alice@example.com", "email") == kEmail);
    CHECK(find(*store, p, "14155552671", "msisdn") == kPhone);
    CHECK(find(*store, p, "j\xc3\xb6rg@xn--bcher-kva.example", "email") == kIdn);
    CHECK(find(*store, p, "j\xc3\xb6rg@b\xc3\xbc" "cher.example", "email") == kIdn);
  }
  // A batch, in input order, with a miss and a repeat.
  auto many = by_hash(*store, now, {matrix_hash("14155552671", "msisdn", now), "nope",
                                    matrix_hash("alice@example.com", "email", now),
                                    matrix_hash("14155552671", "msisdn", now)});
  CHECK(many == std::vector<std::string>{kPhone, "", kEmail, kPhone});
  // Removing one of two providers keeps the hash; removing the last drops it.
  REQUIRE(*store->remove_mappings(kPhone, std::string("a.example")) == 1);
  CHECK(find(*store, now, "14155552671", "msisdn") == kPhone);
  REQUIRE(*store->remove_mappings(kPhone, std::nullopt) == 1);
  CHECK(find(*store, now, "14155552671", "msisdn").empty());
  CHECK(find(*store, old, "14155552671", "msisdn").empty());
  // An opt-out drops them.
  REQUIRE(*store->add_optout(kIdn, 300) == 1);
  CHECK(find(*store, now, "j\xc3\xb6rg@b\xc3\xbc" "cher.example", "email").empty());
  CHECK(find(*store, old, "j\xc3\xb6rg@xn--bcher-kva.example", "email").empty());
  CHECK(find(*store, now, "alice@example.com", "email") == kEmail);
}

TEST_CASE_TEMPLATE("store: an import keeps the hashes when it commits, and only then", F, MIMI_STORES) {
  F factory;
  const auto store = factory.make();
  REQUIRE(*store->rotate_pepper(100, kFirstOnly));
  const std::string p = current(*store);
  REQUIRE(*store->upsert_mappings({mapping(kEmail, "a.example", "u")}) == 1);
  {
    auto session = store->begin_import();
    REQUIRE(session.ok());
    REQUIRE((*session)->put_mapping(mapping(kPhone, "a.example", "u")).ok());
  }  // rolled back
  CHECK(find(*store, p, "14155552671", "msisdn").empty());
  auto session = store->begin_import();
  REQUIRE(session.ok());
  REQUIRE((*session)->put_mapping(mapping(kPhone, "a.example", "u")).ok());
  REQUIRE((*session)->put_mapping(mapping(kIdn, "a.example", "j")).ok());
  REQUIRE((*session)->put_optout(kIdn, 120).ok());  // put, then opted out in the same import
  REQUIRE((*session)->put_optout(kEmail, 120).ok());
  REQUIRE((*session)->commit().ok());
  CHECK(find(*store, p, "14155552671", "msisdn") == kPhone);
  CHECK(find(*store, p, "j\xc3\xb6rg@xn--bcher-kva.example", "email").empty());
  CHECK(find(*store, p, "alice@example.com", "email").empty());
}

TEST_CASE_TEMPLATE("store: an import keeps the hashes of new and indexed identifiers under every pepper", F,
                   MIMI_STORES) {
  F factory;
  const auto store = factory.make();
  const std::string kOther = "mailto:bob@example.com";
  REQUIRE(*store->upsert_mappings({mapping(kEmail, "a.example", "u"), mapping(kOther, "a.example", "b")}) == 2);
  REQUIRE(*store->rotate_pepper(100, kFirstOnly));
  const std::string old = current(*store);
  REQUIRE(*store->rotate_pepper(200, 200));
  const std::string now = current(*store);
  auto session = store->begin_import();
  REQUIRE(session.ok());
  REQUIRE((*session)->expect(std::vector<std::string>{kEmail, kOther, kPhone, kIdn}).ok());
  REQUIRE((*session)->put_mapping(mapping(kEmail, "b.example", "v")).ok());  // indexed, a second provider
  REQUIRE((*session)->put_optout(kOther, 210).ok());                          // indexed, opted out ...
  REQUIRE((*session)->put_mapping(mapping(kOther, "a.example", "b")).ok());   // ... and put again
  REQUIRE((*session)->put_mapping(mapping(kPhone, "a.example", "u")).ok());   // new
  REQUIRE((*session)->put_mapping(mapping(kIdn, "a.example", "j")).ok());     // new, two addresses
  REQUIRE((*session)->commit().ok());
  for (const std::string& p : {old, now}) {
    CAPTURE(p);
    CHECK(find(*store, p, "alice@example.com", "email") == kEmail);
    CHECK(find(*store, p, "bob@example.com", "email") == kOther);  // mapped again after its opt-out
    CHECK(find(*store, p, "14155552671", "msisdn") == kPhone);
    CHECK(find(*store, p, "j\xc3\xb6rg@xn--bcher-kva.example", "email") == kIdn);
    CHECK(find(*store, p, "j\xc3\xb6rg@b\xc3\xbc" "cher.example", "email") == kIdn);
  }
}

TEST_CASE_TEMPLATE("store: a retired pepper's hashes are dropped, its times kept", F, MIMI_STORES) {
  F factory;
  const auto store = factory.make();
  REQUIRE(*store->upsert_mappings({mapping(kPhone, "a.example", "u")}) == 1);
  REQUIRE(*store->rotate_pepper(100, kFirstOnly));
  const std::string old = current(*store);
  REQUIRE(*store->rotate_pepper(200, 200));
  const std::string now = current(*store);
  CHECK(*store->drop_pepper_hashes(199) == 0);
  CHECK(find(*store, old, "14155552671", "msisdn") == kPhone);
  CHECK(*store->drop_pepper_hashes(200) == 1);
  CHECK(*store->drop_pepper_hashes(200) == 0);
  CHECK(find(*store, old, "14155552671", "msisdn").empty());
  CHECK(find(*store, now, "14155552671", "msisdn") == kPhone);
  REQUIRE(store->peppers()->size() == 1);
  // Later writes do not hash under a dropped pepper.
  REQUIRE(*store->upsert_mappings({mapping(kEmail, "a.example", "u")}) == 1);
  CHECK(find(*store, old, "alice@example.com", "email").empty());
  CHECK(find(*store, now, "alice@example.com", "email") == kEmail);
}

TEST_CASE_TEMPLATE("store: timers that fire at once rotate once", F, MIMI_STORES) {
  F factory;
  const auto store = factory.make();
  REQUIRE(*store->upsert_mappings({mapping(kPhone, "a.example", "u")}) == 1);
  REQUIRE(*store->rotate_pepper(100, kFirstOnly));
  std::atomic<int> rotated{0};
  std::vector<std::thread> timers;
  for (int i = 0; i < 4; ++i) {
    timers.emplace_back([&] {
      auto r = store->rotate_pepper(1000, 900);  // due: the current pepper is older than 900
      REQUIRE(r.ok());
      if (*r) ++rotated;
    });
  }
  for (auto& t : timers) t.join();
  CHECK(rotated == 1);
  CHECK(store->peppers()->size() == 2);
  CHECK(find(*store, current(*store), "14155552671", "msisdn") == kPhone);
}
