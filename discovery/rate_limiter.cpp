// The caller key of DESIGN.md §7.
#include "discovery/rate_limiter.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace discovery {

std::string caller_key(const std::optional<std::string>& token_id, const std::string& remote_ip) {
  if (token_id) return "token:" + *token_id;
  unsigned char v6[16];
  if (inet_pton(AF_INET6, remote_ip.c_str(), v6) == 1) {
    static const unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    char text[INET6_ADDRSTRLEN] = {};
    if (std::memcmp(v6, kMapped, sizeof kMapped) == 0) {
      inet_ntop(AF_INET, v6 + 12, text, sizeof text);
      return std::string("ip:") + text;
    }
    // One subscriber usually holds a whole /64 (RFC 6177): limit the prefix, not the address.
    std::memset(v6 + 8, 0, 8);
    inet_ntop(AF_INET6, v6, text, sizeof text);
    return std::string("ip:") + text + "/64";
  }
  return "ip:" + remote_ip;
}

}  // namespace discovery
