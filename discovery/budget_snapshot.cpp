// Encoding and atomic writing of the budget snapshot. The format is fixed-width little-endian so
// that decoding can check every length against the bytes left before trusting it.
#include "discovery/budget_snapshot.hpp"

#include <fcntl.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace discovery {
namespace {

using resolver::Code;
using resolver::Status;

constexpr std::string_view kMagic = "MIMIRL01";
constexpr std::size_t kTrailer = SHA256_DIGEST_LENGTH;

void put(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// Reads fixed-width fields from a span, failing once instead of at every call.
class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  bool need(std::size_t n) const { return b_.size() - pos_ >= n; }
  std::uint64_t get(int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i)
      v |= std::uint64_t{static_cast<unsigned char>(b_[pos_ + i])} << (8 * i);
    pos_ += static_cast<std::size_t>(bytes);
    return v;
  }
  void copy(std::uint8_t* to, std::size_t n) {
    std::memcpy(to, b_.data() + pos_, n);
    pos_ += n;
  }
  bool done() const { return pos_ == b_.size(); }

 private:
  std::string_view b_;
  std::size_t pos_ = 0;
};

Status corrupt(const std::string& why) {
  return Status(Code::invalid_request, "The rate-limit snapshot is not valid: " + why + ".");
}

Status io_error(const std::string& what, const std::string& path) {
  return Status(Code::unavailable,
                "Cannot " + what + " " + path + ": " + std::strerror(errno) + ".");
}

}  // namespace

std::string encode_snapshot(const std::vector<CallerBudget>& budgets) {
  std::string out(kMagic);
  put(out, budgets.size(), 4);
  for (const auto& b : budgets) {
    out.append(reinterpret_cast<const char*>(b.caller.data()), b.caller.size());
    put(out, static_cast<std::uint64_t>(b.role), 1);
    put(out, b.entries.size(), 4);
    for (const auto& e : b.entries) {
      put(out, e.hash, 8);
      put(out, static_cast<std::uint64_t>(e.at), 8);
    }
  }
  unsigned char digest[kTrailer];
  SHA256(reinterpret_cast<const unsigned char*>(out.data()), out.size(), digest);
  out.append(reinterpret_cast<const char*>(digest), kTrailer);
  return out;
}

resolver::Result<std::vector<CallerBudget>> decode_snapshot(std::string_view bytes) {
  if (bytes.size() < kMagic.size() + 4 + kTrailer || bytes.substr(0, kMagic.size()) != kMagic) {
    return corrupt("it does not start with the snapshot header");
  }
  std::string_view body = bytes.substr(0, bytes.size() - kTrailer);
  unsigned char digest[kTrailer];
  SHA256(reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest);
  if (std::memcmp(digest, bytes.data() + body.size(), kTrailer) != 0) {
    return corrupt("its checksum does not match (torn or edited file)");
  }
  Reader r(body.substr(kMagic.size()));
  std::uint64_t callers = r.get(4);
  std::vector<CallerBudget> out;
  for (std::uint64_t i = 0; i < callers; ++i) {
    if (!r.need(16 + 1 + 4)) return corrupt("caller " + std::to_string(i) + " is cut short");
    CallerBudget b;
    r.copy(b.caller.data(), b.caller.size());
    std::uint64_t role = r.get(1);
    if (role > static_cast<std::uint64_t>(resolver::Role::admin))
      return corrupt("a role is unknown");
    b.role = static_cast<resolver::Role>(role);
    std::uint64_t n = r.get(4);
    if (!r.need(n * 16)) return corrupt("caller " + std::to_string(i) + "'s entries are cut short");
    b.entries.reserve(n);
    for (std::uint64_t k = 0; k < n; ++k) {
      std::uint64_t h = r.get(8);
      b.entries.push_back({h, static_cast<resolver::UnixTime>(r.get(8))});
    }
    out.push_back(std::move(b));
  }
  if (!r.done()) return corrupt("it has bytes after the last caller");
  return out;
}

Status write_snapshot_file(const std::string& path, std::string_view bytes) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("create", tmp);
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Status s = io_error("write", tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return s;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Status s = io_error("sync", tmp);
    ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = io_error("rename the snapshot to", path);
    ::unlink(tmp.c_str());
    return s;
  }
  return Status::Ok();
}

resolver::Result<std::string> read_snapshot_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT)
      return Status(Code::not_found, "There is no rate-limit snapshot at " + path + ".");
    return io_error("read", path);
  }
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) return io_error("read", path);
  return s.str();
}

}  // namespace discovery
