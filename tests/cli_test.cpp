// The `roc` command against the sample vnir-server through an in-process broker: every command,
// --json output, and each documented exit code; summaries and .npy files of the arrays in results;
// keys, `whoami`, and the tools and samples secured by ROC_CERT and ROC_BROKER_CERT alone; the
// command-line rules every roc program follows (--version, usage, parse errors, seconds), `roc
// describe`'s summary, errors said once, and the --watch screen's fitting of lines.
#include <doctest/doctest.h>

#include <roc/broker.hpp>
#include <roc/client.hpp>
#include <roc/json.hpp>
#include <roc/log.hpp>
#include <roc/security.hpp>
#include <roc/version.hpp>

#include "log_test_support.hpp"
#include "npy_writer.hpp"
#include "roc_output.hpp"
#include "support/temp_dir.hpp"
#include "support/test_support.hpp"
#include "vnir_camera.hpp"
#include "watch_screen.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

using namespace std::chrono_literals;
using roc::json::Json;

namespace {

struct Fixture {
  Fixture() : broker(options()) {
    broker.start();
    address = broker.endpoints().address();
    server = std::make_unique<roc::test::Child>(std::vector<std::string>{ROC_VNIR_SERVER, "-b", address},
                                                files / "server.out");
    roc::Client client(broker.endpoints());
    REQUIRE(roc::test::wait_until([&] { return client.exists("vnir"); }, 10s));
  }
  static roc::BrokerOptions options() {
    roc::BrokerOptions o;
    o.bind = "127.0.0.1:0";
    o.unknown_object_grace = 100ms;  // `not found` quickly
    return o;
  }
  roc::test::RunResult roc(std::vector<std::string> args) const {
    args.insert(args.begin(), {ROC_CLI, "--broker", address});
    return roc::test::run(args);
  }

  roc::test::TempDir files;  // outlives the children writing into it
  roc::Broker broker;
  std::string address;
  std::unique_ptr<roc::test::Child> server;
};

}  // namespace

TEST_CASE("roc commands work against the sample server") {
  Fixture fx;
  SUBCASE("list") {
    auto r = fx.roc({"list"});
    CHECK(r.code == 0);
    CHECK(r.out.find("vnir") != std::string::npos);
    r = fx.roc({"list", "--json"});
    CHECK(r.code == 0);
    CHECK(Json::parse(r.out).value()[0]["id"] == "vnir");  // mmi.workers: one worker, with its details
    CHECK(Json::parse(r.out).value()[0]["workers"].Size() == 1);
  }
  SUBCASE("describe") {
    auto r = fx.roc({"--json", "describe", "vnir"});
    CHECK(r.code == 0);
    CHECK(r.out.find("lab::VnirCamera") != std::string::npos);
  }
  SUBCASE("call, get, set, ping") {
    auto r = fx.roc({"call", "vnir", "temperature"});
    CHECK(r.code == 0);
    CHECK(Json::parse(r.out).value().IsNumber());
    CHECK(fx.roc({"set", "vnir", "fps", "20"}).code == 0);
    r = fx.roc({"get", "vnir", "fps"});
    CHECK(r.code == 0);
    CHECK(Json::parse(r.out).value().GetDouble() == 20.0);
    r = fx.roc({"call", "vnir", "set_roi", R"({"roi":{"x":0,"y":0,"width":64,"height":8}})"});
    CHECK(r.code == 0);
    r = fx.roc({"call", "vnir", "grab", "[2]", "--json"});
    CHECK(r.code == 0);
    CHECK(Json::parse(r.out).value().Size() == 128);
    r = fx.roc({"ping", "vnir", "--json"});
    CHECK(r.code == 0);
    CHECK(Json::parse(r.out).value()["id"] == "vnir");
  }
  SUBCASE("status shows the server's emitted tree") {
    roc::test::RunResult r;
    // The server emits once a second; the broker keeps it for the snapshot.
    REQUIRE(roc::test::wait_until(
        [&] {
          r = fx.roc({"status", "vnir", "--json"});
          return r.code == 0 && r.out.find("temperature") != std::string::npos;
        },
        10s));
    const auto tree = Json::parse(r.out);
    CHECK(tree.value()["vnir"]["temperature"].IsNumber());
    CHECK(tree.value()["vnir"]["frames"].IsNumber());
    r = fx.roc({"status", "vnir.frames", "--json"});
    CHECK(r.code == 0);
    CHECK_FALSE(Json::parse(r.out).value()["vnir"].HasMember("temperature"));
  }
  SUBCASE("logs prints records, filtered by node") {
    const std::string out = fx.files / "logs.out";
    roc::test::Child logs({ROC_CLI, "--broker", fx.address, "--json", "logs", "-f", "--node", "cli-test"}, out);
    auto logger = std::make_shared<spdlog::logger>("cli");
    logger->sinks().push_back(std::make_shared<roc::log::Sink>(fx.broker.endpoints(), "cli-test"));
    auto other = std::make_shared<spdlog::logger>("other");
    other->sinks().push_back(std::make_shared<roc::log::Sink>(fx.broker.endpoints(), "other-node"));
    std::string text;
    REQUIRE(roc::test::wait_until(
        [&] {
          logger->warn("hello from the cli test");
          other->warn("not for this filter");
          std::ifstream in(out);
          text.assign(std::istreambuf_iterator<char>(in), {});
          return text.find("hello from the cli test") != std::string::npos;
        },
        10s));
    CHECK(text.find("not for this filter") == std::string::npos);
    const auto first_line = text.substr(0, text.find('\n'));
    CHECK(Json::parse(first_line).value()["node"] == "cli-test");
  }
}

