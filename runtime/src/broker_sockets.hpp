// What every socket the broker binds does against peers that stall, hoard or never speak.
#pragma once

#include "roc/broker.hpp"

#include <zmq.hpp>

#include <algorithm>
#include <cstdint>

namespace roc::detail {

/// Sets the connection limits of BrokerOptions on a socket before it binds (docs/broker.md,
/// "Connections"): ZeroMQ then drops, by itself, a peer that declares a frame over the size limit
/// (before allocating it), one that has not finished its handshake in time, and one that has
/// sent no whole message — a PONG counts — within the timeout after a PING: that is a peer gone
/// away or stalled in the middle of a frame, whose partial frame is freed with the connection.
/// libzmq peers answer PINGs from their I/O thread, so idle peers and workers deep in a long
/// call are never dropped.
inline void limit_connections(zmq::socket_t& socket, const BrokerOptions& options) {
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

}  // namespace roc::detail
