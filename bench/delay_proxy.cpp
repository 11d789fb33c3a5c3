// delay_proxy: an HTTP reverse proxy that adds a fixed latency before forwarding each request to
// one upstream (a real discoveryd), so bench/federation.sh can model a distant peer on loopback.
// Usage: delay_proxy UPSTREAM_URL DELAY_MS   -- prints "listening on http://127.0.0.1:PORT".
#include <httplib.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: delay_proxy UPSTREAM_URL DELAY_MS\n";
    return 2;
  }
  const std::string upstream = argv[1];
  const auto delay = std::chrono::milliseconds(std::atoi(argv[2]));
  httplib::Server server;
  server.new_task_queue = [] { return new httplib::ThreadPool(64); };
  auto forward = [&](const httplib::Request& req, httplib::Response& res) {
    std::this_thread::sleep_for(delay);
    httplib::Client client(upstream);
    client.set_connection_timeout(std::chrono::seconds(5));
    client.set_read_timeout(std::chrono::seconds(5));
    client.set_write_timeout(std::chrono::seconds(5));
    httplib::Headers headers;
    if (req.has_header("Authorization")) headers.emplace("Authorization", req.get_header_value("Authorization"));
    auto r = req.method == "POST"
                 ? client.Post(req.target.c_str(), headers, req.body, "application/json")
                 : client.Get(req.target.c_str(), headers);
    if (!r) {
      res.status = 502;
      return;
    }
    res.status = r->status;
    res.set_content(r->body, "application/json");
  };
  server.Get(".*", forward);
  server.Post(".*", forward);
  const int port = server.bind_to_any_port("127.0.0.1");
  if (port < 0) {
    std::cerr << "delay_proxy: cannot bind\n";
    return 1;
  }
  std::cout << "listening on http://127.0.0.1:" << port << std::endl;
  server.listen_after_bind();
  return 0;
}