TEST_CASE("roc exit codes tell scripts what went wrong") {
  Fixture fx;
  SUBCASE("remote error: 5") {
    auto r = fx.roc({"call", "vnir", "no_such_method"});
    CHECK(r.code == 5);
    CHECK(r.err.find("no_such_method") != std::string::npos);
    CHECK(fx.roc({"set", "vnir", "model", "\"x\""}).code == 5);  // read-only property
  }
  SUBCASE("not found: 4") {
    auto r = fx.roc({"ping", "nobody"});
    CHECK(r.code == 4);
    CHECK(r.err.find("nobody") != std::string::npos);
  }
  SUBCASE("timeout: 3, broker unreachable: 9") {
    CHECK(fx.roc({"--timeout", "0.3", "call", "vnir", "expose", "2000"}).code == 3);
    fx.broker.stop();
    auto r = fx.roc({"--timeout", "0.3", "ping", "vnir"});
    CHECK(r.code == 9);
    CHECK(fx.roc({"--timeout", "0.3", "status"}).code == 9);
  }
  SUBCASE("bad usage: 2") {
    CHECK(fx.roc({"call", "vnir", "set_roi", "{not json"}).code == 2);
    CHECK(fx.roc({"frobnicate"}).code == 2);
    CHECK(fx.roc({"get", "vnir"}).code == 2);
    CHECK(fx.roc({"logs", "--level", "loud"}).code == 2);
    CHECK(fx.roc({"status", "a..b"}).code == 2);
  }
  SUBCASE("--help: 0, everywhere") {
    for (const char* command : {"list", "describe", "call", "get", "set", "ping", "logs", "status", "keygen", "whoami"}) {
      auto r = roc::test::run({ROC_CLI, command, "--help"});
      CHECK_MESSAGE(r.code == 0, command);
      CHECK(r.out.find("Usage") != std::string::npos);
    }
    CHECK(roc::test::run({ROC_CLI, "--help"}).code == 0);
  }
  SUBCASE("--version: 0, and the version") {
    auto r = roc::test::run({ROC_CLI, "--version"});
    CHECK(r.code == 0);
    CHECK(r.out == "roc " ROC_VERSION_STRING "\n");
  }
}

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST_CASE("roc logs and roc status say the broker is unreachable when nothing accepts connections at its port") {
  roc::test::CallsPortOnly calls_only;
  const roc::Endpoints endpoints(calls_only.address());
  const std::vector<std::vector<std::string>> commands = {
      {"logs"}, {"logs", "-f"}, {"status"}, {"status", "--watch"}, {"status", "system", "--json"}};
  for (const auto& command : commands) {
    std::vector<std::string> args{ROC_CLI, "--broker", calls_only.address(), "--timeout", "0.5"};
    args.insert(args.end(), command.begin(), command.end());
    const auto r = roc::test::run(args, 10s);
    CAPTURE(command[0]);
    CHECK(r.code == 9);
    CHECK(r.err == "roc: broker unreachable at " + endpoints.subscribe() + " (connection refused)\n");
    CHECK(r.out.empty());
  }
}

TEST_CASE("roc logs -f says in one line each when it loses the broker and when it is back") {
  auto broker = std::make_unique<roc::Broker>([] {
    roc::BrokerOptions o;
    o.bind = "127.0.0.1:0";
    return o;
  }());
  broker->start();
  const auto endpoints = broker->endpoints();
  roc::test::TempDir files;
  const std::string out = files / "follow.out";
  roc::test::Child logs({ROC_CLI, "--broker", endpoints.address(), "logs", "-f"}, out);
  auto logger = std::make_shared<spdlog::logger>("follow");
  logger->sinks().push_back(std::make_shared<roc::log::Sink>(endpoints, "follow-node"));
  REQUIRE(roc::test::wait_until(
      [&] {
        logger->warn("before the restart");
        return read_file(out).find("before the restart") != std::string::npos;
      },
      10s));
  broker.reset();
  CHECK(roc::test::wait_until(
      [&] { return read_file(out).find("lost the connection to the broker at " + endpoints.subscribe()) !=
                   std::string::npos; },
      10s));
  broker = std::make_unique<roc::Broker>([&] {
    roc::BrokerOptions o;
    o.bind = "127.0.0.1:" + std::to_string(endpoints.port());
    return o;
  }());
  broker->start();
  CHECK(roc::test::wait_until(
      [&] {
        logger->warn("after the restart");
        return read_file(out).find("after the restart") != std::string::npos;
      },
      15s));
  const auto text = read_file(out);
  const auto again = "connected to the broker at " + endpoints.subscribe() + " again";
  CHECK(text.find(again) != std::string::npos);
  // One line each, however many reconnect attempts there were in between.
  CHECK(text.find("lost the connection") == text.rfind("lost the connection"));
  CHECK(text.find(again) == text.rfind(again));
  CHECK_FALSE(logs.wait(0ms));  // still following
}

