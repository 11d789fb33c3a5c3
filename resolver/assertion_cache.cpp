// AssertionCache: the key of a signed assertion.
#include "resolver/assertion_cache.hpp"

namespace resolver {

std::string AssertionCache::key_for(const Mapping& m, const std::string& kid) {
  std::string key;
  key.reserve(m.identifier.size() + m.provider.size() + m.user.size() + kid.size() + 24);
  // NUL cannot occur in any of these fields (they are validated), so the key is unambiguous.
  key.append(m.identifier).push_back('\0');
  key.append(m.provider).push_back('\0');
  key.append(m.user).push_back('\0');
  key.append(std::to_string(m.revision)).push_back('\0');
  key.append(kid);
  return key;
}

}  // namespace resolver
