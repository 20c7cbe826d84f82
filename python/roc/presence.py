"""Presence from Python (idl/PROTOCOL.md §4 `mmi.workers`, §5.6): who serves which object, and
events as objects and workers come and go, with the C++ runtime's semantics.

    with roc.PresenceSubscription(timeout=1.0) as events:   # every object; or ids="vnir"
        print(roc.Client().workers())                      # where things stand, after subscribing
        for event in events:
            if event is None:                              # nothing within 1 s
                continue
            print(event.event, event.id, event.worker["host"], event.worker["pid"], event.reason)

The broker stores no events: a late subscriber subscribes first, then asks Client.workers(), and
may then see an event the listing already shows. Reference: runtime/src/presence/presence.cpp.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Union

import zmq

from . import wire
from .errors import NotSupported, ProtocolError
from .logs import Subscription, Where, _Subscriber, resolve

__all__ = ["PresenceEvent", "PresenceSubscription", "read_workers", "read_event", "TOPIC_PREFIX"]

TOPIC_PREFIX = b"roc.presence."
MAX_EVENT_BYTES = 64 * 1024  # events are a few hundred bytes; a far larger body is not one


class PresenceEvent(NamedTuple):
    """One presence event (§5.6). `event`: "registered" (the object's first worker came),
    "worker-joined", "worker-left" or "gone" (its last worker went), or a later broker's word;
    `worker` the worker that came or went as mmi.workers lists it (`host`, `pid`, `program` None
    for a worker that told nothing); `workers` how many serve the object after the event;
    `reason` for departures ("disconnect", "connection-lost", "expired", "protocol-error"), else
    None; `body` the JSON as received."""
    event: str
    id: str
    workers: int
    worker: Dict[str, Any]
    reason: Optional[str]
    body: bytes


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _read_worker(worker: Any) -> Dict[str, Any]:
    """The worker object both reports share; ProtocolError when a member is missing or wrong."""
    if not isinstance(worker, dict):
        raise ProtocolError("a worker that is not a JSON object")
    for name in ("host", "program"):
        if not (worker.get(name) is None or isinstance(worker[name], str)):
            raise ProtocolError(f"a worker whose {name} is not a string")
    pid = worker.get("pid")
    if not (pid is None or (_is_count(pid) and pid > 0)):
        raise ProtocolError("a worker whose pid is not a positive integer")
    uptime = worker.get("uptime_s")
    if isinstance(uptime, bool) or not isinstance(uptime, (int, float)):
        raise ProtocolError("a worker without a number uptime_s")
    if not _is_count(worker.get("calls")) or not _is_count(worker.get("in_flight")):
        raise ProtocolError("a worker without counts calls and in_flight")
    return {"host": worker.get("host"), "pid": pid, "program": worker.get("program"),
            "uptime_s": float(uptime), "calls": worker["calls"], "in_flight": worker["in_flight"]}


def read_workers(body: bytes) -> List[Dict[str, Any]]:
    """An mmi.workers reply read and checked: [{"id", "workers": [{host, pid, program, uptime_s,
    calls, in_flight}, ...]}, ...]. NotSupported for a broker without the service (501)."""
    if body in (b"501", b"404"):
        raise NotSupported("the broker does not support mmi.workers (a plain Majordomo broker? "
                           "Client.objects() may still work)")
    try:
        listing = wire.loads(body)
    except ProtocolError as error:
        raise ProtocolError(f"mmi.workers answered with something that is not JSON: {error}") from None
    if not isinstance(listing, list):
        raise ProtocolError("mmi.workers answered with something that is not a JSON array")
    out = []
    for entry in listing:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) \
                or not isinstance(entry.get("workers"), list):
            raise ProtocolError("mmi.workers answered an entry without a string id and a list of workers")
        try:
            out.append({"id": entry["id"], "workers": [_read_worker(w) for w in entry["workers"]]})
        except ProtocolError as error:
            raise ProtocolError(f"mmi.workers answered {error} for '{entry['id']}'") from None
    return out


def read_event(body: Any) -> PresenceEvent:
    """A presence event body read and checked; ProtocolError when it is not one."""
    raw = bytes(body)
    if len(raw) > MAX_EVENT_BYTES:
        raise ProtocolError(f"a presence event of {len(raw)} bytes")
    message = wire.loads(raw)
    if not isinstance(message, dict) or not isinstance(message.get("event"), str) \
            or not isinstance(message.get("id"), str) or not _is_count(message.get("workers")):
        raise ProtocolError("a presence event without a string event and id and a count of workers")
    reason = message.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise ProtocolError("a presence event whose reason is not a string")
    return PresenceEvent(message["event"], message["id"], message["workers"],
                         _read_worker(message.get("worker")), reason, raw)


class PresenceSubscription(Subscription):
    """Presence events from the broker, as C++'s roc::PresenceSubscription.

    `ids` is one object id or several (exact ids; None: every object). Iterating yields
    PresenceEvent, or None when nothing came within `timeout` seconds (None: wait for ever), so a
    loop gets control back; it never ends by itself. A message that is not an event (§5.6) is
    dropped and counted in `dropped`, never raised. `connected` says whether the broker is there.
    Not thread-safe: one thread reads.
    """

    def __init__(self, ids: Union[str, Iterable[str], None] = None, endpoints: Where = None, *,
                 timeout: Optional[float] = None, ctx: Optional[zmq.Context] = None) -> None:
        self.ids = [ids] if isinstance(ids, str) else list(ids or [])
        if any(not isinstance(i, str) or not i for i in self.ids):
            raise ValueError("a presence subscription's object ids are non-empty strings")
        self.timeout = timeout
        self.dropped = 0
        address, eps = resolve(endpoints, "subscribe")
        self.endpoint = address
        self._subscriber = _Subscriber(ctx or zmq.Context.instance(), eps, address)
        self._socket = self._subscriber.socket
        # A prefix also lets longer ids through (`cam` takes `camera`): next() matches ids exactly.
        for prefix in [TOPIC_PREFIX + i.encode("utf-8") for i in self.ids] or [TOPIC_PREFIX]:
            self._socket.subscribe(prefix)

    def next(self, timeout: Optional[float] = ...) -> Optional[PresenceEvent]:  # type: ignore[assignment]
        """The next event within `timeout` seconds (default: the subscription's), or None."""
        return self._receive(timeout, self._accept)

    def _accept(self, frames: List[zmq.Frame]) -> Optional[PresenceEvent]:
        event = read_event(frames[1].buffer)
        return event if not self.ids or event.id in self.ids else None