namespace {

/// The number of lines in `text`.
std::size_t line_count(const std::string& text) { return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')); }

/// How often `part` occurs in `text`.
std::size_t occurrences(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++n;
  return n;
}

}  // namespace

TEST_CASE("every roc program prints its version, names itself in its usage and exits 2 in one line on a bad option") {
  const std::vector<std::pair<std::string, std::string>> programs = {
      {"roc", ROC_CLI},           {"rocbroker", ROC_BROKER_PROGRAM}, {"roc-logdump", ROC_LOGDUMP},
      {"vnir-server", ROC_VNIR_SERVER}, {"vnir-client", ROC_VNIR_CLIENT}, {"vnir-demo", ROC_VNIR_DEMO}};
  for (const auto& [name, path] : programs) {
    CAPTURE(name);
    auto r = roc::test::run({path, "--version"});
    CHECK(r.code == 0);
    CHECK(r.out == name + " " ROC_VERSION_STRING "\n");
    r = roc::test::run({path, "--help"});
    CHECK(r.code == 0);
    CHECK(r.out.find("Usage: " + name + " ") != std::string::npos);
    CHECK(r.out.find("Usage: /") == std::string::npos);
    r = roc::test::run({path, "--no-such-option"});
    CHECK(r.code == 2);
    CHECK(r.err.rfind(name + ": ", 0) == 0);
    CHECK(r.err.find("--no-such-option") != std::string::npos);
    CHECK(line_count(r.err) == 1);
    CHECK(r.out.empty());
  }
}

TEST_CASE("roc help, roc alone and an unknown command print the usage") {
  auto r = roc::test::run({ROC_CLI});
  CHECK(r.code == 2);
  CHECK(r.err.find("Usage: roc [OPTIONS] SUBCOMMAND") != std::string::npos);
  CHECK(r.out.empty());
  r = roc::test::run({ROC_CLI, "help"});
  CHECK(r.code == 0);
  CHECK(r.out.find("Usage: roc [OPTIONS] SUBCOMMAND") != std::string::npos);
  r = roc::test::run({ROC_CLI, "help", "call"});
  CHECK(r.code == 0);
  CHECK(r.out.find("Usage: roc call [OPTIONS] id method [params]") != std::string::npos);
  for (const std::vector<std::string>& unknown : {std::vector<std::string>{"frob"}, {"help", "frob"}, {"-t", "5", "frob"}}) {
    std::vector<std::string> args{ROC_CLI};
    args.insert(args.end(), unknown.begin(), unknown.end());
    r = roc::test::run(args);
    CAPTURE(unknown.back());
    CHECK(r.code == 2);
    CHECK(r.err.rfind("roc: unknown command 'frob'\n", 0) == 0);
    CHECK(r.err.find("Usage: roc [OPTIONS] SUBCOMMAND") != std::string::npos);
  }
  r = roc::test::run({ROC_CLI, "--bogus"});
  CHECK(r.code == 2);
  CHECK(r.err == "roc: unknown option '--bogus' (see 'roc --help')\n");
}

TEST_CASE("a command's --help lists the global options it accepts") {
  for (const char* command : {"call", "status", "describe"}) {
    const auto r = roc::test::run({ROC_CLI, command, "--help"});
    CAPTURE(command);
    CHECK(r.code == 0);
    const auto globals = r.out.find("Global options");
    REQUIRE(globals != std::string::npos);
    CHECK(r.out.find("-b,--broker ADDR", globals) != std::string::npos);
    CHECK(r.out.find("-t,--timeout SECONDS", globals) != std::string::npos);
    CHECK(r.out.find("--json", globals) != std::string::npos);
  }
}

TEST_CASE("bad --timeout values get one clear message and exit 2, in every tool") {
  for (const char* bad : {"0", "-1", "abc", "1e99", "nan", "inf", ""}) {
    CAPTURE(bad);
    auto r = roc::test::run({ROC_CLI, "--broker", "127.0.0.1:1", "-t", bad, "ping", "vnir"});
    CHECK(r.code == 2);
    CHECK(r.err.rfind("roc: --timeout: ", 0) == 0);
    CHECK(line_count(r.err) == 1);
    if (*bad) CHECK(r.err.find("is not a number of seconds") != std::string::npos);
    r = roc::test::run({ROC_VNIR_CLIENT, "--broker", "127.0.0.1:1", "-t", bad});
    CHECK(r.code == 2);
    CHECK(line_count(r.err) == 1);
  }
  auto r = roc::test::run({ROC_LOGDUMP, "--connect-timeout", "-1"});
  CHECK(r.code == 2);
  CHECK(r.err.find("is not a number of seconds from 0 (forever)") != std::string::npos);
}

TEST_CASE("roc runs nothing when an option after the command is misspelled") {
  Fixture fx;
  auto r = fx.roc({"call", "vnir", "open_shutter", "--bogus"});
  CHECK(r.code == 2);
  CHECK(r.err == "roc: the following argument was not expected: --bogus (see 'roc call --help')\n");
  r = fx.roc({"get", "vnir", "shutter_open"});
  CHECK(r.code == 0);
  CHECK(r.out == "false\n");
}

TEST_CASE("a remote error is printed once, in one line") {
  Fixture fx;
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  const std::vector<Case> cases = {
      {{"call", "vnir", "nosuch"}, "roc: remote error -32601: object 'vnir' (lab::VnirCamera) has no method 'nosuch'\n"},
      {{"call", "vnir", "grab", "0"},
       "roc: remote error -32000: 'grab' threw std::invalid_argument: lines must be between 1 and 100000, got 0\n"},
      {{"set", "vnir", "model", "x"}, "roc: remote error -32003: property 'model' of object 'vnir' is read-only\n"},
      {{"get", "vnir", "nosuch"}, "roc: remote error -32602: object 'vnir' (lab::VnirCamera) has no property 'nosuch'\n"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.args[2]);
    const auto r = fx.roc(c.args);
    CHECK(r.code == 5);
    CHECK(r.err == c.error);
    CHECK(r.out.empty());
  }
}

TEST_CASE("a timeout names the call and its seconds, and says the call may still be running") {
  Fixture fx;
  const auto r = fx.roc({"-t", "0.3", "call", "vnir", "expose", "3000"});
  CHECK(r.code == 3);
  CHECK(r.err ==
        "roc: timeout: no reply from 'vnir.expose' within 0.3 s; the call may still be running (a longer -t waits "
        "longer)\n");
}

TEST_CASE("roc describe shows methods with signatures, properties with values and access; --json the IDL") {
  Fixture fx;
  REQUIRE(fx.roc({"set", "vnir", "fps", "25"}).code == 0);
  auto r = fx.roc({"describe", "vnir"});
  CHECK(r.code == 0);
  CHECK(r.out.rfind("vnir: lab::VnirCamera (interface signature ", 0) == 0);
  CHECK(r.out.find("\nMethods\n") != std::string::npos);
  CHECK(r.out.find("\n  grab(lines: uint32) -> array<uint16>\n      Reads `lines` lines") != std::string::npos);
  CHECK(r.out.find("\n  set_roi(roi: lab::Roi) -> void\n") != std::string::npos);
  CHECK(r.out.find("\n  fps: double = 25.0  read-write\n      Line rate") != std::string::npos);
  CHECK(r.out.find("\n  model: string = \"VNIR-1024 (simulated)\"  read-only\n") != std::string::npos);
  // Built without roc-gen (the sanitizer builds), the sample serves its hand binding's IDL, which
  // names no types and no getters.
  const bool generated = fx.roc({"describe", "vnir", "--json"}).out.find("\"getter\"") != std::string::npos;
  if (generated) {
    CHECK(r.out.find("\n  struct lab::Roi { x: uint32, y: uint32, width: uint32, height: uint32 }\n") !=
          std::string::npos);
    CHECK(r.out.find("\n  enum lab::TriggerMode { internal = 0, external = 1 }\n") != std::string::npos);
  }
  r = fx.roc({"describe", "vnir", "--json"});
  CHECK(r.code == 0);
  CHECK(line_count(r.out) == 1);
  const auto idl = Json::parse(r.out);
  CHECK(idl.value()["objects"][0]["name"] == "lab::VnirCamera");
  if (generated) CHECK(occurrences(r.out, "\"getter\"") == 5);
  CHECK(fx.roc({"describe", "vnir", "--summary"}).code == 2);  // no such option: always the summary
}

TEST_CASE("the watch screen keeps the top of a tall tree in view and cuts long lines to the window") {
  using roc::cli::fit_to_window;
  std::vector<std::string> lines;
  for (int i = 0; i < 10; ++i) lines.push_back(fmt::format("line {}", i));
  auto fitted = fit_to_window(lines, 4, 80);
  CHECK(fitted == std::vector<std::string>{"line 0", "line 1", "line 2", "… 7 more lines"});
  CHECK(fit_to_window(lines, 10, 80) == lines);
  CHECK(fit_to_window({"a", "b"}, 1, 80) == std::vector<std::string>{"… 2 more lines"});
  // Colour sequences take no columns, and a cut line is reset to plain.
  CHECK(fit_to_window({"\033[2mabcdef\033[0m"}, 5, 3) == std::vector<std::string>{"\033[2mabc\033[0m"});
  CHECK(fit_to_window({"°C°C°C"}, 5, 4) == std::vector<std::string>{"°C°C"});
  CHECK(roc::cli::split_lines("a\nb\n") == std::vector<std::string>{"a", "b"});
}

namespace {

unsigned mode_of(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 ? info.st_mode & 07777 : 0;
}

/// No certificate from the environment of whoever runs the tests: each test sets its own.
struct PlainEnvironment {
  roc::test::ScopedEnv cert{"ROC_CERT", nullptr};
  roc::test::ScopedEnv broker_cert{"ROC_BROKER_CERT", nullptr};
};

}  // namespace

TEST_CASE("roc keygen writes a key pair, the secret readable by its owner only, with --meta in it") {
  roc::test::TempDir dir;
  const auto base = dir / "lab-pc-3";
  auto r = roc::test::run({ROC_CLI, "keygen", base, "--meta", "roc-serve=vnir cam-*", "--meta", "roc-call=vnir"});
  REQUIRE(r.code == 0);
  const auto secret = roc::Certificate::load(base + ".key_secret");
  const auto pub = roc::Certificate::load(base + ".key");
  CHECK(pub.public_key() == secret.public_key());
  CHECK_FALSE(pub.has_secret());
  CHECK(mode_of(base + ".key_secret") == 0600);
  CHECK((mode_of(base + ".key") & 0133) == 0);
  CHECK(pub.name() == "lab-pc-3");  // named after the file
  CHECK(pub.meta("roc-serve") == "vnir cam-*");
  CHECK(pub.meta("roc-call") == "vnir");
  CHECK(r.out.find(secret.public_key()) != std::string::npos);
  CHECK(r.out.find(base + ".key ") != std::string::npos);
  CHECK(r.out.find(base + ".key_secret") != std::string::npos);

  SUBCASE("--meta name= names it otherwise; --json says what was written") {
    r = roc::test::run({ROC_CLI, "--json", "keygen", dir / "other", "--meta", "name=camera node"});
    REQUIRE(r.code == 0);
    const auto out = Json::parse(r.out);
    CHECK(out.value()["public"] == (dir / "other.key").c_str());
    CHECK(out.value()["secret"] == (dir / "other.key_secret").c_str());
    CHECK(out.value()["metadata"]["name"] == "camera node");
    CHECK(out.value()["public_key"] == roc::Certificate::load(dir / "other.key").public_key().c_str());
  }
  SUBCASE("existing files are left alone without --force: exit 7, naming the file") {
    r = roc::test::run({ROC_CLI, "keygen", base});
    CHECK(r.code == 7);
    CHECK(r.err.find(base + ".key' exists") != std::string::npos);
    CHECK(roc::Certificate::load(base + ".key_secret").secret_key() == secret.secret_key());
    CHECK(roc::test::run({ROC_CLI, "keygen", base, "--force"}).code == 0);
    CHECK(roc::Certificate::load(base + ".key_secret").secret_key() != secret.secret_key());
  }
  SUBCASE("a secret file alone also counts as existing") {
    std::remove((base + ".key").c_str());
    CHECK(roc::test::run({ROC_CLI, "keygen", base}).code == 7);
    CHECK(roc::Certificate::load(base + ".key_secret").secret_key() == secret.secret_key());
  }
  SUBCASE("metadata that is not NAME=VALUE, or a name no certificate can hold: exit 2") {
    CHECK(roc::test::run({ROC_CLI, "keygen", dir / "x", "--meta", "roc-serve"}).code == 2);
    CHECK(roc::test::run({ROC_CLI, "keygen", dir / "x", "--meta", "bad name=1"}).code == 2);
    CHECK(roc::test::run({ROC_CLI, "keygen", dir / "x", "--meta", "name=a\"b"}).code == 2);
    CHECK_FALSE(std::ifstream(dir / "x.key").good());
  }
  SUBCASE("a directory that does not exist: exit 7, naming the file") {
    r = roc::test::run({ROC_CLI, "keygen", dir / "missing/x"});
    CHECK(r.code == 7);
    CHECK(r.err.find(dir / "missing/x.key") != std::string::npos);
  }
}

TEST_CASE("roc whoami shows the key roc presents, from the variables or the options") {
  PlainEnvironment plain;
  roc::test::TempDir dir;
  auto own = roc::Certificate::generate();
  own.set_meta("name", "lab-pc-3");
  own.set_meta("roc-serve", "vnir");
  own.save(dir / "lab-pc-3");
  auto broker = roc::Certificate::generate();
  broker.set_meta("name", "broker");
  broker.save(dir / "broker");

  SUBCASE("plaintext without them") {
    const auto r = roc::test::run({ROC_CLI, "whoami"});
    CHECK(r.code == 0);
    CHECK(r.out.find("identity  plaintext") != std::string::npos);
    const auto json = Json::parse(roc::test::run({ROC_CLI, "whoami", "--json"}).out);
    CHECK(json.value()["secure"] == false);
    CHECK(json.value()["key"].IsNull());
  }
  SUBCASE("ROC_CERT and ROC_BROKER_CERT") {
    roc::test::ScopedEnv cert("ROC_CERT", (dir / "lab-pc-3.key_secret").c_str());
    roc::test::ScopedEnv broker_cert("ROC_BROKER_CERT", (dir / "broker.key").c_str());
    auto r = roc::test::run({ROC_CLI, "whoami"});
    CHECK(r.code == 0);
    CHECK(r.out.find("CURVE as key 'lab-pc-3' (" + own.public_key() + ")") != std::string::npos);
    CHECK(r.out.find("trusting broker key 'broker' (" + broker.public_key() + ")") != std::string::npos);
    CHECK(r.out.find("roc-serve = \"vnir\"") != std::string::npos);
    r = roc::test::run({ROC_CLI, "whoami", "--json"});
    REQUIRE(r.code == 0);
    const auto json = Json::parse(r.out);
    CHECK(json.value()["secure"] == true);
    CHECK(json.value()["key"] == own.public_key().c_str());
    CHECK(json.value()["name"] == "lab-pc-3");
    CHECK(json.value()["broker_key"] == broker.public_key().c_str());
    CHECK(json.value()["roles"]["roc-serve"] == "vnir");

    SUBCASE("--cert wins over ROC_CERT") {
      const auto other = roc::Certificate::generate();
      other.save(dir / "other");
      r = roc::test::run({ROC_CLI, "whoami", "--cert", dir / "other.key_secret"});
      CHECK(r.code == 0);
      CHECK(r.out.find(other.public_key()) != std::string::npos);
      CHECK(r.out.find(own.public_key()) == std::string::npos);
    }
  }
  SUBCASE("--cert and --broker-cert") {
    const auto r = roc::test::run(
        {ROC_CLI, "--cert", dir / "lab-pc-3.key_secret", "--broker-cert", dir / "broker.key", "whoami"});
    CHECK(r.code == 0);
    CHECK(r.out.find(own.public_key()) != std::string::npos);
  }
  SUBCASE("a key of its own without the broker's is refused: exit 7") {
    roc::test::ScopedEnv cert("ROC_CERT", (dir / "lab-pc-3.key_secret").c_str());
    const auto r = roc::test::run({ROC_CLI, "whoami"});
    CHECK(r.code == 7);
    CHECK(r.err.find("ROC_BROKER_CERT") != std::string::npos);
  }
}

TEST_CASE("a certificate that cannot be used stops roc with exit 7, naming the file") {
  PlainEnvironment plain;
  roc::test::TempDir dir;
  roc::Certificate::generate().save(dir / "broker");
  roc::Certificate::generate().save(dir / "own");
  std::ofstream(dir / "garbage.key") << "not a certificate\n";
  const auto missing = dir / "missing.key_secret";
  // Nothing listens at this address: a run that got past the certificates finds no broker (9).
  const std::vector<std::string> ping = {"--broker", "127.0.0.1:1", "--timeout", "0.3", "ping", "vnir"};
  auto roc_with = [&](std::vector<std::string> args) {
    args.insert(args.begin(), ROC_CLI);
    args.insert(args.end(), ping.begin(), ping.end());
    return roc::test::run(args);
  };
  auto r = roc_with({"--cert", missing, "--broker-cert", dir / "broker.key"});
  CHECK(r.code == 7);
  CHECK(r.err.find(missing) != std::string::npos);
  r = roc_with({"--cert", dir / "own.key_secret", "--broker-cert", dir / "garbage.key"});
  CHECK(r.code == 7);
  CHECK(r.err.find(dir / "garbage.key") != std::string::npos);
  r = roc_with({"--cert", dir / "own.key", "--broker-cert", dir / "broker.key"});  // the public half
  CHECK(r.code == 7);
  CHECK(r.err.find("holds no secret key") != std::string::npos);
  {
    roc::test::ScopedEnv broker_cert("ROC_BROKER_CERT", missing.c_str());
    r = roc_with({});
    CHECK(r.code == 7);
    CHECK(r.err.find("ROC_BROKER_CERT") != std::string::npos);
    CHECK(r.err.find(missing) != std::string::npos);
  }
  CHECK(roc_with({"--broker-cert", dir / "broker.key"}).code == 9);  // usable: it got as far as the broker

  SUBCASE("roc-logdump and the samples say so too") {
    r = roc::test::run({ROC_LOGDUMP, "--dir", dir.path(), "--cert", missing, "--broker-cert", dir / "broker.key"});
    CHECK(r.code == 7);
    CHECK(r.err.find(missing) != std::string::npos);
    r = roc::test::run({ROC_VNIR_CLIENT, "--broker-cert", missing});
    CHECK(r.code == 1);
    CHECK(r.err.find(missing) != std::string::npos);
    r = roc::test::run({ROC_VNIR_SERVER, "--broker-cert", missing});
    CHECK(r.code == 1);
    CHECK(r.err.find(missing) != std::string::npos);
  }
}

TEST_CASE("roc and the samples run secured with only ROC_CERT and ROC_BROKER_CERT set") {
  PlainEnvironment plain;
  roc::test::TempDir dir;
  auto broker_key = roc::Certificate::generate();
  broker_key.set_meta("name", "broker");
  broker_key.save(dir / "broker");
  roc::Certificate::generate().save(dir / "lab");
  std::filesystem::create_directory(dir / "allowed");
  roc::Certificate::load(dir / "lab.key").save(dir / "allowed/lab");  // the public half only
  roc::BrokerOptions options;
  options.bind = "127.0.0.1:0";
  options.certificate = broker_key;
  options.allow_directory = dir / "allowed";
  roc::Broker broker(options);
  broker.start();
  const auto address = broker.endpoints().address();

  std::unique_ptr<roc::test::Child> server;
  {
    roc::test::ScopedEnv cert("ROC_CERT", (dir / "lab.key_secret").c_str());
    roc::test::ScopedEnv broker_cert("ROC_BROKER_CERT", (dir / "broker.key").c_str());
    server = std::make_unique<roc::test::Child>(std::vector<std::string>{ROC_VNIR_SERVER, "-b", address},
                                                dir / "server.out");
    roc::Client client(roc::Endpoints::resolve(address, "", ""));
    REQUIRE(roc::test::wait_until([&] { return client.exists("vnir"); }, 10s));

    auto r = roc::test::run({ROC_CLI, "--broker", address, "ping", "vnir"});
    CHECK(r.code == 0);
    r = roc::test::run({ROC_CLI, "--broker", address, "--json", "get", "vnir", "model"});
    CHECK(r.code == 0);
    CHECK(r.out.find("VNIR") != std::string::npos);
    r = roc::test::run({ROC_VNIR_CLIENT, "--broker", address});
    CHECK(r.code == 0);
    CHECK(r.out.find("pong") != std::string::npos);
  }
  // Plaintext against a CURVE broker gets nothing at all.
  CHECK(roc::test::run({ROC_CLI, "--broker", address, "--timeout", "0.3", "ping", "vnir"}).code == 3);
  // Nor does a key the allow directory does not hold; roc says what to check.
  const auto r = roc::test::run(
      {ROC_CLI, "--broker", address, "--broker-cert", dir / "broker.key", "--timeout", "0.5", "ping", "vnir"});
  CHECK(r.code == 3);
  CHECK(r.err.find("does not admit this key") != std::string::npos);
  CHECK(r.err.find("roc whoami") != std::string::npos);
  // The options do what the variables do.
  CHECK(roc::test::run({ROC_CLI, "--broker", address, "--cert", dir / "lab.key_secret", "--broker-cert",
                        dir / "broker.key", "ping", "vnir"})
            .code == 0);
}

namespace {

/// The frame a fresh sample server's first grab returns: the camera's noise is seeded, so a camera
/// in this process, told the same, makes the same pixels.
std::vector<std::uint16_t> first_grab(const lab::Roi& roi, std::uint32_t lines) {
  lab::VnirCamera camera;
  camera.set_roi(roi);
  return camera.grab(lines);
}

std::string roi_json(const lab::Roi& roi) {
  return fmt::format(R"({{"roi":{{"x":{},"y":{},"width":{},"height":{}}}}})", roi.x, roi.y, roi.width, roi.height);
}

/// The parts of a .npy file, checked as numpy's format 1.0 lays them out.
struct Npy {
  std::string header;  // the dict, without its padding
  std::string data;
};

Npy read_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string file{std::istreambuf_iterator<char>(in), {}};
  REQUIRE(file.size() >= 10);
  REQUIRE(file.compare(0, 8, std::string("\x93NUMPY\x01\x00", 8)) == 0);
  const std::size_t header_len =
      static_cast<unsigned char>(file[8]) | static_cast<std::size_t>(static_cast<unsigned char>(file[9])) << 8;
  CHECK((10 + header_len) % 64 == 0);  // the data starts aligned
  REQUIRE(file.size() >= 10 + header_len);
  std::string header = file.substr(10, header_len);
  CHECK(header.back() == '\n');
  const auto end = header.find('}');
  REQUIRE(end != std::string::npos);
  CHECK(header.find_first_not_of(' ', end + 1) == header.size() - 1);  // then spaces only, then '\n'
  return {header.substr(0, end + 1), file.substr(10 + header_len)};
}

template <class T>
std::string bytes_of(const std::vector<T>& values) {
  return {reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T)};
}

}  // namespace

