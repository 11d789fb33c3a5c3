// Benchmark helper for bench/import.sh: makes the data set and measures the floor of an import's
// CPU work (bare libphonenumber/libidn2 canonicalisation on N threads), without our code around it.
//   import_floor generate N SEED OUT_PREFIX   writes OUT_PREFIX.jsonl (input), .csv (canonical rows
//                                             for the sqlite3 shell) and .ids (raw identifiers)
//   import_floor canon IDS_FILE THREADS       canonicalises every line, prints seconds
#include <idn2.h>
#include <phonenumbers/phonenumberutil.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "resolver/identifier.hpp"

namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

// Mostly phone numbers in the shapes real address books hold, some emails and handles.
std::string make_identifier(std::mt19937_64& rng) {
  auto digits = [&](int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s.push_back(static_cast<char>('0' + rng() % 10));
    return s;
  };
  auto d2_9 = [&] { return std::string(1, static_cast<char>('2' + rng() % 8)); };
  switch (rng() % 20) {
    case 0: return "user" + digits(7) + "@Example" + std::to_string(rng() % 50) + ".com";
    case 1: return "@u" + digits(8) + "@chat.example";
    case 2: case 3: case 4: return "+44 20 7" + digits(3) + " " + digits(4);
    case 5: case 6: return "+49 30 " + d2_9() + digits(7);
    case 7: return "+33 1 " + digits(2) + " " + digits(2) + " " + digits(2) + " " + digits(2);
    default: {
      static const char* kArea[] = {"415", "212", "617", "312", "206", "303", "512", "646"};
      return "+1 (" + std::string(kArea[rng() % 8]) + ") " + d2_9() + digits(2) + "-" + digits(4);
    }
  }
}

// Candidate k draws from a generator of its own (SEED and k), so blocks of candidates are made and
// checked (libphonenumber's parse, most of the time) on every core and written in order: the rows
// are the same on any number of cores, and the first N rows of a larger set are the set of N. The
// workers are processes, not threads: libphonenumber's regex cache takes a lock on every use, and
// two threads spent their time waiting on it (no faster than one).
// A block's valid rows as "raw TAB canonical TAB provider" lines.
std::string make_block(unsigned long seed, long first, long count) {
  std::string out;
  for (long k = first; k < first + count; ++k) {
    std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ULL + static_cast<unsigned long>(k));
    const std::string raw = make_identifier(rng);
    auto id = resolver::parse_identifier(raw);
    if (!id) continue;  // keep the set clean: the benchmark measures a valid import
    out += raw + '\t' + id->canonical + '\t' + (rng() % 3 ? "chat.example" : "talk.example") + '\n';
  }
  return out;
}

// Runs make_block(seed, first, count) in a child process; read_block takes its output.
struct Worker {
  pid_t pid;
  int fd;
};

Worker start_block(unsigned long seed, long first, long count) {
  int p[2];
  if (pipe(p) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    close(p[0]);
    const std::string block = make_block(seed, first, count);
    for (std::size_t at = 0; at < block.size();) {
      const ssize_t n = write(p[1], block.data() + at, block.size() - at);
      if (n <= 0) _exit(1);
      at += static_cast<std::size_t>(n);
    }
    _exit(0);
  }
  close(p[1]);
  return {pid, p[0]};
}

std::string read_block(const Worker& w) {
  std::string out;
  char buf[1 << 16];
  for (ssize_t n; (n = read(w.fd, buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error("reading a block failed");
    out.append(buf, static_cast<std::size_t>(n));
  }
  close(w.fd);
  int status = 0;
  waitpid(w.pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error("a generator process failed");
  return out;
}

int generate(long n, unsigned long seed, const std::string& prefix) {
  constexpr long kBlock = 1 << 16;
  const long workers = std::max(1U, std::thread::hardware_concurrency());
  (void)PhoneNumberUtil::GetInstance();  // its metadata is parsed once, before the workers fork
  std::ofstream jsonl(prefix + ".jsonl"), csv(prefix + ".csv"), ids(prefix + ".ids");
  long written = 0;
  for (long first = 0; written < n; first += kBlock * workers) {
    std::vector<Worker> running;
    for (long w = 0; w < workers; ++w) running.push_back(start_block(seed, first + w * kBlock, kBlock));
    for (const Worker& w : running) {
      const std::string block = read_block(w);
      std::istringstream lines(block);
      for (std::string raw, canonical, provider; written < n && std::getline(lines, raw, '\t') &&
                                                 std::getline(lines, canonical, '\t') && std::getline(lines, provider);) {
        const std::string user = "mimi://" + provider + "/u/" + std::to_string(written);
        jsonl << R"({"identifier":")" << raw << R"(","provider":")" << provider << R"(","user":")" << user
              << R"(","tags":["personal"]})" << '\n';
        csv << canonical << ',' << provider << ',' << user << ",\"[\"\"personal\"\"]\",[]," << 1795800000 << '\n';
        ids << raw << '\n';
        ++written;
      }
    }
  }
  return jsonl && csv && ids ? 0 : 1;
}

// What a minimal canonicaliser must do per identifier, with the libraries and nothing else.
bool bare_canonical(const PhoneNumberUtil& util, const std::string& raw, std::string& out) {
  if (raw[0] == '+') {
    PhoneNumber number;
    if (util.Parse(raw, "ZZ", &number) != PhoneNumberUtil::NO_PARSING_ERROR) return false;
    if (!util.IsValidNumber(number)) return false;
    util.Format(number, PhoneNumberUtil::E164, &out);
    return true;
  }
  std::string lower = raw;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  auto at = lower.rfind('@');
  char* ascii = nullptr;
  if (idn2_to_ascii_8z(lower.c_str() + at + 1, &ascii, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL) != IDN2_OK) return false;
  out = lower.substr(0, at + 1) + ascii;
  idn2_free(ascii);
  return true;
}

int canon(const std::string& path, unsigned threads) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) lines.push_back(std::move(l));
  const auto& util = *PhoneNumberUtil::GetInstance();
  std::vector<long> ok(threads);
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::string out;
      for (std::size_t i = t; i < lines.size(); i += threads) ok[t] += bare_canonical(util, lines[i], out);
    });
  }
  for (auto& th : pool) th.join();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  long total = 0;
  for (long v : ok) total += v;
  if (total != static_cast<long>(lines.size())) std::cerr << "warning: " << lines.size() - total << " failed\n";
  std::cout << s << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> a(argv + 1, argv + argc);
  if (a.size() == 4 && a[0] == "generate") return generate(std::stol(a[1]), std::stoul(a[2]), a[3]);
  if (a.size() == 3 && a[0] == "canon") return canon(a[1], static_cast<unsigned>(std::stoul(a[2])));
  std::cerr << "usage: import_floor generate N SEED OUT_PREFIX | canon IDS_FILE THREADS\n";
  return 2;
}
