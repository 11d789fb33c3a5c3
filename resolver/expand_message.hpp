// expand_message_xmd with SHA-512 (RFC 9380 §5.3.1), the uniform-bytes step of hash-to-group and
// hash-to-scalar in the OPRF of DESIGN.md §12. A pure function; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "resolver/status.hpp"

namespace resolver {

// `len_in_bytes` uniform bytes from `msg` under the domain separation tag `dst`.
// invalid_request when len_in_bytes > 65535, ceil(len_in_bytes / 64) > 255 or len(dst) > 255
// (the aborts of RFC 9380 §5.3.1); len_in_bytes 0 gives the empty string.
Result<std::string> expand_message_xmd_sha512(std::string_view msg, std::string_view dst,
                                              std::size_t len_in_bytes);

}  // namespace resolver