TEST_CASE("the npy header is numpy's format 1.0: a dict padded so the data starts at a multiple of 64") {
  using roc::cli::npy_header;
  for (const auto& shape : {std::vector<std::size_t>{768, 1024}, {5}, {}, {2, 3, 4, 5, 6, 7, 8}}) {
    const auto h = npy_header("<u2", shape);
    CHECK(h.size() % 64 == 0);
    CHECK(h.back() == '\n');
    CHECK(static_cast<std::size_t>(static_cast<unsigned char>(h[8]) | static_cast<unsigned char>(h[9]) << 8) ==
          h.size() - 10);
  }
  CHECK(npy_header("<u2", {768, 1024}).substr(10, 69) ==
        "{'descr': '<u2', 'fortran_order': False, 'shape': (768, 1024), }     ");
  CHECK(npy_header("<f8", {5}).find("'shape': (5,), }") != std::string::npos);
  CHECK(npy_header("|u1", {}).find("'shape': (), }") != std::string::npos);
  CHECK(roc::cli::npy_descr("uint16", "little") == "<u2");
  CHECK(roc::cli::npy_descr("double", "big") == ">f8");
  CHECK(roc::cli::npy_descr("int8", "big") == "|i1");
  CHECK(roc::cli::npy_descr("bool", "little").empty());
}

