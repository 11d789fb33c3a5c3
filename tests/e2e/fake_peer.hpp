// Test helper: a misbehaving peer DP on 127.0.0.1:<free port>, a cpp-httplib server in a thread.
// Kinds: wrong_key (honest shape, signed with a key other than the pinned one), silent (answers
// after `silence`, far past any deadline), garbage (200 with a body that is not JSON), oversized
// (a chunked body larger than the bound), http_error (an error JSON with another status than 200,
// 401 unless told), not_lookup (200 with JSON of another shape), short_batch (a batch answer with
// one result too few), and closed_port() for a peer that is down.
// One object per test; stopping wakes a silent handler so the destructor does not wait it out.
#pragma once

#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "tests/resolver/peer_signer.hpp"

namespace test {

class FakePeer {
 public:
  enum class Kind { wrong_key, silent, garbage, oversized, http_error, not_lookup, short_batch };

  // `status` is what http_error answers.
  FakePeer(Kind kind, std::string domain, int status = 401)
      : kind_(kind), status_(status), signer_{std::move(domain)} {
    server_.Get("/v1/lookup", [this](const httplib::Request& req, httplib::Response& res) {
      ++requests_;
      answer({req.get_param_value("id")}, false, res);
    });
    server_.Post("/v1/lookup", [this](const httplib::Request& req, httplib::Response& res) {
      ++requests_;
      std::vector<std::string> ids;
      auto body = nlohmann::json::parse(req.body, nullptr, false);
      if (body.is_object() && body["identifiers"].is_array()) {
        for (const auto& id : body["identifiers"]) ids.push_back(id.get<std::string>());
      }
      answer(ids, true, res);
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // cpp-httplib's stop() does nothing before the accept loop runs, so a peer stopped that early
    // would never stop: wait for the loop (the kernel accepts connections before it runs).
    while (port_ > 0 && !server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakePeer() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    server_.stop();
    thread_.join();
  }
  FakePeer(const FakePeer&) = delete;
  FakePeer& operator=(const FakePeer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& domain() const { return signer_.domain; }
  // The key to pin for this peer: its own, except wrong_key pins one it does not sign with.
  std::string pinned_key() const {
    return kind_ == Kind::wrong_key ? pinned_.public_key_b64() : signer_.public_key_b64();
  }
  int requests() const { return requests_; }

  // A loopback port nothing listens on: bound, then closed.
  static int closed_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
  }

 private:
  void answer(const std::vector<std::string>& ids, bool batch, httplib::Response& res) {
    switch (kind_) {
      case Kind::silent: {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, std::chrono::seconds(10), [&] { return stopping_; });
        break;
      }
      case Kind::garbage:
        res.set_content("<html>this is not JSON</html>", "text/html");
        return;
      case Kind::oversized:
        // Chunked, so no Content-Length warns the client: its receiver must stop reading.
        res.set_chunked_content_provider("application/json", [](size_t offset, httplib::DataSink& sink) {
          static const std::string chunk(64 * 1024, ' ');
          if (offset >= 8u * 1024 * 1024) {
            sink.done();
            return true;
          }
          return sink.write(chunk.data(), chunk.size());
        });
        return;
      case Kind::http_error:
        res.status = status_;
        res.set_content(R"({"error": {"code": "fake", "message": "The fake peer answers this status."}})",
                        "application/json");
        return;
      case Kind::not_lookup:
        res.set_content(R"({"hello": "world"})", "application/json");
        return;
      case Kind::wrong_key:
      case Kind::short_batch:
        break;
    }
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    nlohmann::json results = nlohmann::json::array();
    for (const auto& id : ids) {
      if (kind_ == Kind::short_batch && batch && results.size() + 1 == ids.size()) break;
      results.push_back(PeerSigner::answer(
          id, {signer_.mapping(signer_.claims(id, "evil.example", "mimi://evil.example/u/x", now))}));
    }
    res.set_content(batch ? nlohmann::json{{"results", results}}.dump() : results[0].dump(),
                    "application/json");
  }

  const Kind kind_;
  const int status_;
  PeerSigner signer_;
  PeerSigner pinned_{"unused.example"};
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<int> requests_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
};

}  // namespace test
