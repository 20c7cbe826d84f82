// The benchmarks' process layout: the floor and roc are each measured as three processes — client
// (the benchmark itself), a middle hop (a raw zmq_proxy, or roc's broker) and a worker (a raw
// ROUTER echo, or a roc server) — all children of the benchmark started by exec of the benchmark
// binary with a hidden role argument, and so pinned to the CPU the benchmark pinned itself to.
#pragma once

#include <roc/roc.hpp>

#include <zmq.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace roc::bench {

/// The first argument that makes a benchmark binary a child role instead of a benchmark.
inline constexpr const char* role_argument = "--bench-role";

/// When argv names a role (role_argument ROLE ARGS...), runs it and returns its exit code; the
/// roles end on SIGTERM. Returns nullopt for a normal benchmark command line.
std::optional<int> run_role(int argc, char** argv);

/// A benchmark's main(): runs a role when argv names one, else `benchmark`; an exception is one
/// line on stderr, prefixed with `name`, and exit code 1.
int benchmark_main(const char* name, int argc, char** argv, int (*benchmark)(int, char**));

/// A child running this binary in a role; its stdout is a pipe read line by line. SIGTERM and
/// reaped when destroyed.
class RoleProcess {
 public:
  explicit RoleProcess(const std::vector<std::string>& role_args);
  ~RoleProcess();
  RoleProcess(const RoleProcess&) = delete;
  RoleProcess& operator=(const RoleProcess&) = delete;

  /// The next line the child prints (its endpoints, or "ready"); throws std::runtime_error when
  /// it exits or stays silent for 20 s.
  std::string read_line();

 private:
  int pid_ = -1;
  int out_ = -1;
  std::string buffered_;
};

/// CURVE keys for the raw floor: the hop's server key and the client key, as Z85.
struct RawKeys {
  std::string server_public, server_secret, client_public, client_secret;
  static RawKeys generate();
};

/// The raw floor: a `zmq_proxy` ROUTER/DEALER process and a ROUTER worker process behind it,
/// driven by a DEALER client in this process. The worker echoes each request, or — with
/// `reply_bytes` — answers with a fresh message of that many bytes (copied from a stored buffer
/// each time, as a method returning a copy of its frame does).
class RawTwoHop {
 public:
  explicit RawTwoHop(bool curve, std::size_t reply_bytes = 0);

  /// Sends the 64-byte request; receive() takes one reply (its size is returned).
  void send();
  std::size_t receive();
  void round_trip() {
    send();
    (void)receive();
  }

 private:
  std::optional<RawKeys> keys_;
  std::optional<RoleProcess> proxy_;
  std::optional<RoleProcess> worker_;
  zmq::context_t context_{1};
  zmq::socket_t client_{context_, zmq::socket_type::dealer};
  std::string payload_ = std::string(64, 'p');
};

/// What a roc server child publishes.
enum class Served { adder, frames };

/// roc's layout: a broker process (plaintext, CURVE admitting any key, or CURVE with an allow
/// directory holding the server's and the client's keys) and a server process publishing
/// "adder" (add(int,int)->int) or "frames" (frame(width,height)->std::vector<std::uint16_t>,
/// a copy of a stored frame). endpoints() carries the client's credentials.
class RocTwoHop {
 public:
  enum class Security { plaintext, curve, curve_allow };
  RocTwoHop(Security security, Served served);
  ~RocTwoHop();
  const Endpoints& endpoints() const noexcept { return endpoints_; }

 private:
  std::string keys_dir_;
  std::optional<RoleProcess> broker_, server_;
  Endpoints endpoints_;
};

}  // namespace roc::bench