TEST_CASE("roc call summarizes a full frame on request, prints all of it otherwise, and saves it as .npy") {
  Fixture fx;
  const lab::Roi full{0, 0, lab::VnirCamera::sensor_width, lab::VnirCamera::sensor_height};
  REQUIRE(fx.roc({"call", "vnir", "set_roi", roi_json(full)}).code == 0);
  const auto expected = first_grab(full, full.height);
  REQUIRE(expected.size() == 1024 * 768);
  roc::test::TempDir dir;

  SUBCASE("--summary: one line with the type, shape, size and first values") {
    auto r = fx.roc({"call", "vnir", "frame", "--summary"});
    CHECK(r.code == 0);
    CHECK(r.out == fmt::format("<uint16 array, shape [768, 1024], 1.5 MiB: {}, ...>\n",
                               fmt::join(expected.begin(), expected.begin() + 6, ", ")));
    r = fx.roc({"call", "vnir", "grab", "768", "--summary"});  // a flat array: one dimension
    CHECK(r.code == 0);
    CHECK(r.out.rfind("<uint16 array, shape [786432], 1.5 MiB: ", 0) == 0);
  }
  SUBCASE("--json and output to a pipe: every number") {
    auto r = fx.roc({"call", "vnir", "grab", "768", "--json"});
    CHECK(r.code == 0);
    CHECK(r.out.find('\n') == r.out.size() - 1);  // compact: one line
    const auto all = Json::parse(r.out).as<std::vector<std::uint16_t>>();
    CHECK(all == expected);
    r = fx.roc({"call", "vnir", "grab", "768"});  // not a terminal: whole JSON, as scripts expect
    CHECK(r.code == 0);
    CHECK(Json::parse(r.out).value().Size() == 786432);
    CHECK(fx.roc({"call", "vnir", "grab", "1", "--json", "--summary"}).code == 2);
  }
  SUBCASE("--save: a .npy file holding exactly the camera's pixels") {
    const auto path = dir / "frame.npy";
    auto r = fx.roc({"call", "vnir", "frame", "--save", path});
    CHECK(r.code == 0);
    CHECK(r.out == "saved result (uint16 array, shape [768, 1024], 1.5 MiB) to " + path + "\n");
    auto npy = read_npy(path);
    CHECK(npy.header == "{'descr': '<u2', 'fortran_order': False, 'shape': (768, 1024), }");
    CHECK(npy.data == bytes_of(expected));
    r = fx.roc({"call", "vnir", "grab", "768", "--save", path});  // replaces the file
    CHECK(r.code == 0);
    npy = read_npy(path);
    CHECK(npy.header == "{'descr': '<u2', 'fortran_order': False, 'shape': (786432,), }");
    CHECK(npy.data.size() == 2 * 786432);
  }
  SUBCASE("--save with nothing to save: exit 8, no file") {
    const auto path = dir / "t.npy";
    auto r = fx.roc({"call", "vnir", "temperature", "--save", path});
    CHECK(r.code == 8);
    CHECK(r.err.find("holds no array") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(path));
    CHECK(fx.roc({"get", "vnir", "fps", "--save", path}).code == 8);
  }
  SUBCASE("--save to a path that cannot be written: exit 1, naming it") {
    const auto path = dir / "no-such-directory/frame.npy";
    auto r = fx.roc({"call", "vnir", "grab", "1", "--save", path});
    CHECK(r.code == 1);
    CHECK(r.err.find("cannot write '" + path + "'") != std::string::npos);
    CHECK(r.err.find("No such file or directory") != std::string::npos);
  }
}

