// roc-logdump: the rotating writer by size and by day, and the program end to end through a
// broker restart.
#include <doctest/doctest.h>

#include <roc/broker.hpp>
#include <roc/json.hpp>
#include <roc/log.hpp>

#include "log_test_support.hpp"
#include "logdump_writer.hpp"
#include "support/test_support.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include <unistd.h>

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  TempDir() {
    path = fs::temp_directory_path() /
           ("roc-logdump-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path);
  }
  ~TempDir() { fs::remove_all(path); }
  fs::path path;
  static inline int counter = 0;
};

std::set<std::string> names(const fs::path& dir) {
  std::set<std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir)) out.insert(e.path().filename().string());
  return out;
}

std::vector<std::string> all_lines(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& name : names(dir)) {
    std::ifstream in(dir / name);
    for (std::string line; std::getline(in, line);) out.push_back(line);
  }
  return out;
}

std::size_t count_containing(const fs::path& dir, const std::string& needle) {
  std::size_t n = 0;
  for (const auto& line : all_lines(dir)) n += line.find(needle) != std::string::npos;
  return n;
}

}  // namespace

TEST_CASE("the logdump writer rotates by size and by day, and resumes the newest file") {
  TempDir dir;
  std::string day = "2030-01-01";
  const std::string line(29, 'x');  // 30 bytes with the newline
  {
    roc::logdump::RotatingWriter w(dir.path, "roc", 100, [&] { return day; });
    for (int i = 0; i < 7; ++i) w.write(line);  // 3 + 3 + 1
    w.flush();
    CHECK(names(dir.path) == std::set<std::string>{"roc-2030-01-01.0.jsonl", "roc-2030-01-01.1.jsonl",
                                                   "roc-2030-01-01.2.jsonl"});
    CHECK(fs::file_size(dir.path / "roc-2030-01-01.0.jsonl") == 90);
    day = "2030-01-02";
    w.write(line);
    w.flush();
    CHECK(w.current().filename() == "roc-2030-01-02.0.jsonl");
  }
  SUBCASE("a restarted writer appends to the newest file of the day") {
    roc::logdump::RotatingWriter w(dir.path, "roc", 100, [&] { return day; });
    CHECK(w.current().filename() == "roc-2030-01-02.0.jsonl");
    w.write(line);
    w.flush();
    CHECK(fs::file_size(w.current()) == 60);
  }
  SUBCASE("a line longer than the limit gets a file of its own") {
    roc::logdump::RotatingWriter w(dir.path, "big", 10, [&] { return day; });
    w.write(line);
    w.write(line);
    w.flush();
    CHECK(names(dir.path).count("big-2030-01-02.1.jsonl") == 1);
  }
}

TEST_CASE("roc-logdump writes records as JSON lines, rotates, and survives a broker restart") {
  TempDir dir;
  roc::BrokerOptions options;
  options.bind = "127.0.0.1:0";
  auto broker = std::make_unique<roc::Broker>(options);
  broker->start();
  const auto endpoints = broker->endpoints();
  const auto bind = "127.0.0.1:" + std::to_string(endpoints.port());

  roc::test::Child dump({ROC_LOGDUMP, "--broker", endpoints.address(), "--dir", dir.path.string(), "--max-bytes",
                         "4000", "--level", "info"},
                        dir.path.string() + ".out");
  auto logger = std::make_shared<spdlog::logger>("dump");
  logger->set_level(spdlog::level::trace);
  auto sink = std::make_shared<roc::log::Sink>(endpoints, "dump-node");
  logger->sinks().push_back(sink);

  // Until logdump's subscription is through, records published now may be missed: probe first.
  REQUIRE(roc::test::wait_until(
      [&] {
        logger->info("probe");
        return count_containing(dir.path, "probe") > 0;
      },
      10s));
  for (int i = 0; i < 100; ++i) logger->info("record number {:04d} with some padding to fill files", i);
  logger->debug("below the level filter");
  REQUIRE(roc::test::wait_until([&] { return count_containing(dir.path, "record number") == 100; }, 10s));
  CHECK(count_containing(dir.path, "below the level filter") == 0);
  CHECK(names(dir.path).size() >= 3);  // 100 records of ~250 bytes in 4000-byte files
  for (const auto& line : all_lines(dir.path)) {
    const auto j = roc::json::Json::parse(line);
    CHECK(j.value()["node"] == "dump-node");
  }

  // Restart the broker on the same port: logdump and the sink reconnect by themselves.
  broker->stop();
  broker = std::make_unique<roc::Broker>([&] {
    roc::BrokerOptions o;
    o.bind = bind;
    return o;
  }());
  broker->start();
  CHECK(roc::test::wait_until(
      [&] {
        logger->info("after the restart");
        return count_containing(dir.path, "after the restart") > 0;
      },
      15s));
  // It said, one line each, that the broker went away and came back.
  std::ifstream in(dir.path.string() + ".out");
  const std::string said{std::istreambuf_iterator<char>(in), {}};
  const auto lost = "lost the connection to the broker at " + endpoints.subscribe();
  const auto again = "connected to the broker at " + endpoints.subscribe() + " again";
  CHECK(said.find(lost) != std::string::npos);
  CHECK(said.find(again) != std::string::npos);
  CHECK(said.find(lost) == said.rfind(lost));
  dump.terminate();
  const auto code = dump.wait(5s);
  if (code != 0) {  // what roc-logdump said tells why; the file goes with `dump`
    std::ifstream out(dir.path.string() + ".out");
    MESSAGE(std::string{std::istreambuf_iterator<char>(out), {}});
  }
  CHECK(code == 0);
}

TEST_CASE("roc-logdump says the broker is unreachable and exits 9 when nothing accepts connections at its port") {
  TempDir dir;
  roc::test::CallsPortOnly calls_only;
  const roc::Endpoints endpoints(calls_only.address());
  const auto r = roc::test::run({ROC_LOGDUMP, "--broker", calls_only.address(), "--dir", dir.path.string(),
                                 "--connect-timeout", "0.5"},
                                10s);
  CHECK(r.code == 9);
  const auto unreachable = "broker unreachable at " + endpoints.subscribe() + " (connection refused)";
  // Said at once, then once more when it gives up.
  CHECK(r.err.find("roc-logdump: " + unreachable + "; waiting up to 0.5 s\n") != std::string::npos);
  CHECK(r.err.find("roc-logdump: " + unreachable + "\n") != std::string::npos);
}
