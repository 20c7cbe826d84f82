// The one place roc makes its sockets: what every socket to or of the broker needs (addresses,
// CURVE, connection limits) is applied here, so no part of the runtime can forget a setting.
#pragma once

#include "roc/broker.hpp"
#include "roc/endpoints.hpp"
#include "roc/security.hpp"

#include <zmq.hpp>

namespace roc::detail {

/// The ZAP domain of roc's broker sockets: its authenticator answers only for this domain.
inline constexpr const char* zap_domain = "roc";

/// A socket that will connect to one of the broker's endpoints, not connected yet, so that the
/// caller can set its own options first. It has linger 0, IPv6 on for a `[v6]` host and, when
/// `credentials` are secure, CURVE as a client: the broker's public key and this program's key
/// pair (a per-process one when `credentials.own` is not set).
zmq::socket_t broker_socket(zmq::context_t& context, zmq::socket_type type, const Endpoints& broker,
                            const Credentials& credentials);

/// A socket the broker will bind, not bound yet (ZeroMQ copies a socket's options into each
/// bind, so the caller sets its own before binding): linger 0, the connection limits of
/// `options` (docs/broker.md, "Connections"), IPv6 as asked, and CURVE as the server with roc's
/// ZAP domain when `options.certificate` is set.
zmq::socket_t broker_side_socket(zmq::context_t& context, zmq::socket_type type, bool ipv6,
                                 const BrokerOptions& options);

/// A socket for talking between threads of one process (inproc): linger 0, no security needed.
zmq::socket_t inproc_socket(zmq::context_t& context, zmq::socket_type type);

/// Receives one frame without waiting; false when none is there. A signal can interrupt even a
/// non-blocking receive (libzmq looks at its command mailbox first): that counts as "nothing
/// now", so a program's signal handler gets its loop back instead of an exception.
bool receive_now(zmq::socket_t& socket, zmq::message_t& frame);
/// The next frame of a multipart message: already there (ZeroMQ delivers the parts at once), so
/// an interrupted receive is tried again rather than cut the message in two. False only when it
/// keeps failing.
bool receive_rest(zmq::socket_t& socket, zmq::message_t& frame);

}  // namespace roc::detail