TEST_CASE("roc call summarizes and saves a JSON array of numbers too, and leaves small results as they are") {
  Fixture fx;
  const lab::Roi strip{0, 0, 64, 8};  // 2 lines: 128 pixels, 256 bytes, below the attachment minimum
  REQUIRE(fx.roc({"call", "vnir", "set_roi", roi_json(strip)}).code == 0);
  const auto expected = first_grab(strip, 2);
  roc::test::TempDir dir;
  SUBCASE("summary") {
    auto r = fx.roc({"call", "vnir", "grab", "2", "--summary"});
    CHECK(r.code == 0);
    CHECK(r.out == fmt::format("<int64 array, shape [128], 128 numbers in JSON: {}, ...>\n",
                               fmt::join(expected.begin(), expected.begin() + 6, ", ")));
    r = fx.roc({"call", "vnir", "roi", "--summary"});  // a struct: as before
    CHECK(r.code == 0);
    CHECK(Json::parse(r.out).value()["width"] == 64);
    r = fx.roc({"get", "vnir", "fps", "--summary"});
    CHECK(r.code == 0);
    CHECK(Json::parse(r.out).value().GetDouble() == 100.0);
  }
  SUBCASE("--save as int64") {
    const auto path = dir / "strip.npy";
    auto r = fx.roc({"call", "vnir", "grab", "2", "--save", path, "--json"});
    CHECK(r.code == 0);
    const auto saved = Json::parse(r.out);
    CHECK(saved.value()["path"] == "result");
    CHECK(saved.value()["descr"] == "<i8");
    const auto npy = read_npy(path);
    CHECK(npy.header == "{'descr': '<i8', 'fortran_order': False, 'shape': (128,), }");
    CHECK(npy.data == bytes_of(std::vector<std::int64_t>(expected.begin(), expected.end())));
  }
}

