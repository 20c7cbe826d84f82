"""Central logging from Python (idl/PROTOCOL.md §5.1): a `logging.Handler` that publishes every
record as a roc log record, and a subscription that reads them back.

    import logging, roc
    logging.getLogger().addHandler(roc.LogHandler("stage-node"))
    logging.warning("stage stuck at %.1f mm", 12.5)      # also seen by `roc logs`, roc-logdump

The handler never blocks the logging thread on the network: a record is turned into a dict in the
caller's thread (the message must be formatted there, its arguments may change later) and put on
a bounded queue; one background thread owns the socket, serializes and sends. A full queue drops
the record and counts it (`LogHandler.dropped`), the only place anything is lost — exactly as the
C++ `roc::log::Sink` (runtime/src/logs/log_sink.cpp).

The same background publisher (`_Publisher`) carries status updates (status.py).
"""
from __future__ import annotations

import collections
import logging
import os
import re
import sys
import threading
import time
from typing import Any, Callable, Deque, Dict, Iterable, Iterator, List, Optional, Tuple, TypeVar, Union

import zmq

from . import wire
from .endpoints import Endpoints
from .errors import ProtocolError

__all__ = ["LogHandler", "LogSubscription", "parse_record", "LEVELS", "MAX_RECORD_BYTES",
           "RocLogger", "initRocLogging"]

#: spdlog's level names, lowest first: the only levels on the wire (§5.1).
LEVELS = ("trace", "debug", "info", "warning", "error", "critical")
_RANK = {name: i for i, name in enumerate(LEVELS)}
_RANK.update({"warn": _RANK["warning"], "err": _RANK["error"]})  # spdlog's short forms, accepted
#: Bodies longer than this are dropped by a LogSubscription (and by C++ receivers), unread.
MAX_RECORD_BYTES = 1 << 20

Where = Union[Endpoints, str, None]


def level_name(levelno: int) -> str:
    """The spdlog name of a Python level: DEBUG → debug, INFO → info, ..., CRITICAL → critical.
    Custom levels fall to the next standard one below (25 → info); below DEBUG is `trace`."""
    if levelno >= logging.CRITICAL:
        return "critical"
    if levelno >= logging.ERROR:
        return "error"
    if levelno >= logging.WARNING:
        return "warning"
    if levelno >= logging.INFO:
        return "info"
    if levelno >= logging.DEBUG:
        return "debug"
    return "trace"


def program_name() -> str:
    """The default node: the running program's name without its extension, one topic segment
    (dots become '-'); `python` for an interactive session, `-c` or `-m`."""
    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else ""
    name = os.path.basename(argv0)
    stem = name.rsplit(".", 1)[0] if name.endswith((".py", ".pyw")) else name
    if not stem or stem in ("-c", "-m", "__main__", "ipykernel_launcher"):
        return "python"
    return stem.replace(".", "-").replace(" ", "-")


def check_node(node: str) -> str:
    """A node name is one topic segment: non-empty, no dots (as the C++ sink demands)."""
    if not isinstance(node, str) or not node or "." in node:
        raise ValueError(f"log node name {node!r} must be non-empty text without dots "
                         "(it is one segment of the topic log.<level>.<node>)")
    return node


def resolve(where: Where, kind: str, raw: bool = False) -> Tuple[str, Endpoints]:
    """The socket endpoint to connect to and the Endpoints whose credentials secure it.

    `kind` is "publish" (the broker's XSUB) or "subscribe" (its XPUB): Endpoints or a broker
    address (`host`, `host:port`, `tcp://host:port`, None for $ROC_BROKER) give that port. With
    `raw` (the original ROC's names), a string with a scheme is the socket's own endpoint, as the
    original passed `ep.generalXSUB` / `ep.generalXPUB`; credentials then come from $ROC_CERT /
    $ROC_BROKER_CERT.
    """
    if raw and isinstance(where, str) and "://" in where:
        return where, Endpoints()
    endpoints = Endpoints.of(where)
    return getattr(endpoints, kind), endpoints


