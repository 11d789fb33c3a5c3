// PrivateLookup: the batches, the bucket fetches and the threads that run them, and the one re-read
// of the metadata after an epoch change (DESIGN.md §12).
#include "cli/private_lookup.hpp"

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "resolver/private_record.hpp"

namespace cli {
namespace {

using nlohmann::json;
using resolver::Code;
using resolver::Result;
using resolver::Status;

// The answer GET /v1/lookup?federate=false gives for an identifier the index does not hold: what
// a bucket without the identifier's entry means.
json not_found_answer(const resolver::Identifier& id) {
  return {{"identifier", id.canonical}, {"type", std::string(resolver::type_name(id.type))}, {"status", "not_found"},
          {"mappings", json::array()},   {"complete", true},                     {"peers", json::array()}};
}

}  // namespace

Result<PrivateServer> read_private_server(const json& metadata, bool anonymous) {
  const auto issuer_it = metadata.find("issuer");
  const std::string issuer = issuer_it != metadata.end() && issuer_it->is_string() ? issuer_it->get<std::string>() : "The server";
  auto key = resolver::read_private_metadata(metadata);
  if (!key && key.status().code() == Code::not_found) {
    return Status(Code::not_found, issuer + " does not offer private lookups (no \"private\" in its "
                                            "/.well-known/mimi-discovery); look up without --private.");
  }
  if (!key) {
    return Status(Code::invalid_request, "The private lookups of " + issuer + " cannot be used: " +
                                             key.status().message() + ".");
  }
  PrivateServer server;
  server.batch = first_batch(metadata, anonymous, key->max_elements);
  server.key = std::move(*key);
  return server;
}

std::vector<Result<json>> PrivateLookup::lookup(const std::vector<resolver::Identifier>& ids) {
  // Each canonical identifier is evaluated once: an element costs a unit of the distinct budget.
  std::vector<resolver::Identifier> distinct;
  std::unordered_map<std::string, std::size_t> seen;
  std::vector<std::size_t> slot;
  slot.reserve(ids.size());
  for (const auto& id : ids) {
    const auto inserted = seen.emplace(id.canonical, distinct.size());
    if (inserted.second) distinct.push_back(id);
    slot.push_back(inserted.first->second);
  }
  auto answers = pass(distinct);

  // The key went away during the run (a rotation, then its grace period ended): read the
  // metadata once more and look those identifiers up again under the key it names.
  std::vector<std::size_t> changed;
  for (std::size_t i = 0; i < answers.size(); ++i) {
    if (!answers[i] && answers[i].status().code() == Code::key_changed) changed.push_back(i);
  }
  if (!changed.empty()) {
    auto meta = client_.metadata(base_url_);
    auto fresh = meta ? read_private_server(*meta, anonymous_) : Result<PrivateServer>(meta.status());
    if (fresh && fresh->key.key_id != server_.key.key_id) {
      server_ = std::move(*fresh);
      std::vector<resolver::Identifier> again;
      for (std::size_t i : changed) again.push_back(distinct[i]);
      auto retried = pass(again);
      for (std::size_t k = 0; k < changed.size(); ++k) answers[changed[k]] = std::move(retried[k]);
    }
    const Status gave_up(Code::key_changed,
                         "The server stopped serving the key of its private lookups during this lookup, and "
                         "its metadata read again named no key it serves" +
                             (fresh ? std::string() : " (" + fresh.status().message() + ")") + "; try again.");
    for (std::size_t i : changed) {
      if (!answers[i] && answers[i].status().code() == Code::key_changed) answers[i] = gave_up;
    }
  }

  std::vector<Result<json>> out;
  out.reserve(ids.size());
  for (std::size_t s : slot) out.push_back(answers[s]);
  return out;
}

std::vector<Result<json>> PrivateLookup::pass(const std::vector<resolver::Identifier>& ids) {
  const std::size_t n = ids.size();
  if (n == 0) return {};
  const PrivateServer server = server_;

  // The evaluate side: each identifier's query and its index there, or why it has none.
  std::vector<std::shared_ptr<const resolver::PrivateQuery>> query_of(n);
  std::vector<std::size_t> index_in(n, 0);
  std::vector<Status> failed(n);
  // The bucket side: each distinct bucket once (it does not depend on the evaluation).
  std::vector<std::int64_t> bucket_numbers;
  std::unordered_map<std::int64_t, std::size_t> bucket_slot;
  std::vector<std::size_t> bucket_of(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto b = resolver::private_bucket(ids[i].canonical, server.key.bucket_bits);
    const auto inserted = bucket_slot.emplace(b, bucket_numbers.size());
    if (inserted.second) bucket_numbers.push_back(b);
    bucket_of[i] = inserted.first->second;
  }
  std::vector<Result<resolver::PrivateBucket>> buckets(bucket_numbers.size(),
                                                       Status(Code::internal, "The bucket was not fetched."));

  // The first refusal (a 429, a proof that does not verify, ...): requests not sent yet are not.
  std::mutex mu;
  Status stop;
  const auto stopped = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return stop;
  };

