// Peppers and the hashes of Matrix addresses (DESIGN.md §11).
#include "resolver/pepper.hpp"

#include <algorithm>
#include <cstring>

#include <idn2.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "resolver/base64url.hpp"

namespace resolver {

Result<std::string> new_pepper() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    return Status(Code::internal, "the system random generator failed to make a pepper");
  }
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

bool has_matrix_addresses(std::string_view identifier) {
  return identifier.starts_with("tel:+") || identifier.starts_with("mailto:");
}

std::vector<MatrixAddress> matrix_addresses(std::string_view identifier) {
  std::vector<MatrixAddress> out;
  if (identifier.starts_with("tel:+")) {
    out.push_back({std::string(identifier.substr(5)), "msisdn"});
    return out;
  }
  if (!identifier.starts_with("mailto:")) return out;
  const std::string_view address = identifier.substr(7);
  out.push_back({std::string(address), "email"});
  const auto at = address.rfind('@');
  if (at == std::string_view::npos) return out;
  const std::string domain(address.substr(at + 1));
  if (!domain.starts_with("xn--") && domain.find(".xn--") == std::string::npos) return out;
  char* unicode = nullptr;
  // An A-label the canonicaliser wrote always decodes; should it not, the A-label form stands alone.
  if (idn2_to_unicode_8z8z(domain.c_str(), &unicode, 0) == IDN2_OK && unicode) {
    std::string u_form = std::string(address.substr(0, at + 1)) + unicode;
    if (u_form != address) out.push_back({std::move(u_form), "email"});
  }
  idn2_free(unicode);
  return out;
}

std::string matrix_hash(std::string_view address, std::string_view medium, std::string_view pepper) {
  std::string input;
  input.reserve(address.size() + medium.size() + pepper.size() + 2);
  input.append(address).append(" ").append(medium).append(" ").append(pepper);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
}

std::vector<std::string> matrix_hashes(std::string_view identifier, std::string_view pepper) {
  std::vector<std::string> out;
  for (const MatrixAddress& a : matrix_addresses(identifier)) out.push_back(matrix_hash(a.address, a.medium, pepper));
  return out;
}

std::vector<HashedAddress> sorted_hashes(std::span<const std::string> identifiers, std::string_view pepper) {
  std::vector<HashedAddress> out;
  out.reserve(identifiers.size());
  for (std::size_t i = 0; i < identifiers.size(); ++i) {
    for (const MatrixAddress& a : matrix_addresses(identifiers[i])) {
      const std::string hash = matrix_hash(a.address, a.medium, pepper);
      HashedAddress h{};
      std::memcpy(h.hash.data(), hash.data(), std::min(hash.size(), h.hash.size()));
      h.identifier = static_cast<std::uint32_t>(i);
      out.push_back(h);
    }
  }
  // memcmp order is the byte order SQLite's BINARY and PostgreSQL's "C" collation sort by.
  std::sort(out.begin(), out.end(), [](const HashedAddress& a, const HashedAddress& b) {
    return std::memcmp(a.hash.data(), b.hash.data(), a.hash.size()) < 0;
  });
  return out;
}

}  // namespace resolver
