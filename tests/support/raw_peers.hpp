// Peers that act below roc's own client and server, for the tests that play a third party or an
// attacker: a hand-driven 7/MDP DEALER, a raw TCP connection that speaks as much ZMTP as told,
// and rocbroker as a child process whose memory can be read.
#pragma once

#include "wire/mdp.hpp"
#include "support/process.hpp"

#include <zmq.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace roc::test {

/// A DEALER driven frame by frame: a plain 7/MDP client or worker, or garbage on purpose.
class MdpPeer {
 public:
  MdpPeer(zmq::context_t& context, const std::string& endpoint);
  /// Sends one multipart message of exactly these frames.
  void send(const std::vector<std::string>& parts);
  /// A client request: `""`, `MDPC01`, service, [roc's call header when `timeout`], body.
  void call(const std::string& service, const std::string& body,
            std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  /// The next message, or nothing within `timeout`.
  std::optional<detail::mdp::Frames> recv(std::chrono::milliseconds timeout);
  /// The body of the next client reply, or nothing within `timeout`; when `service` is given,
  /// checks that the reply names it.
  std::optional<std::string> reply(std::chrono::milliseconds timeout,
                                   const std::optional<std::string>& service = std::nullopt);
  void close() { socket_.close(); }

 private:
  zmq::socket_t socket_;
};

/// A TCP connection to 127.0.0.1:port made with POSIX sockets; ZeroMQ nowhere.
class RawTcpPeer {
 public:
  explicit RawTcpPeer(unsigned port);
  ~RawTcpPeer();
  RawTcpPeer(const RawTcpPeer&) = delete;
  RawTcpPeer& operator=(const RawTcpPeer&) = delete;

  /// ZMTP 3.0 greeting with the NULL mechanism, then READY: a complete handshake.
  void handshake(const std::string& socket_type = "DEALER");
  void send_raw(const std::string& bytes);
  /// A long frame header declaring `size` bytes (more frames follow), without the bytes.
  void declare_frame(std::uint64_t size);
  /// Sends up to `bytes` zero bytes; returns how many the kernel took before an error.
  std::uint64_t send_zeros(std::uint64_t bytes);
  /// Whether the peer closed the connection within `wait` (reads and discards what it sends).
  bool closed_within(std::chrono::milliseconds wait);

 private:
  int fd_;
};

/// Resident memory of process `pid` in KiB (VmRSS), or -1 when it cannot be read.
long rss_kib(int pid);

/// rocbroker (path `program`) as a child process bound to a free port on 127.0.0.1, with extra
/// `flags`; its calls port is read from what it prints. Killed when destroyed.
struct BrokerProcess {
  BrokerProcess(const std::string& program, const std::vector<std::string>& flags);
  std::string output;
  Child child;
  unsigned port = 0;
  std::string address() const { return "127.0.0.1:" + std::to_string(port); }
};

}  // namespace roc::test
