// The JSON bodies of the lookup and admin routes through Service::handle, over a real SqliteStore
// (fuzz/service_harness.hpp). Input: one byte choosing the route and caller (kRoutes; the seeds use
// the digits '0'-'5'), then the body. Every answer must be 2xx or 4xx with a JSON body.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/service_harness.hpp"

namespace {

struct Route {
  const char* method;
  const char* path;
  int caller;  // 0 anonymous, 1 client, 2 admin
};
constexpr Route kRoutes[] = {
    {"POST", "/v1/lookup", 0},        {"POST", "/v1/lookup", 1},        {"PUT", "/v1/admin/mappings", 2},
    {"DELETE", "/v1/admin/mappings", 2}, {"POST", "/v1/admin/optout", 2}, {"DELETE", "/v1/admin/optout", 2},
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::fixture();  // the store, its keys and tokens, once
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const Route& route = kRoutes[data[0] % std::size(kRoutes)];
  auto& f = fuzz::fixture();
  discovery::Request r;
  r.method = route.method;
  r.target = route.path;
  r.body.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  r.remote_ip = "192.0.2.7";
  r.headers.emplace_back("Content-Type", "application/json");
  if (route.caller > 0) r.headers.emplace_back("Authorization", "Bearer " + (route.caller == 2 ? f.admin : f.client));
  fuzz::answer(r);
  return 0;
}
