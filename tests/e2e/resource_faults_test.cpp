// Resource faults (issue 10, docs/RELIABILITY.md): a full disk and a read-only index, under imports
// and admin writes. The faults are the kernel's own: the index lives on a small tmpfs that fills up
// (ENOSPC), or is reached through a read-only bind mount (EROFS). Mounting needs root, which
// scripts/test.sh (and CI) has; without it these tests fail saying so.
#include <sys/mount.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "server_fixture.hpp"

using nlohmann::json;

namespace {

// A folder that is a mount point; unmounted (lazily) when destroyed.
class Mount {
 public:
  Mount() = default;
  Mount(const Mount&) = delete;
  Mount& operator=(const Mount&) = delete;
  ~Mount() {
    if (mounted_) ::umount2(dir_.path().c_str(), MNT_DETACH);
  }
  std::string file(const std::string& name) const { return dir_.file(name); }
  const std::string path() const { return dir_.path().string(); }

 protected:
  void require(int rc, const char* what) {
    mounted_ = mounted_ || rc == 0;
    REQUIRE_MESSAGE(rc == 0, what << " failed (" << std::strerror(errno)
                                  << "); this test mounts file systems and needs root, as scripts/test.sh has");
  }

 private:
  test::TempDir dir_;
  bool mounted_ = false;
};

// A tmpfs of `bytes`.
class SmallDisk : public Mount {
 public:
  explicit SmallDisk(std::size_t bytes) {
    const std::string options = "size=" + std::to_string(bytes) + ",mode=0700";
    require(::mount("tmpfs", path().c_str(), "tmpfs", 0, options.c_str()), "mounting a tmpfs");
  }
  // Fills what is left of the disk with one file.
  void fill() {
    std::ofstream f(file("filler"), std::ios::binary);
    const std::string chunk(4096, 'x');
    while (f.write(chunk.data(), static_cast<std::streamsize>(chunk.size())) && f.flush()) {
    }
  }
  void free_space() { std::filesystem::remove(file("filler")); }
};

// `source` (a folder) seen through a read-only bind mount.
class ReadOnlyView : public Mount {
 public:
  explicit ReadOnlyView(const std::string& source) {
    require(::mount(source.c_str(), path().c_str(), nullptr, MS_BIND, nullptr), "a bind mount");
    require(::mount(nullptr, path().c_str(), nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY, nullptr),
            "making a bind mount read-only");
  }
};

// `n` mappings for PUT /v1/admin/mappings or an import file, named from `prefix`.
json mappings(const std::string& prefix, int n) {
  json all = json::array();
  for (int i = 0; i < n; ++i) {
    const std::string who = prefix + std::to_string(i) + "@example.com";
    all.push_back({{"identifier", who}, {"provider", "chat.example"}, {"user", "mimi://chat.example/u/" + who},
                   {"tags", {"personal", "a-tag-long-enough-to-make-the-rows-take-room"}}});
  }
  return all;
}

std::string jsonl(const json& rows) {
  std::string text;
  for (const auto& r : rows) text += r.dump() + "\n";
  return text;
}

// An index with the demo data and an admin token in `folder`.
struct Index {
  explicit Index(const std::string& folder) : db(folder + "/index.db") {
    ctl({"init", "--issuer", "dp.example"});
    ctl({"import", test::source_path("data/demo.jsonl")});
    admin = test::last_line(ctl({"token", "create", "--role", "admin"}));
  }
  std::string ctl(std::vector<std::string> args) const {
    args.insert(args.begin(), {test::bin("discoveryctl"), "--db", db});
    test::RunResult r = test::run(args);
    if (r.exit_code != 0) throw std::runtime_error("discoveryctl failed: " + r.err);
    return r.out;
  }
  std::int64_t count() const { return json::parse(ctl({"stats"}))["mappings"].get<std::int64_t>(); }
  std::string db;
  std::string admin;
};

// The demo's alice is found: reads are served.
void check_reads_served(httplib::Client& c) {
  auto r = c.Get("/v1/lookup?id=alice%40example.com&federate=false");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(json::parse(r->body)["mappings"].size() == 1);
  auto health = c.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
}

std::string error_message(const std::string& body) { return json::parse(body)["error"]["message"]; }

// The demo index on a small disk, served by discoveryd.
struct ServedSmallDisk {
  explicit ServedSmallDisk(std::size_t bytes)
      : disk(bytes), index(disk.path()), server(index.db), c(test::client_for(server)), before(index.count()) {}
  SmallDisk disk;
  Index index;
  test::Server server;
  std::unique_ptr<httplib::Client> c;
  const std::int64_t before;  // mappings at the start
};

}  // namespace