namespace {

/// A result as call_raw() returns it, from JSON text and frames.
roc::RawResult raw_result(const std::string& json, std::vector<std::string>& frames) {
  std::vector<roc::detail::IncomingAttachment> items;
  for (auto& f : frames) items.push_back({f.data(), f.size(), nullptr});
  return roc::RawResult(Json::parse(json), roc::detail::AttachmentSource(std::move(items)));
}

}  // namespace

TEST_CASE("a result's arrays are found at any depth, summarized in place and named by their path") {
  std::vector<std::uint16_t> big(600);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint16_t>(0x0102 + i);
  std::vector<std::string> frames{bytes_of(big)};
  std::string twenty = "[";
  for (int i = 0; i < 20; ++i) twenty += fmt::format("{}{}", i ? "," : "", i * 0.5);
  twenty += "]";
  const auto result = raw_result(
      R"({"exposure":5,"small":[1,2,3],"frames":[{"id":1},{"id":2,"image":{"$attachment":0,"type":"uint16",)"
      R"("order":"big","shape":[20,30]}}],"spectrum":)" + twenty + R"(,"odd key":[[1,2],[3,4]]})",
      frames);
  const auto arrays = roc::cli::find_arrays(result);
  REQUIRE(arrays.size() == 4);
  CHECK(arrays[0].where == "result.small");
  CHECK(arrays[1].where == "result.frames[1].image");
  CHECK(arrays[1].shape == std::vector<std::size_t>{20, 30});
  CHECK(arrays[2].where == "result.spectrum");
  CHECK(arrays[2].type == "double");
  CHECK(arrays[3].where == R"(result["odd key"])");
  CHECK(arrays[3].shape == std::vector<std::size_t>{2, 2});
  // The sender said big-endian: 0x0102 is read as 0x0201.
  CHECK(roc::cli::summarize(arrays[1]) == "<uint16 array, shape [20, 30], 1.172 KiB: 513, 769, 1025, 1281, 1537, 1793, ...>");
  const auto text = roc::cli::format_result(result, true, false, roc::cli::Palette(false));
  CHECK(text.find(R"("small": [)") != std::string::npos);  // small arrays stay as they are
  CHECK(text.find(R"("image": <uint16 array, shape [20, 30])") != std::string::npos);
  CHECK(text.find(R"("spectrum": <double array, shape [20], 20 numbers in JSON: 0, 0.5, 1, 1.5, 2, 2.5, ...>)") !=
        std::string::npos);
  CHECK(text.find(R"("exposure": 5)") != std::string::npos);
  const auto plain = Json::parse(roc::cli::format_result(result, false, true, roc::cli::Palette(false)));
  CHECK(plain.value()["frames"][1]["image"].Size() == 20);
  CHECK(plain.value()["frames"][1]["image"][0][0].GetUint() == 0x0201);

  SUBCASE("a reference that does not fit its frame is an error naming where it is") {
    std::vector<std::string> short_frames{std::string(10, '\0')};
    const auto bad = raw_result(R"({"a":{"$attachment":0,"type":"uint16","order":"little","shape":[6]}})",
                                short_frames);
    CHECK_THROWS_WITH(roc::cli::find_arrays(bad),
                      doctest::Contains("at result.a an attachment reference that does not fit: an attachment of 10 "
                                        "bytes, which is not shape [6] of uint16"));
    const auto missing = raw_result(R"([{"$attachment":3,"type":"uint16","order":"little","shape":[6]}])",
                                    short_frames);
    CHECK_THROWS_WITH(roc::cli::find_arrays(missing),
                      doctest::Contains("at result[0] an attachment reference that does not fit: a reference to "
                                        "attachment 3, but the message carries 1"));
  }
}