# --- the background publisher -----------------------------------------------------------------

class _Publisher:
    """A thread owning an XPUB connected to the broker's XSUB (runtime/src/transport/publisher.hpp).

    XPUB rather than PUB so the thread sees the broker's subscriptions: nothing is sent before
    the first one arrives (a PUB drops what is sent before its peer subscribed, losing the first
    records after start), and `on_subscribe` hears of every (re)connection — the StatusUpdater
    republishes its tree when the broker's `status` subscription arrives (§5.4).

    `push()` takes a lock held only for queue operations and never waits for the network; a full
    queue drops and counts. XPUB_NODROP makes a full socket pipe hold this thread (not the
    callers), so drops happen only at the queue and are all counted.
    """

    IDLE_POLL = 0.02  # how late a (re)connection can be noticed while idle, seconds

    def __init__(self, address: str, endpoints: Endpoints, ctx: Optional[zmq.Context], capacity: int,
                 encode: Callable[[Any], Tuple[bytes, ...]],
                 on_subscribe: Optional[Callable[[bytes], List[Tuple[bytes, ...]]]] = None,
                 name: str = "roc-publisher") -> None:
        self._capacity = capacity
        self._encode = encode
        self._on_subscribe = on_subscribe
        self._ctx = ctx or zmq.Context.instance()
        # Created and connected here so a bad endpoint raises in the caller; from now on only
        # the thread touches it (the thread's start is the memory barrier ZeroMQ asks for).
        self._socket = endpoints.secure(self._ctx.socket(zmq.XPUB))
        try:
            self._socket.setsockopt(zmq.XPUB_VERBOSE, 1)
            self._socket.setsockopt(zmq.XPUB_NODROP, 1)
            self._socket.sndhwm = 10000
            self._socket.linger = 500  # closing never waits longer for a dead broker
            if address.startswith("tcp://["):
                self._socket.ipv6 = True
            self._socket.connect(address)
        except Exception:
            self._socket.close(0)
            raise
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._idle = threading.Condition(self._lock)
        self._queue: Deque[Any] = collections.deque()
        self._sleeping = False
        self._sending = False
        self._stop = False
        self._connected = False
        self.dropped = 0
        self.address = address
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def connected(self) -> bool:
        """Whether a subscription has arrived since the start (a broker is, or was, connected)."""
        return self._connected

    def push(self, item: Any) -> bool:
        """Queues `item`; False (counted in `dropped`) when the queue is full or closed."""
        with self._lock:
            if self._stop or len(self._queue) >= self._capacity:
                self.dropped += 1
                return False
            self._queue.append(item)
            if self._sleeping:
                self._sleeping = False
                self._wake.notify()
            return True

    def flush(self, timeout: float) -> bool:
        """Waits until the broker has subscribed and every queued item was handed to the socket;
        False after `timeout` seconds."""
        with self._lock:
            return self._idle.wait_for(
                lambda: self._connected and not self._queue and not self._sending, timeout)

    def close(self, drain: float = 0.5) -> None:
        """Waits up to `drain` seconds for queued items, stops the thread, closes the socket
        (which then has 0.5 s to hand over what it holds)."""
        if self._thread.is_alive() and drain > 0:
            self.flush(drain)
        with self._lock:
            self._stop = True
            self._wake.notify_all()
        if self._thread is not threading.current_thread():
            self._thread.join(5.0)
        if not self._thread.is_alive() and not self._socket.closed:
            self._socket.close()

    def _run(self) -> None:
        extra: List[Tuple[bytes, ...]] = []
        try:
            while True:
                self._take_subscriptions(extra)
                for message in extra:  # rare (a (re)connection): a full pipe drops it
                    if not self._send(*message):
                        self._count_drop()
                extra.clear()
                with self._lock:
                    if self._stop and (not self._queue or not self._connected):
                        self._sending = False
                        self._idle.notify_all()
                        return
                    if not self._queue or not self._connected:
                        self._sending = False
                        self._idle.notify_all()
                        self._sleeping = True
                        # Bounded: subscriptions arrive on the socket, which a condition
                        # variable cannot watch.
                        self._wake.wait(self.IDLE_POLL)
                        self._sleeping = False
                        continue
                    batch, self._queue = self._queue, collections.deque()
                    self._sending = True
                for item in batch:
                    try:
                        message = self._encode(item)
                    except Exception:  # an item that cannot be sent: counted, never raised
                        self._count_drop()
                        continue
                    while not self._send(*message):
                        if self._stopping():
                            self._count_drop()
                            break
                        self._take_subscriptions(extra)
                        time.sleep(0.001)
        except zmq.ContextTerminated:
            pass
        finally:
            with self._lock:
                self._sending = False
                self._stop = True
                self._idle.notify_all()

    def _count_drop(self) -> None:
        with self._lock:  # callers count under the same lock in push()
            self.dropped += 1

    def _stopping(self) -> bool:
        with self._lock:
            return self._stop

    def _take_subscriptions(self, extra: List[Tuple[bytes, ...]]) -> None:
        while True:
            try:
                message = self._socket.recv(zmq.NOBLOCK)
            except zmq.Again:
                return
            if not message or message[0] != 1:
                continue  # unsubscriptions
            self._connected = True
            if self._on_subscribe:
                try:
                    extra.extend(self._on_subscribe(message[1:]))
                except Exception:
                    self._count_drop()

    def _send(self, topic: bytes, *frames: bytes) -> bool:
        """Sends [topic, *frames]; False when the socket's pipe is full (XPUB_NODROP)."""
        try:
            self._socket.send(topic, zmq.SNDMORE | zmq.NOBLOCK)
        except zmq.Again:
            return False
        # Once the first frame is in, the rest of the message always goes (a message is atomic).
        self._socket.send_multipart(frames)
        return True