TEST_CASE("a full disk: admin writes get 503 naming it, nothing half-written, reads go on, writes resume") {
  ServedSmallDisk t(4 << 20);
  auto& [disk, index, server, c, before] = t;
  disk.fill();

  const json body = {{"mappings", mappings("full", 1000)}};
  auto r = c->Put("/v1/admin/mappings", test::bearer(index.admin), body.dump(), "application/json");
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(json::parse(r->body)["error"]["code"] == "unavailable");
  CHECK(error_message(r->body).find("the disk is full") != std::string::npos);
  CHECK(index.count() == before);  // none of the 1000
  check_reads_served(*c);

  disk.free_space();
  r = c->Put("/v1/admin/mappings", test::bearer(index.admin), body.dump(), "application/json");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(index.count() == before + 1000);
}

TEST_CASE("a full disk: an import fails with exit 1 naming it, imports nothing, and the server keeps serving") {
  ServedSmallDisk t(2 << 20);
  auto& [disk, index, server, c, before] = t;
  // The import file lives elsewhere: only the index's disk is full.
  test::TempDir elsewhere;
  const std::string rows = elsewhere.file("rows.jsonl");
  test::write_file(rows, jsonl(mappings("bulk", 40000)));  // about 6 MiB in the index: more than the disk

  test::RunResult r = test::run({test::bin("discoveryctl"), "--db", index.db, "import", rows});
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("the disk is full") != std::string::npos);
  CHECK(r.err.find("nothing was imported") != std::string::npos);
  CHECK(index.count() == before);
  check_reads_served(*c);
  // The index took no harm: an import that fits goes through.
  test::write_file(rows, jsonl(mappings("small", 100)));
  test::RunResult small = test::run({test::bin("discoveryctl"), "--db", index.db, "import", rows});
  CHECK(small.exit_code == 0);
  CHECK(index.count() == before + 100);
  check_reads_served(*c);
}

TEST_CASE("a read-only index: reads are served, admin writes get 503 naming it, imports and key rotation exit 1") {
  test::TempDir writable;
  Index index(writable.path().string());
  const std::int64_t before = index.count();
  ReadOnlyView view(writable.path().string());
  const std::string db = view.file("index.db");

  test::Server server(db);
  auto c = test::client_for(server);
  check_reads_served(*c);
  const json body = {{"mappings", mappings("ro", 3)}};
  auto r = c->Put("/v1/admin/mappings", test::bearer(index.admin), body.dump(), "application/json");
  REQUIRE(r);
  CHECK(r->status == 503);
  CHECK(error_message(r->body).find("the index is read-only") != std::string::npos);
  check_reads_served(*c);

  test::TempDir elsewhere;
  const std::string rows = elsewhere.file("rows.jsonl");
  test::write_file(rows, jsonl(mappings("ro", 100)));
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"import", rows}, {"key", "rotate"}, {"token", "create", "--role", "client"}}) {
    std::vector<std::string> argv = {test::bin("discoveryctl"), "--db", db};
    argv.insert(argv.end(), command.begin(), command.end());
    test::RunResult ro = test::run(argv);
    CAPTURE(command[0]);
    CHECK(ro.exit_code == 1);
    CHECK(ro.err.find("the index is read-only") != std::string::npos);
  }
  // Offline reads work too, and nothing changed.
  test::RunResult stats = test::run({test::bin("discoveryctl"), "--db", db, "stats"});
  CHECK(stats.exit_code == 0);
  CHECK(json::parse(stats.out)["mappings"] == before);
}
