// Hand-driven peers for the tests that act as third parties and attackers.
#include "support/raw_peers.hpp"

#include "support/temp_dir.hpp"

#include "support/test_support.hpp"

#include <doctest/doctest.h>
#include <zmq_addon.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <iterator>

namespace roc::test {

namespace mdp = detail::mdp;
using Clock = std::chrono::steady_clock;

MdpPeer::MdpPeer(zmq::context_t& context, const std::string& endpoint) : socket_(context, zmq::socket_type::dealer) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.connect(endpoint);
}

void MdpPeer::send(const std::vector<std::string>& parts) {
  mdp::Frames frames;
  for (const auto& p : parts) frames.emplace_back(p.data(), p.size());
  REQUIRE(zmq::send_multipart(socket_, frames));
}

void MdpPeer::call(const std::string& service, const std::string& body,
                   std::optional<std::chrono::milliseconds> timeout) {
  mdp::CallHeader header{timeout};
  REQUIRE(mdp::send_request(socket_, service, mdp::one_frame(zmq::message_t(body.data(), body.size())), timeout ? &header : nullptr));
}

std::optional<mdp::Frames> MdpPeer::recv(std::chrono::milliseconds timeout) {
  zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, timeout) <= 0) return std::nullopt;
  mdp::Frames frames;
  REQUIRE(zmq::recv_multipart(socket_, std::back_inserter(frames)));
  return frames;
}

std::optional<std::string> MdpPeer::reply(std::chrono::milliseconds timeout,
                                          const std::optional<std::string>& service) {
  auto frames = recv(timeout);
  if (!frames) return std::nullopt;
  auto decoded = mdp::decode_at_client(*frames);
  REQUIRE_MESSAGE(decoded, decoded.error);
  if (service) CHECK(decoded.message->service == *service);
  return decoded.message->body.front().to_string();
}

RawTcpPeer::RawTcpPeer(unsigned port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
  REQUIRE(fd_ >= 0);
  timeval send_timeout{2, 0};  // a send into a full window fails instead of hanging the test
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
}

RawTcpPeer::~RawTcpPeer() { ::close(fd_); }

void RawTcpPeer::handshake(const std::string& socket_type) {
  std::string greeting(64, '\0');
  greeting[0] = '\xff';
  greeting[9] = '\x7f';
  greeting[10] = 3;
  greeting.replace(12, 4, "NULL");
  send_raw(greeting);
  const std::string properties = std::string("\x0bSocket-Type", 12) + std::string("\0\0\0", 3) +
                                 static_cast<char>(socket_type.size()) + socket_type;
  const std::string body = std::string("\x05READY") + properties;
  send_raw(std::string(1, '\x04') + std::string(1, static_cast<char>(body.size())) + body);
}

void RawTcpPeer::send_raw(const std::string& bytes) {
  REQUIRE(::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size()));
}

void RawTcpPeer::declare_frame(std::uint64_t size) {
  std::string header(1, '\x03');  // long, more
  for (int shift = 56; shift >= 0; shift -= 8) header += static_cast<char>((size >> shift) & 0xff);
  send_raw(header);
}

std::uint64_t RawTcpPeer::send_zeros(std::uint64_t bytes) {
  static const std::string chunk(1 << 20, '\0');
  std::uint64_t sent = 0;
  while (sent < bytes) {
    const auto n = ::send(fd_, chunk.data(), std::min<std::uint64_t>(chunk.size(), bytes - sent), MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::uint64_t>(n);
  }
  return sent;
}

bool RawTcpPeer::closed_within(std::chrono::milliseconds wait) {
  const auto until = Clock::now() + wait;
  char buffer[4096];
  while (Clock::now() < until) {
    pollfd item{fd_, POLLIN, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    if (::poll(&item, 1, static_cast<int>(std::max<long>(left.count(), 0))) <= 0) continue;
    const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
  }
  return false;
}

long rss_kib(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

BrokerProcess::BrokerProcess(const std::string& program, const std::vector<std::string>& flags)
    : output(temp_root() + "/roc-test-broker-" + std::to_string(::getpid()) + "-" +
             std::to_string(Clock::now().time_since_epoch().count()) + ".txt"),
      child(
          [&] {
            std::vector<std::string> argv{program, "--bind", "127.0.0.1:0"};
            argv.insert(argv.end(), flags.begin(), flags.end());
            return argv;
          }(),
          output) {
  REQUIRE(wait_until(
      [&] {
        std::ifstream in(output);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        const auto at = text.find("calls tcp://127.0.0.1:");
        if (at == std::string::npos) return false;
        port = static_cast<unsigned>(std::stoul(text.substr(at + 22)));
        return true;
      },
      std::chrono::seconds(10)));
}

}  // namespace roc::test