# --- the handler --------------------------------------------------------------------------------

def _iso8601(created: float) -> str:
    """`created` (seconds since the epoch) as ISO 8601 UTC with microseconds, like the C++ sink."""
    micros = int(round(created * 1_000_000))
    seconds, fraction = divmod(micros, 1_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{fraction:06d}Z"


def _encode_record(item: Tuple[str, Dict[str, Any]]) -> Tuple[bytes, bytes]:
    topic, body = item
    return topic.encode("utf-8"), wire.dumps(body)


class LogHandler(logging.Handler):
    """A `logging.Handler` publishing each record to the broker as topic `log.<level>.<node>`.

    `node` is this program's name in the lab's logs (default: the program's file name without its
    extension); `endpoints` the broker (Endpoints, an address, or None for $ROC_BROKER). The body
    is §5.1's: `ts` (record.created, ISO 8601 UTC with microseconds), `level` (spdlog's name:
    DEBUG → debug, WARNING → warning, below DEBUG → trace), `node`, `logger` (record.name), `msg`
    (the formatted message, with a traceback when the record has one), `file` (the basename),
    `line` and `thread` (the OS thread id, as the C++ sink sends).

    `emit()` never waits for the network: records queue (at most `capacity`) for a background
    thread; beyond that they are dropped and counted in `dropped`. Records logged before the
    broker connects are held, not lost. `flush()` does nothing (logging may call it from any
    thread at any time); `drain(timeout)` waits for delivery; `close()` drains for up to 1 s.
    """

    _raw_destination = False  # RocLogger: a "tcp://..." destination is the XSUB endpoint itself

    def __init__(self, node: Optional[str] = None, endpoints: Where = None, *,
                 ctx: Optional[zmq.Context] = None, level: int = logging.NOTSET,
                 capacity: int = 16384) -> None:
        super().__init__(level)
        self.node = check_node(program_name() if node is None else node)
        address, eps = resolve(endpoints, "publish", self._raw_destination)
        self._publisher = _Publisher(address, eps, ctx, capacity, _encode_record,
                                     name=f"roc-log-{self.node}")
        self._closed = False

    @property
    def dropped(self) -> int:
        """Records dropped because the queue was full (or they could not be encoded)."""
        return self._publisher.dropped

    @property
    def connected(self) -> bool:
        """Whether the broker has connected (its first subscription arrived)."""
        return self._publisher.connected

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level = level_name(record.levelno)
            body = {
                "ts": _iso8601(record.created),
                "level": level,
                "node": self.node,
                "logger": record.name,
                "msg": self.format(record),
                "file": os.path.basename(record.pathname) if record.pathname else None,
                "line": int(record.lineno or 0),
                # The caller's OS thread id, as the C++ sink sends (record.thread is Python's).
                "thread": threading.get_native_id(),
            }
        except Exception:
            # A record that cannot be formatted (wrong % arguments): logging's convention, a
            # report on stderr (when logging.raiseExceptions), never an exception in the caller.
            self.handleError(record)
            return
        self._publisher.push((f"log.{level}.{self.node}", body))

    def flush(self) -> None:
        """Does nothing: logging calls it from the caller's thread, which must not wait. Use
        `drain()` to wait for delivery."""

    def drain(self, timeout: float = 1.0) -> bool:
        """Waits until the broker is connected and every queued record was handed to the
        network; False after `timeout` seconds."""
        return self._publisher.flush(timeout)

    def close(self) -> None:
        """Waits up to 1 s for queued records to leave, then stops the thread."""
        if not self._closed:
            self._closed = True
            self._publisher.close(drain=1.0)
        super().close()

    def __repr__(self) -> str:
        return f"<LogHandler node={self.node!r} → {self._publisher.address}>"


# --- reading records ------------------------------------------------------------------------------

_TS = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z")
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_INT32 = (-(1 << 31), (1 << 31) - 1)


def _valid_ts(text: str) -> bool:
    """`YYYY-MM-DDTHH:MM:SS[.fraction]Z`, the only form §5.1 allows (as the C++ parse_ts)."""
    match = _TS.fullmatch(text)
    if not match:
        return False
    _, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    return (1 <= month <= 12 and 1 <= day <= _MONTH_DAYS[month - 1] and hour <= 23
            and minute <= 59 and second <= 60)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def read_json(body: Any, max_depth: int = wire.MAX_DEPTH, max_bytes: Optional[int] = None) -> Any:
    """One body read the way roc's receivers read it: at most `max_bytes` (not even parsed when
    longer), strict JSON (wire.loads), nested at most `max_depth` levels. Raises ProtocolError."""
    if max_bytes is not None and len(body) > max_bytes:
        raise ProtocolError(f"body of {len(body)} bytes is over the limit of {max_bytes}")
    value = wire.loads(body)  # refuses more than wire.MAX_DEPTH levels itself
    if max_depth < wire.MAX_DEPTH and wire.depth(value) > max_depth:
        raise ProtocolError(f"JSON nested deeper than {max_depth} levels")
    return value


def parse_record(body: Any) -> Dict[str, Any]:
    """A §5.1 log body read and checked as C++'s roc::log::parse_record checks it; raises
    ProtocolError saying why it is not a record. The dict is the body as sent."""
    record = read_json(body, wire.MAX_DEPTH, MAX_RECORD_BYTES)
    if not isinstance(record, dict):
        raise ProtocolError("a log record is a JSON object")
    for name in ("ts", "level", "node", "msg"):
        if not isinstance(record.get(name), str):
            raise ProtocolError(f"a log record needs '{name}' as a string")
    if "logger" in record and not isinstance(record["logger"], str):
        raise ProtocolError("'logger' must be a string")
    if not _valid_ts(record["ts"]):
        raise ProtocolError(f"'ts' {record['ts'][:40]!r} is not YYYY-MM-DDTHH:MM:SS[.fraction]Z")
    if record["level"] not in _RANK:
        raise ProtocolError(f"unknown level {record['level'][:20]!r}")
    if not record["node"]:
        raise ProtocolError("'node' is empty")
    if record.get("file") is not None and not isinstance(record["file"], str):
        raise ProtocolError("'file' must be a string or null")
    if "line" in record and not (_is_int(record["line"]) and _INT32[0] <= record["line"] <= _INT32[1]):
        raise ProtocolError("'line' must be an integer")
    if "thread" in record and not (_is_int(record["thread"]) and 0 <= record["thread"] < 1 << 64):
        raise ProtocolError("'thread' must be an unsigned integer")
    return record


def _level_rank(level: str) -> int:
    if level not in _RANK:
        raise ValueError(f"unknown log level {level!r}: use one of {', '.join(LEVELS)}")
    return _RANK[level]


_Item = TypeVar("_Item")


class Subscription:
    """What every subscription (logs, status) offers around its subscriber socket: whether the
    broker is connected, close(), and use as a context manager."""

    _subscriber: "_Subscriber"
    _socket: zmq.Socket
    timeout: Optional[float]
    dropped: int

    @property
    def connected(self) -> bool:
        """Whether the broker (a ZeroMQ peer at `endpoint`) has accepted the connection and it
        is up: False until then and while it is lost; ZeroMQ reconnects by itself."""
        return self._subscriber.connected

    def close(self) -> None:
        self._subscriber.close()

    def _receive(self, timeout: Optional[float], accept: Callable[[List[zmq.Frame]], Optional[_Item]]
                 ) -> Optional[_Item]:
        """The first message within `timeout` seconds (`...`: the subscription's own; None: no
        limit) that `accept` turns into an item, or None. `accept` returns None for a message to
        skip and raises ProtocolError for one to drop and count in `dropped`."""
        timeout = self.timeout if timeout is ... else timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not self._socket.poll(None if wait is None else int(wait * 1000) + (wait > 0)):
                if deadline is not None and time.monotonic() >= deadline:
                    return None
                continue
            frames = self._socket.recv_multipart(copy=False)
            try:
                if len(frames) < 2:
                    raise ProtocolError("a message without a body")
                item = accept(frames)
            except ProtocolError:
                self.dropped += 1
                continue
            if item is not None:
                return item

    def __iter__(self) -> Iterator[Any]:
        """Endless: yields next(), None when nothing came within the timeout."""
        while True:
            yield self.next()  # type: ignore[attr-defined]

    def __enter__(self):
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class LogSubscription(Subscription):
    """Log records from the broker, as dicts (the §5.1 body), for scripts and tests.

        for record in roc.LogSubscription("warning", timeout=1.0):
            if record is None:      # nothing within 1 s
                continue
            print(record["node"], record["msg"])

    `level` is the minimum level (records at it and above); `nodes` a node name or a list of
    them (exact names; None: every node). Both become ZeroMQ topic prefixes, so the broker sends
    nothing else. Iterating yields None when nothing came within `timeout` (None: wait forever),
    so a loop gets control back; it never ends by itself. A body that is not a record (§5.1: over
    1 MiB, not JSON, nested deeper than 256, a missing or mistyped member, an unknown level) is
    dropped and counted in `dropped`, never raised. Like every SUB socket it receives only what is
    published after its subscription reached the broker. Not thread-safe: one thread reads.
    """

    def __init__(self, level: str = "trace", nodes: Union[str, Iterable[str], None] = None,
                 endpoints: Where = None, *, timeout: Optional[float] = None,
                 ctx: Optional[zmq.Context] = None) -> None:
        self.min_rank = _level_rank(level)
        self.nodes = [nodes] if isinstance(nodes, str) else list(nodes or [])
        for node in self.nodes:
            check_node(node)
        self.timeout = timeout
        self.dropped = 0
        address, eps = resolve(endpoints, "subscribe")
        self.endpoint = address
        self._subscriber = _Subscriber(ctx or zmq.Context.instance(), eps, address)
        self._socket = self._subscriber.socket
        if self.min_rank == 0 and not self.nodes:
            self._socket.subscribe(b"log.")
        else:
            for name in LEVELS[self.min_rank:]:
                for node in self.nodes or [""]:
                    self._socket.subscribe(f"log.{name}.{node}".encode())

    def next(self, timeout: Optional[float] = ...) -> Optional[Dict[str, Any]]:  # type: ignore[assignment]
        """The next record within `timeout` seconds (default: the subscription's), or None."""
        return self._receive(timeout, self._accept)

    def _accept(self, frames: List[zmq.Frame]) -> Optional[Dict[str, Any]]:
        record = parse_record(frames[1].buffer)
        if _RANK[record["level"]] >= self.min_rank and (not self.nodes or record["node"] in self.nodes):
            return record
        return None


_LINK_EVENTS = (zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_DISCONNECTED | zmq.EVENT_CLOSED
                | zmq.EVENT_CONNECT_RETRIED | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
                | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_AUTH)


class _Subscriber:
    """A SUB to the broker's XPUB with the C++ subscriber's options (transport/subscriber.cpp),
    and a socket monitor saying whether a ZeroMQ peer there has completed the handshake."""

    def __init__(self, ctx: zmq.Context, endpoints: Endpoints, address: str) -> None:
        self.socket = endpoints.secure(ctx.socket(zmq.SUB))
        self.socket.linger = 0
        self.socket.rcvhwm = 100000  # a burst must not overflow a reader that keeps up
        self.socket.heartbeat_ivl = 2000  # notice a dead broker host within 6 s
        self.socket.heartbeat_timeout = 6000
        if address.startswith("tcp://["):
            self.socket.ipv6 = True
        self._up = False
        try:
            # Before connect, so no event of the first attempt is missed.
            self._monitor = self.socket.get_monitor_socket(_LINK_EVENTS)
            self.socket.connect(address)
        except Exception:
            self.close()
            raise

    @property
    def connected(self) -> bool:
        """Whether a ZeroMQ peer at the endpoint has completed the handshake and the connection
        is up (a bare TCP accept does not count)."""
        from zmq.utils.monitor import recv_monitor_message
        while getattr(self, "_monitor", None) is not None:
            try:
                event = recv_monitor_message(self._monitor, zmq.NOBLOCK)
            except zmq.Again:
                break
            self._up = event["event"] == zmq.EVENT_HANDSHAKE_SUCCEEDED
        return self._up

    def close(self) -> None:
        monitor = getattr(self, "_monitor", None)
        if monitor is not None:
            try:
                self.socket.disable_monitor()
            except zmq.ZMQError:
                pass
            monitor.close(0)
            self._monitor = None
        self.socket.close(0)


# --- the original ROC's names ---------------------------------------------------------------------

class RocLogger(LogHandler):
    """The original ROC's logging handler: `RocLogger(nodeId, destination, ctx=None)`.

    `destination` is where logs are dropped: the broker's XSUB endpoint as the original passed it
    (`Endpoints('localhost').generalXSUB`, i.e. `tcp://localhost:5556`), an Endpoints, or a broker
    address without a scheme (`localhost`, `host:5555`)."""

    def __init__(self, nodeId: Optional[str], destination: Where = None,  # noqa: N803
                 ctx: Optional[zmq.Context] = None) -> None:
        super().__init__(nodeId, destination, ctx=ctx)

    _raw_destination = True


_installed_lock = threading.Lock()
_installed: Optional[LogHandler] = None


def initRocLogging(nodeId: Optional[str] = None, endpoints: Where = None,  # noqa: N802, N803
                   level: int = logging.INFO) -> LogHandler:
    """Turns on distributed logging: a RocLogger on the root logger, whose level is lowered to
    `level` (INFO) when it was less verbose, so `logging.info()` reaches the lab's logs.
    Idempotent: while that handler is on the root logger, a second call returns it."""
    global _installed
    with _installed_lock:
        root = logging.getLogger()
        if _installed is not None and _installed in root.handlers:
            return _installed
        _installed = RocLogger(nodeId, endpoints)
        root.addHandler(_installed)
        if root.level > level:
            root.setLevel(level)
        return _installed
