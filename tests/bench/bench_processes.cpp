// The benchmarks' child processes (see bench_processes.hpp).
#include "bench_processes.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace roc::bench {
namespace {

const std::string none = "-";

void say(const std::string& line) {
  fmt::print("{}\n", line);
  std::fflush(stdout);
}

// The curve secret (or "-") of the two sockets; prints "FRONT BACK", then forwards until killed.
int raw_proxy(const std::vector<std::string>& args) {
  zmq::context_t context(1);
  zmq::socket_t front(context, zmq::socket_type::router), back(context, zmq::socket_type::dealer);
  if (args.at(0) != none) {
    for (auto* s : {&front, &back}) {
      s->set(zmq::sockopt::curve_server, 1);
      s->set(zmq::sockopt::curve_secretkey, args[0]);
    }
  }
  front.bind("tcp://127.0.0.1:*");
  back.bind("tcp://127.0.0.1:*");
  say(front.get(zmq::sockopt::last_endpoint) + " " + back.get(zmq::sockopt::last_endpoint));
  zmq::proxy(front, back);
  return 0;
}

// BACKEND REPLY_BYTES SERVER_PUBLIC CLIENT_PUBLIC CLIENT_SECRET (keys "-" for plaintext): a
// ROUTER worker that echoes every message, envelope and all, or answers with REPLY_BYTES bytes.
int raw_worker(const std::vector<std::string>& args) {
  zmq::context_t context(1);
  zmq::socket_t worker(context, zmq::socket_type::router);
  if (args.at(2) != none) {
    worker.set(zmq::sockopt::curve_serverkey, args.at(2));
    worker.set(zmq::sockopt::curve_publickey, args.at(3));
    worker.set(zmq::sockopt::curve_secretkey, args.at(4));
  }
  worker.connect(args.at(0));
  const std::size_t reply_bytes = std::stoull(args.at(1));
  const std::vector<char> frame(reply_bytes, 'f');
  say("ready");
  std::vector<zmq::message_t> parts;
  for (;;) {
    parts.clear();
    for (;;) {
      zmq::message_t m;
      (void)worker.recv(m);
      const bool more = m.more();
      parts.push_back(std::move(m));
      if (!more) break;
    }
    if (reply_bytes > 0) parts.back() = zmq::message_t(frame.data(), frame.size());
    for (std::size_t i = 0; i < parts.size(); ++i)
      worker.send(parts[i], i + 1 < parts.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
}

// BROKER_SECRET_FILE ALLOW_DIR ("-" for none): prints the broker's address, serves until killed.
int roc_broker(const std::vector<std::string>& args) {
  BrokerOptions options{"127.0.0.1:0"};
  if (args.at(0) != none) options.certificate = Certificate::load(args[0]);
  if (args.at(1) != none) options.allow_directory = args[1];
  Broker broker{options};
  broker.start();
  say(broker.endpoints().address());
  for (;;) ::pause();
}

struct Adder {
  int add(int a, int b) const { return a + b; }
  // The same, for a method that takes the call's context and reports nothing (issue 12: free).
  int add_in_context(int a, int b, const CallContext&) const { return a + b; }
  // Reports `events` progress events as fast as it can: the rate a caller can receive them.
  int report(int events, CallContext& context) const {
    for (int i = 1; i <= events; ++i) context.progress(static_cast<double>(i) / events);
    return events;
  }
  // Runs until cancelled (at most 10 s) and keeps when it saw the cancel, on the machine's
  // monotonic clock, which the benchmark process shares.
  void hold(CallContext& context) {
    if (context.wait_cancelled(std::chrono::seconds(10)))
      cancel_seen_ns = std::chrono::steady_clock::now().time_since_epoch().count();
    throw Cancelled();
  }
  std::int64_t cancel_seen() const { return cancel_seen_ns.load(); }
  std::atomic<std::int64_t> cancel_seen_ns{0};
};

// A camera's stand-in: returns a copy of a stored frame of the asked size.
struct Frames {
  std::vector<std::uint16_t> frame(int width, int height) {
    std::lock_guard lock(mutex);
    auto& stored = frames[{width, height}];
    if (stored.empty()) stored.assign(static_cast<std::size_t>(width) * static_cast<std::size_t>(height), 0x1234);
    return stored;
  }
  std::mutex mutex;
  std::map<std::pair<int, int>, std::vector<std::uint16_t>> frames;
};

// ADDRESS OWN_SECRET_FILE BROKER_PUBLIC_FILE adder|frames: prints "ready" once published.
int roc_server(const std::vector<std::string>& args) {
  auto arg = [&](std::size_t i) { return args.at(i) == none ? std::string() : args[i]; };
  Server server{Endpoints::resolve(args.at(0), arg(1), arg(2))};
  Adder adder;
  Frames frames;
  if (args.at(3) == "adder") {
    server.publish("adder", adder,
                   Binding<Adder>("bench::Adder")
                       .method("add", &Adder::add, {"a", "b"})
                       .method("add_in_context", &Adder::add_in_context, {"a", "b"})
                       .method("report", &Adder::report, {"events"})
                       .method("hold", &Adder::hold)
                       .method("cancel_seen", &Adder::cancel_seen));
  } else {
    server.publish("frames", frames,
                   Binding<Frames>("bench::Frames").method("frame", &Frames::frame, {"width", "height"}));
  }
  server.start();
  say("ready");
  for (;;) ::pause();
}

}  // namespace

std::optional<int> run_role(int argc, char** argv) {
  if (argc < 3 || std::strcmp(argv[1], role_argument) != 0) return std::nullopt;
  spdlog::set_level(spdlog::level::warn);
  const std::string role = argv[2];
  const std::vector<std::string> args(argv + 3, argv + argc);
  try {
    if (role == "raw-proxy") return raw_proxy(args);
    if (role == "raw-worker") return raw_worker(args);
    if (role == "roc-broker") return roc_broker(args);
    if (role == "roc-server") return roc_server(args);
    fmt::print(stderr, "unknown role {}\n", role);
  } catch (const std::exception& e) {
    fmt::print(stderr, "role {} failed: {}\n", role, e.what());
  }
  return 2;
}

RoleProcess::RoleProcess(const std::vector<std::string>& role_args) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("cannot make a pipe");
  std::vector<std::string> argv{"/proc/self/exe", role_argument};
  argv.insert(argv.end(), role_args.begin(), role_args.end());
  std::vector<char*> c_argv;
  for (auto& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  std::fflush(stdout);
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("cannot fork");
  if (pid_ == 0) {
    // A benchmark that dies without its destructors (an uncaught exception, a signal) must not
    // leave brokers and workers running forever.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    ::dup2(fds[1], STDOUT_FILENO);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execv(c_argv[0], c_argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  out_ = fds[0];
}

RoleProcess::~RoleProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  if (out_ >= 0) ::close(out_);
}

std::string RoleProcess::read_line() {
  for (;;) {
    if (auto end = buffered_.find('\n'); end != std::string::npos) {
      std::string line = buffered_.substr(0, end);
      buffered_.erase(0, end + 1);
      return line;
    }
    pollfd p{out_, POLLIN, 0};
    if (::poll(&p, 1, 20000) <= 0) throw std::runtime_error("a benchmark child stayed silent for 20 s");
    char chunk[256];
    const auto n = ::read(out_, chunk, sizeof chunk);
    if (n <= 0) throw std::runtime_error("a benchmark child exited before it was ready (see its stderr)");
    buffered_.append(chunk, static_cast<std::size_t>(n));
  }
}

RawKeys RawKeys::generate() {
  const auto server = Certificate::generate(), client = Certificate::generate();
  return {server.public_key(), server.secret_key(), client.public_key(), client.secret_key()};
}

RawTwoHop::RawTwoHop(bool curve, std::size_t reply_bytes) {
  if (curve) keys_ = RawKeys::generate();
  proxy_.emplace(std::vector<std::string>{"raw-proxy", keys_ ? keys_->server_secret : none});
  const std::string endpoints = proxy_->read_line();
  const auto space = endpoints.find(' ');
  const std::string front = endpoints.substr(0, space), back = endpoints.substr(space + 1);
  worker_.emplace(std::vector<std::string>{"raw-worker", back, std::to_string(reply_bytes),
                                           keys_ ? keys_->server_public : none, keys_ ? keys_->client_public : none,
                                           keys_ ? keys_->client_secret : none});
  (void)worker_->read_line();
  client_.set(zmq::sockopt::linger, 0);
  if (keys_) {
    client_.set(zmq::sockopt::curve_serverkey, keys_->server_public);
    client_.set(zmq::sockopt::curve_publickey, keys_->client_public);
    client_.set(zmq::sockopt::curve_secretkey, keys_->client_secret);
  }
  client_.connect(front);
}

void RawTwoHop::send() {
  client_.send(zmq::message_t(), zmq::send_flags::sndmore);
  client_.send(zmq::buffer(payload_), zmq::send_flags::none);
}

std::size_t RawTwoHop::receive() {
  zmq::message_t empty, body;
  (void)client_.recv(empty);
  (void)client_.recv(body);
  return body.size();
}

RocTwoHop::RocTwoHop(Security security, Served served) {
  std::string broker_secret = none, broker_public = none, allow = none, server_secret = none;
  Credentials client_credentials;
  if (security != Security::plaintext) {
    char pattern[] = "/tmp/roc-bench-keys-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("cannot make a temporary directory");
    keys_dir_ = pattern;
    std::filesystem::create_directory(keys_dir_ + "/allow");
    const auto broker_key = Certificate::generate();
    broker_key.save(keys_dir_ + "/broker");
    broker_secret = keys_dir_ + "/broker.key_secret";
    broker_public = keys_dir_ + "/broker.key";
    auto admit = [&](const char* name) {
      auto key = Certificate::generate();
      key.set_meta("name", name);
      key.public_only().save(keys_dir_ + "/allow/" + name);
      key.save(keys_dir_ + "/" + name);
      return key;
    };
    admit("server");
    server_secret = keys_dir_ + "/server.key_secret";
    client_credentials = Credentials{admit("client"), broker_key.public_only()};
    if (security == Security::curve_allow) allow = keys_dir_ + "/allow";
  }
  broker_.emplace(std::vector<std::string>{"roc-broker", broker_secret, allow});
  const std::string address = broker_->read_line();
  server_.emplace(std::vector<std::string>{"roc-server", address, server_secret, broker_public,
                                           served == Served::adder ? "adder" : "frames"});
  (void)server_->read_line();
  endpoints_ = Endpoints(address);
  endpoints_.set_credentials(client_credentials);
}

RocTwoHop::~RocTwoHop() {
  server_.reset();
  broker_.reset();  // before the directory goes: the broker watches it while it runs
  if (!keys_dir_.empty()) std::filesystem::remove_all(keys_dir_);
}

int benchmark_main(const char* name, int argc, char** argv, int (*benchmark)(int, char**)) {
  if (auto code = run_role(argc, argv)) return *code;
  try {
    return benchmark(argc, argv);
  } catch (const std::exception& e) {
    fmt::print(stderr, "{}: {}\n", name, e.what());
    return 1;
  }
}

}  // namespace roc::bench
