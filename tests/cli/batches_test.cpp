// How mimi-lookup sizes its batches (cli/discovery_client.hpp): the first batch from the metadata,
// a 413 naming a smaller count splitting the batches, and a failure stopping the batches after it.
#include <doctest/doctest.h>

#include <utility>
#include <vector>

#include "cli/discovery_client.hpp"

using nlohmann::json;
using resolver::Code;
using resolver::Status;

namespace {

// The (position, count) of every call of send_in_batches over [first, end).
struct Calls {
  std::vector<std::pair<std::size_t, std::size_t>> seen;
  std::pair<std::size_t, Status> run(std::size_t first, std::size_t end, std::size_t batch,
                                     const std::function<Status(std::size_t, std::size_t)>& answer) {
    return cli::send_in_batches(first, end, batch, [&](std::size_t position, std::size_t count) {
      seen.emplace_back(position, count);
      return answer(position, count);
    });
  }
};

using Seen = std::vector<std::pair<std::size_t, std::size_t>>;

}  // namespace

TEST_CASE("send_in_batches: every position once, in batches of at most the batch") {
  Calls calls;
  auto result = calls.run(2, 12, 4, [](std::size_t, std::size_t) { return Status::Ok(); });
  CHECK(result.first == 12);
  CHECK(result.second.ok());
  CHECK(calls.seen == Seen{{2, 4}, {6, 4}, {10, 2}});
  Calls none;
  CHECK(none.run(5, 5, 4, [](std::size_t, std::size_t) { return Status::Ok(); }).second.ok());
  CHECK(none.seen.empty());
}

TEST_CASE("send_in_batches: a 413 naming a smaller count splits, and the same positions are sent again") {
  Calls calls;
  const auto answer = [](std::size_t, std::size_t count) {
    return count > 3 ? Status(Code::payload_too_large, "This caller may send at most 3 elements per request; split it.")
                     : Status::Ok();
  };
  auto result = calls.run(0, 10, 256, answer);
  CHECK(result.second.ok());
  CHECK(calls.seen == Seen{{0, 10}, {0, 3}, {3, 3}, {6, 3}, {9, 1}});

  // A 413 that names no smaller count is a failure like any other.
  Calls stuck;
  auto refused = stuck.run(0, 10, 4, [](std::size_t, std::size_t) {
    return Status(Code::payload_too_large, "A batch holds at most 4 identifiers; split it into several requests.");
  });
  CHECK(refused.first == 0);
  CHECK(refused.second.code() == Code::payload_too_large);
  CHECK(stuck.seen == Seen{{0, 4}});
}

TEST_CASE("send_in_batches: the first other failure stops the batches after it") {
  Calls calls;
  auto result = calls.run(0, 10, 3, [](std::size_t position, std::size_t) {
    return position == 3 ? Status(Code::rate_limited, "Too many lookups. Retry after 2 s.") : Status::Ok();
  });
  CHECK(result.first == 3);
  CHECK(result.second.code() == Code::rate_limited);
  CHECK(calls.seen == Seen{{0, 3}, {3, 3}});
}

TEST_CASE("first_batch: an anonymous caller sends no more than the anonymous max_batch") {
  const json meta = {{"issuer", "dp.example"},
                     {"rate_limits", {{"anonymous", {{"max_batch", 40}}}, {"client", {{"max_batch", 400}}}}}};
  CHECK(cli::first_batch(meta, true, 256) == 40);
  CHECK(cli::first_batch(meta, true, 10) == 10);
  CHECK(cli::first_batch(meta, false, 256) == 256);  // the role of a token is not known: the 413 says
  CHECK(cli::first_batch(json{{"issuer", "dp.example"}}, true, 256) == 256);  // no limits published
  CHECK(cli::first_batch(json{{"rate_limits", {{"anonymous", {{"max_batch", "x"}}}}}}, true, 256) == 256);
  CHECK(cli::first_batch(json::object(), true, 0) == 1);
}
