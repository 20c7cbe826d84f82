"""The watcher of a socket's connection to the broker, as the C++ runtime's ConnectionMonitor
(runtime/src/transport/connection_monitor.hpp): ZeroMQ's socket events read into "up", "lost"
and "an attempt failed, and why", so that a broker that is down is not taken for a slow object.

An attempt fails when ZeroMQ schedules a retry without a TCP connection having been made since
the last one: nothing listens there ("connection refused"), or the host name does not resolve
("unknown host 'x'", found out with getaddrinfo once per outage). A connection made and then
refused in the handshake (CURVE: a key the broker does not admit) yields no event: calls wait
for their timeout, as before.
"""
from __future__ import annotations

import socket as _net
from typing import Iterator, Optional, Tuple

import zmq
from zmq.utils.monitor import recv_monitor_message

__all__ = ["LinkMonitor", "unreachable_reason", "UP", "LOST", "FAILED", "LOST_IN_FLIGHT"]

UP, LOST, FAILED = "up", "lost", "failed"
# The reason of calls sent when the connection dropped: the broker may have passed them on.
LOST_IN_FLIGHT = "lost the connection; the call may have run"

_WATCHED = (zmq.EVENT_CONNECTED | zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_DISCONNECTED
            | zmq.EVENT_CONNECT_RETRIED)


def _host_of(endpoint: str) -> str:
    if not endpoint.startswith("tcp://"):
        return ""
    host = endpoint[len("tcp://"):].rpartition(":")[0]
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def unreachable_reason(endpoint: str) -> str:
    """Why a connection to `endpoint` fails: "unknown host 'x'" when its host does not resolve,
    else "connection refused"."""
    host = _host_of(endpoint)
    if not host:
        return "connection refused"
    try:
        _net.getaddrinfo(host, None, type=_net.SOCK_STREAM)
    except _net.gaierror as error:
        if error.errno == _net.EAI_AGAIN:
            return f"cannot resolve host '{host}' now: {error.strerror}"
        return f"unknown host '{host}'"
    return "connection refused"


class LinkMonitor:
    """Watches `socket`, which must not be connected yet, as it connects to `endpoint`. Not
    thread-safe: the thread (or event loop) that uses the socket reads it. close() before the
    socket closes."""

    def __init__(self, socket: zmq.Socket, endpoint: str) -> None:
        self.endpoint = endpoint
        self.up = False
        # Why the last attempt failed, while no connection was made since; None otherwise.
        # Attempts repeat every 100-200 ms, so after reading all events it is that recent.
        self.failure: Optional[str] = None
        self._reached = False
        self._outage_reason: Optional[str] = None
        self._watched = socket
        self.socket = socket.get_monitor_socket(_WATCHED)

    def events(self) -> Iterator[Tuple[str, str]]:
        """What happened since the last call, without waiting: (UP, ""), (LOST, reason) or
        (FAILED, reason), in order."""
        while True:
            try:
                event = recv_monitor_message(self.socket, zmq.NOBLOCK)
            except zmq.Again:
                return
            kind = event["event"]
            if kind == zmq.EVENT_CONNECTED:
                self._reached = True
            elif kind == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                self.up = True
                self._outage_reason = self.failure = None
                yield UP, ""
            elif kind == zmq.EVENT_DISCONNECTED:
                if self.up:   # else a handshake that failed: the port was reached
                    self.up = False
                    self.failure = None
                    yield LOST, "lost the connection"
            elif kind == zmq.EVENT_CONNECT_RETRIED:
                reached, self._reached = self._reached, False
                if not reached:
                    if self._outage_reason is None:
                        self._outage_reason = unreachable_reason(self.endpoint)
                    self.failure = self._outage_reason
                    yield FAILED, self.failure

    def close(self) -> None:
        try:
            self._watched.disable_monitor()
        except zmq.ZMQError:
            pass
        self.socket.close(linger=0)
