// End-to-end test of discoveryd over HTTPS with a self-signed certificate (docs/DEPENDENCIES.md trap 6).
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "server_fixture.hpp"

TEST_CASE("server: TLS with --tls-cert and --tls-key") {
  test::DemoIndex demo;
  std::string cert = demo.dir.file("cert.pem"), key = demo.dir.file("key.pem");
  auto made = test::run({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                         "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"});
  REQUIRE(made.exit_code == 0);
  test::Server server(demo.db, {"--tls-cert", cert, "--tls-key", key});
  CHECK(server.base_url().rfind("https://127.0.0.1:", 0) == 0);

  httplib::SSLClient c("127.0.0.1", server.port());
  c.set_ca_cert_path(cert.c_str());
  c.enable_server_certificate_verification(true);
  c.set_connection_timeout(5, 0);
  c.set_read_timeout(10, 0);
  for (int i = 0; i < 3; ++i) {  // keep-alive over TLS
    auto r = c.Get("/v1/lookup?id=alice@example.com");
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(nlohmann::json::parse(r->body)["status"] == "found");
  }
  // Plain HTTP to the TLS port is refused without harming the server.
  std::string raw = test::raw_exchange(server.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", std::chrono::seconds(2));
  CHECK(raw.rfind("HTTP/1.1 200", 0) != 0);
  auto r = c.Get("/healthz");
  REQUIRE(r);
  CHECK(r->status == 200);

  // A certificate that does not load is exit 1 with one sentence.
  auto bad = test::run({test::bin("discoveryd"), "--db", demo.db, "--listen", "127.0.0.1:0", "--tls-cert",
                        demo.dir.file("none.pem"), "--tls-key", key});
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("TLS certificate") != std::string::npos);
}
