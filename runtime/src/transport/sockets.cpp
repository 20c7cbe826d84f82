// Socket construction for the whole runtime (see sockets.hpp).
#include "transport/sockets.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <mutex>

namespace roc::detail {
namespace {

// A program that trusts the broker's key but has none of its own still needs a key pair for
// CURVE; one per process is enough (the broker sees one client, as it would with a file).
const Certificate& process_key() {
  static const Certificate key = Certificate::generate();
  return key;
}

// What ZeroMQ does by itself against peers that stall, hoard or never speak: drops a peer that
// declares a frame over the size limit (before allocating it), one that has not finished its
// handshake in time, and one that has sent no whole message — a PONG counts — within the timeout
// after a PING: a peer gone away or stalled in the middle of a frame, whose partial frame is freed
// with the connection. libzmq peers answer PINGs from their I/O thread, so idle peers and
// workers deep in a long call are never dropped.
void limit_connections(zmq::socket_t& socket, const BrokerOptions& options) {
  // ZMTP carries the TTL in deciseconds in 16 bits.
  constexpr std::int64_t max_ttl_ms = 6'553'500;
  socket.set(zmq::sockopt::maxmsgsize, static_cast<std::int64_t>(options.max_message_bytes));
  socket.set(zmq::sockopt::handshake_ivl, static_cast<int>(options.handshake_timeout.count()));
  socket.set(zmq::sockopt::heartbeat_ivl, static_cast<int>(options.ping_interval.count()));
  socket.set(zmq::sockopt::heartbeat_timeout, static_cast<int>(options.connection_timeout.count()));
  // Tells the peer to give up on us as we give up on it: a half-open connection to a vanished
  // broker is then noticed by the peer's libzmq too, which reconnects.
  socket.set(zmq::sockopt::heartbeat_ttl,
             static_cast<int>(std::min<std::int64_t>(options.connection_timeout.count(), max_ttl_ms)));
}

}  // namespace

zmq::socket_t broker_socket(zmq::context_t& context, zmq::socket_type type, const Endpoints& broker,
                            const Credentials& credentials) {
  zmq::socket_t socket(context, type);
  socket.set(zmq::sockopt::linger, 0);
  if (!broker.host().empty() && broker.host().front() == '[') socket.set(zmq::sockopt::ipv6, 1);
  if (credentials.secure()) {
    const Certificate& own = credentials.own ? *credentials.own : process_key();
    socket.set(zmq::sockopt::curve_serverkey, credentials.broker->public_key());
    socket.set(zmq::sockopt::curve_publickey, own.public_key());
    socket.set(zmq::sockopt::curve_secretkey, own.secret_key());
  }
  return socket;
}

zmq::socket_t broker_side_socket(zmq::context_t& context, zmq::socket_type type, bool ipv6,
                                 const BrokerOptions& options) {
  zmq::socket_t socket(context, type);
  socket.set(zmq::sockopt::linger, 0);
  if (ipv6) socket.set(zmq::sockopt::ipv6, 1);
  limit_connections(socket, options);
  if (options.certificate) {
    socket.set(zmq::sockopt::curve_server, 1);
    socket.set(zmq::sockopt::curve_secretkey, options.certificate->secret_key());
    socket.set(zmq::sockopt::zap_domain, zap_domain);
  }
  return socket;
}

zmq::socket_t inproc_socket(zmq::context_t& context, zmq::socket_type type) {
  zmq::socket_t socket(context, type);
  socket.set(zmq::sockopt::linger, 0);
  return socket;
}

bool receive_now(zmq::socket_t& socket, zmq::message_t& frame) {
  try {
    return socket.recv(frame, zmq::recv_flags::dontwait).has_value();
  } catch (const zmq::error_t& e) {
    if (e.num() == EINTR) return false;
    throw;
  }
}

bool receive_rest(zmq::socket_t& socket, zmq::message_t& frame) {
  for (int attempt = 0; attempt < 100; ++attempt)
    if (receive_now(socket, frame)) return true;
  return false;
}

}  // namespace roc::detail