  // Identifiers [first, first + count): one evaluate request, or several when a 413 names a
  // smaller count than the batch.
  const auto evaluate = [&](std::size_t first, std::size_t count) {
    const auto failure = send_in_batches(first, first + count, count, [&](std::size_t position, std::size_t take) {
      if (Status s = stopped(); !s.ok()) return s;
      std::vector<std::string> chunk;
      chunk.reserve(take);
      for (std::size_t i = position; i < position + take; ++i) chunk.push_back(ids[i].canonical);
      auto query = resolver::PrivateQuery::start(server.key, std::move(chunk));
      if (!query) return query.status();
      auto answer = client_.private_evaluate(base_url_, query->evaluate_request());
      if (!answer) return answer.status();
      if (Status s = query->finish(*answer); !s.ok()) {
        return Status(Code::invalid_request,
                      "The answer of " + base_url_ + " to /v1/private/evaluate is refused: " + s.message() +
                          "; without a valid proof that the server used the key it publishes, nothing it "
                          "evaluated can be trusted.");
      }
      auto shared = std::make_shared<const resolver::PrivateQuery>(std::move(*query));
      for (std::size_t j = 0; j < take; ++j) {
        query_of[position + j] = shared;
        index_in[position + j] = j;
      }
      return Status::Ok();
    });
    for (std::size_t i = failure.first; i < first + count; ++i) failed[i] = failure.second;
    if (failure.second.ok() || failure.second.code() == Code::key_changed) return;  // retried by lookup()
    std::lock_guard<std::mutex> lock(mu);
    if (stop.ok()) stop = failure.second;
  };

  const auto fetch_bucket = [&](std::size_t k) {
    if (Status s = stopped(); !s.ok()) {
      buckets[k] = s;
      return;
    }
    auto body = client_.private_bucket(base_url_, server.key.key_id, bucket_numbers[k]);
    if (!body) {
      buckets[k] = body.status();
      return;
    }
    auto read = resolver::read_private_bucket(*body);
    if (!read) {
      buckets[k] = Status(Code::invalid_request,
                          "A bucket answer of " + base_url_ + " cannot be read: " + read.status().message() + ".");
      return;
    }
    buckets[k] = std::move(read);
  };

  // The evaluations first (the server's work is the longest), then the buckets, on a few threads.
  const std::size_t batch = std::max<std::size_t>(1, server.batch);
  const std::size_t batches = (n + batch - 1) / batch;
  const std::size_t tasks = batches + bucket_numbers.size();
  std::atomic<std::size_t> next{0};
  const auto work = [&] {
    for (std::size_t t = next++; t < tasks; t = next++) {
      try {
        if (t < batches) {
          evaluate(t * batch, std::min(batch, n - t * batch));
        } else {
          fetch_bucket(t - batches);
        }
      } catch (const std::exception& e) {  // bad_alloc, or a bug: this task's identifiers fail
        const Status s(Code::internal, std::string("The private lookup failed unexpectedly (") + e.what() + ").");
        if (t < batches) {
          for (std::size_t i = t * batch; i < std::min(n, (t + 1) * batch); ++i) failed[i] = s;
        } else {
          buckets[t - batches] = s;
        }
      }
    }
  };
  std::vector<std::thread> pool;
  for (std::size_t k = 1; k < std::min<std::size_t>(threads_, tasks); ++k) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();

  std::vector<Result<json>> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const auto& bucket = buckets[bucket_of[i]];
    if (!failed[i].ok()) {
      out.emplace_back(failed[i]);
    } else if (!bucket) {
      out.emplace_back(bucket.status());
    } else if (!query_of[i]) {
      out.emplace_back(Status(Code::internal, "The identifier was not evaluated."));
    } else if (auto opened = query_of[i]->open(index_in[i], *bucket); !opened) {
      out.emplace_back(Status(Code::invalid_request, "The sealed record of " + base_url_ +
                                                      " for this identifier cannot be opened: " +
                                                      opened.status().message() + "."));
    } else if (!*opened) {
      out.emplace_back(not_found_answer(ids[i]));
    } else {
      auto answer = json::parse(**opened, nullptr, /*allow_exceptions=*/false);
      if (answer.is_discarded() || !answer.is_object()) {
        out.emplace_back(Status(Code::invalid_request, "The sealed record of " + base_url_ +
                                                        " for this identifier is not a lookup answer."));
      } else {
        out.emplace_back(std::move(answer));
      }
    }
  }
  return out;
}

}  // namespace cli