// ---- a broker that is down (helper "link"): exit 9, fast, one line ---------------------------

namespace {

/// A broker address nothing listens at: connections there are refused.
std::string refused_broker_address() { return "127.0.0.1:" + std::to_string(roc::test::free_base_port()); }

}  // namespace

TEST_CASE("roc against a refused port or an unknown host says the broker is unreachable and exits 9 at once") {
  struct Case {
    std::string address, reason;
  };
  // RFC 2606: .invalid never resolves.
  const std::vector<Case> brokers = {{refused_broker_address(), "connection refused"},
                                     {"no-such-broker.invalid:5555", "unknown host 'no-such-broker.invalid'"}};
  const std::vector<std::vector<std::string>> calls = {{"list"}, {"ping", "vnir"}, {"call", "vnir", "temperature"}};
  const std::vector<std::vector<std::string>> subscriptions = {
      {"logs"}, {"logs", "-f"}, {"status"}, {"status", "--watch"}};
  for (const auto& broker : brokers) {
    const roc::Endpoints endpoints(broker.address);
    auto check = [&](const std::vector<std::string>& command, const std::string& endpoint) {
      std::vector<std::string> args{ROC_CLI, "--broker", broker.address, "--timeout", "10"};
      args.insert(args.end(), command.begin(), command.end());
      const auto start = std::chrono::steady_clock::now();
      const auto r = roc::test::run(args, 20s);
      CAPTURE(fmt::format("{}", fmt::join(args, " ")));
      CHECK(r.code == 9);
      CHECK(r.err == "roc: broker unreachable at " + endpoint + " (" + broker.reason + ")\n");  // one line
      CHECK(r.out.empty());
      CHECK(std::chrono::steady_clock::now() - start < 3s * roc::test::sanitizer_slowdown);  // not the 10 s timeout
    };
    for (const auto& command : calls) check(command, endpoints.calls());
    for (const auto& command : subscriptions) check(command, endpoints.subscribe());
  }
  SUBCASE("roc-logdump says it at once, waits its --connect-timeout, and exits 9") {
    roc::test::TempDir dir;
    const auto r = roc::test::run({ROC_LOGDUMP, "--broker", "no-such-broker.invalid:5555", "--dir", dir.path(),
                                   "--connect-timeout", "0.5"},
                                  20s);
    CHECK(r.code == 9);
    const std::string unreachable =
        "broker unreachable at tcp://no-such-broker.invalid:5557 (unknown host 'no-such-broker.invalid')";
    CHECK(r.err.find("roc-logdump: " + unreachable + "; waiting up to 0.5 s\n") != std::string::npos);
    CHECK(r.err.find("roc-logdump: " + unreachable + "\n") != std::string::npos);
  }
}

TEST_CASE("roc status --watch says in one line each when it loses the broker and when it is back") {
  auto start_broker = [](const std::string& bind) {
    roc::BrokerOptions o;
    o.bind = bind;
    auto broker = std::make_unique<roc::Broker>(o);
    broker->start();
    return broker;
  };
  auto broker = start_broker("127.0.0.1:0");
  const auto endpoints = broker->endpoints();
  roc::test::TempDir dir;
  const auto out = dir / "watch.out";
  // A long --timeout: on a loaded machine the first snapshot may take longer than the default 2 s.
  roc::test::Child watch({ROC_CLI, "--broker", endpoints.address(), "--timeout", "20", "status", "--watch"}, out);
  INFO("roc status --watch wrote: " << read_file(out));  // read when a check fails
  const auto lost = "roc status: lost the connection to the broker at " + endpoints.subscribe() + "; waiting for it";
  const auto again = "roc status: connected to the broker at " + endpoints.subscribe() + " again";
  // The snapshot of an empty tree is printed once the subscription is up.
  REQUIRE(roc::test::wait_until([&] { return read_file(out).find("(empty)") != std::string::npos; }, 20s));
  broker.reset();
  CHECK(roc::test::wait_until([&] { return read_file(out).find(lost) != std::string::npos; }, 10s));
  broker = start_broker("127.0.0.1:" + std::to_string(endpoints.port()));
  CHECK(roc::test::wait_until([&] { return read_file(out).find(again) != std::string::npos; }, 15s));
  const auto text = read_file(out);
  CHECK(text.find(lost) == text.rfind(lost));
  CHECK(text.find(again) == text.rfind(again));
  CHECK_FALSE(watch.wait(0ms));  // still watching
}
