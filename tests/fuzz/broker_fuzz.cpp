// Fuzzes the broker's routing state machine (BrokerCore) with a sequence of multipart messages
// from up to four peers, on a real ROUTER bound to an inproc endpoint nobody connects to (so
// every reply and heartbeat it sends is dropped by ZeroMQ), with a simulated clock so heartbeats,
// worker expiry and the unknown-object grace all fire. Input, per message: a header byte (peer in
// bits 0-1, clock step in bits 2-5 in units of 250 ms, followed by on_timer()), a frame count,
// then that many length-prefixed frames after the peer's identity (fuzz_input.hpp).
// The core must end empty after shutdown(), whatever came before.
#include "broker/core.hpp"
#include "fuzz_input.hpp"

#include <roc/presence.hpp>

#include <spdlog/spdlog.h>

#include <cstdlib>

namespace {

using roc::detail::BrokerCore;
using namespace std::chrono_literals;

void check(bool condition) {
  if (!condition) std::abort();
}

zmq::socket_t& router() {
  static zmq::context_t context(1);
  static zmq::socket_t socket = [] {
    zmq::socket_t s(context, zmq::socket_type::router);
    s.set(zmq::sockopt::linger, 0);
    s.bind("inproc://roc-broker-fuzz");
    return s;
  }();
  return socket;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);  // the core warns about every malformed message
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  roc::BrokerOptions options;
  options.heartbeat_interval = 1000ms;
  options.heartbeat_liveness = 3;
  options.unknown_object_grace = 500ms;
  options.max_request_bytes = 4096;  // small bounds, so the fuzzer reaches the refusals
  options.max_queued_per_object = 4;
  options.max_queued_bytes = 8192;
  // Every presence event the core writes must read back as one (PROTOCOL §5.6).
  const auto presence = [](std::string topic, std::string body) {
    const auto event = roc::parse_presence_event(body);
    check(event && topic == "roc.presence." + event->id);
  };
  BrokerCore core(router(), options, /*keys=*/nullptr, presence);  // plaintext: inproc messages carry no key

  roc::fuzz::Input input(data, size);
  auto now = BrokerCore::Clock::now();
  for (int message = 0; message < 64 && !input.empty(); ++message) {
    const std::uint8_t header = input.byte();
    roc::detail::mdp::Frames frames;
    const std::string identity = "peer" + std::to_string(header & 3);
    frames.emplace_back(identity.data(), identity.size());
    for (int n = input.byte() % 8; n > 0; --n) {
      const auto piece = input.piece();
      frames.emplace_back(piece.data(), piece.size());
    }
    core.handle(frames, now);
    if (const int step = (header >> 2) & 15) {
      now += step * 250ms;
      core.on_timer(now);
    }
    check(core.next_wakeup() > BrokerCore::Clock::time_point::min());
  }
  core.shutdown();
  const auto stats = core.stats();
  check(stats.workers == 0 && stats.queued == 0 && stats.queued_bytes == 0);
  for (const auto& [id, count] : core.worker_counts()) check(count == 0);
  return 0;
}
