"""One subscription each to the broker's status, logs and presence, fanned out to every browser
(Server-Sent Events client) of the console, with bounded state per client.

A client's state is what it has not been sent yet, never a queue of updates: the status paths that
changed (their values are read from the one merged tree when the client is next written to, so a
value that changed 50 times since is sent once), the stale flags that changed, and bounded
queues of log records (the oldest go first, counted) and presence events. A client that reads
slowly therefore costs at most the size of the tree and those bounds, however fast the status
changes; one whose changed paths pile up past DIRTY_LIMIT is told to refetch everything
(`reset`).
"""
from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Any, Deque, Dict, List, Optional, Set, Tuple

from ..endpoints import Endpoints
from ..logs import LogSubscription
from ..presence import PresenceEvent, PresenceSubscription
from ..status import StatusSource, StatusSubscription, split_path
from .shown import shown

log = logging.getLogger("roc.console")

#: Changed status paths a client may owe before it is told to refetch the whole tree instead.
DIRTY_LIMIT = 5000
#: Log records a client may owe; older ones are dropped and counted.
LOG_BACKLOG = 2000
#: Presence events a client may owe; past that it is told to refetch (`reset`).
PRESENCE_BACKLOG = 256
#: Status updates applied per hold of the lock, so HTTP readers of the tree wait little.
STATUS_BATCH = 500
IDLE_WAIT = 0.02    # how long the status reader sleeps when nothing came, seconds
BUSY_PAUSE = 0.001  # and between two full batches, so that HTTP threads get the lock
READ_TIMEOUT = 0.25  # logs and presence: how often their readers look at the stop flag


class Feed:
    """What one client has not been sent yet (see the module's doc). Guarded by the hub's lock."""

    def __init__(self, lock: threading.Lock) -> None:
        self.wake = threading.Condition(lock)
        self.dirty: Set[str] = set()
        self.stale_dirty: Set[str] = set()
        self.reset = False
        self.logs: Deque[dict] = collections.deque()
        self.logs_dropped = 0
        self.presence: Deque[dict] = collections.deque()
        self.closed = False

    def pending(self) -> bool:
        return bool(self.closed or self.reset or self.dirty or self.stale_dirty or self.logs
                    or self.logs_dropped or self.presence)


def worker_json(worker: Dict[str, Any]) -> Dict[str, Any]:
    """A worker as the console's API names its members (mmi.workers' uptime_s is `uptime`)."""
    return {"host": worker.get("host"), "pid": worker.get("pid"), "program": worker.get("program"),
            "uptime": worker.get("uptime_s"), "calls": worker.get("calls"), "in_flight": worker.get("in_flight")}


def presence_json(event: PresenceEvent) -> Dict[str, Any]:
    out = {"object": event.id, "event": event.event, "workers": event.workers, "worker": worker_json(event.worker)}
    if event.reason is not None:
        out["reason"] = event.reason
    return out


def source_json(source: StatusSource, now: float, publisher: bool) -> Dict[str, Any]:
    out: Dict[str, Any] = {"stale": source.stale, "age": round(max(0.0, now - source.emitted), 3)}
    if publisher:
        p = source.publisher
        out["publisher"] = {"program": p.program, "host": p.host, "pid": p.pid} if p.known else None
    return out


_MISSING = object()


def subtree(tree: Any, path: str) -> Any:
    node = tree
    for segment in split_path(path):
        if not isinstance(node, dict) or segment not in node:
            return _MISSING
        node = node[segment]
    return node


def outermost(paths: Set[str]) -> List[str]:
    """The paths none of whose ancestors is in the set (an ancestor's value covers them)."""
    out = []
    for path in sorted(paths, key=len):
        segments = path.split(".") if path else []
        if not any(".".join(segments[:n]) in paths for n in range(len(segments))):
            out.append(path)
    return out


class Hub:
    """Reads status, logs and presence from the broker in three threads and keeps every Feed."""

    def __init__(self, endpoints: Endpoints) -> None:
        self.endpoints = endpoints
        self._lock = threading.Lock()
        self._feeds: List[Feed] = []
        self._stop = threading.Event()
        self._status: Optional[StatusSubscription] = None
        self._threads: List[threading.Thread] = []

    # -- lifetime --

    def start(self) -> "Hub":
        # Subscriptions are made here, in the caller, so a bad endpoint fails at start.
        self._status = StatusSubscription("", self.endpoints)
        logs = LogSubscription("trace", None, self.endpoints, timeout=READ_TIMEOUT)
        presence = PresenceSubscription(None, self.endpoints, timeout=READ_TIMEOUT)
        for name, target, args in (("status", self._read_status, ()),
                                   ("logs", self._read, (logs, self._take_log)),
                                   ("presence", self._read, (presence, self._take_presence))):
            thread = threading.Thread(target=target, args=args, name=f"roc-web-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """Ends every client's stream and the readers."""
        self._stop.set()
        with self._lock:
            for feed in self._feeds:
                feed.closed = True
                feed.wake.notify_all()
        for thread in self._threads:
            thread.join(timeout)

    # -- clients --

    def subscribe(self) -> Feed:
        feed = Feed(self._lock)
        with self._lock:
            feed.closed = self._stop.is_set()
            self._feeds.append(feed)
        return feed

    def unsubscribe(self, feed: Feed) -> None:
        with self._lock:
            feed.closed = True
            if feed in self._feeds:
                self._feeds.remove(feed)

    @property
    def clients(self) -> int:
        with self._lock:
            return len(self._feeds)

    def wait(self, feed: Feed, timeout: float) -> Optional[List[Tuple[str, Any]]]:
        """The events `feed` is owed, as (event name, data), after waiting up to `timeout`
        seconds for any ([] when none came); None once the feed is closed."""
        with self._lock:
            feed.wake.wait_for(feed.pending, timeout)
            if feed.closed:
                return None
            return self._take_events(feed)

    def _take_events(self, feed: Feed) -> List[Tuple[str, Any]]:
        events: List[Tuple[str, Any]] = []
        if feed.presence:
            events += [("presence", event) for event in feed.presence]
            feed.presence.clear()
        if feed.reset:
            feed.reset = False
            feed.dirty.clear()
            feed.stale_dirty.clear()
            events.append(("reset", {}))
        elif feed.dirty or feed.stale_dirty:
            events.append(("status", self._status_change(feed)))
        if feed.logs:
            events.append(("logs", list(feed.logs)))
            feed.logs.clear()
        if feed.logs_dropped:
            events.append(("dropped", {"dropped": feed.logs_dropped}))
            feed.logs_dropped = 0
        return events

    def _status_change(self, feed: Feed) -> Dict[str, Any]:
        tree = self._status.tree if self._status else {}
        sources = self._status.sources if self._status else {}
        changed: Dict[str, Any] = {}
        deleted: List[str] = []
        for path in outermost(feed.dirty):
            value = subtree(tree, path)
            if value is _MISSING:
                deleted.append(path)
            else:
                changed[path] = shown(value)
        now = time.time()
        stale = {path: source_json(sources[path], now, False) for path in feed.stale_dirty if path in sources}
        # When each value was emitted, on its publisher's clock: what a plot's live tail and the
        # archive both put it at.
        times = {path: round(sources[path].emitted, 3) for path in changed if path in sources}
        feed.dirty.clear()
        feed.stale_dirty.clear()
        return {"set": changed, "times": times, "stale": stale, "deleted": deleted}

    def status(self) -> Dict[str, Any]:
        """The merged tree (shown) and who wrote each part, for GET /api/status."""
        now = time.time()
        with self._lock:
            if self._status is None:
                return {"tree": {}, "sources": {}}
            return {"tree": shown(self._status.tree),
                    "sources": {path: source_json(source, now, True)
                                for path, source in self._status.sources.items()}}

    # -- the readers --

    def _read_status(self) -> None:
        subscription = self._status
        try:
            while not self._stop.is_set():
                taken = 0
                try:
                    with self._lock:
                        # next(0) never waits, so the lock is held only while updates are
                        # merged; the subscription's tree is read under the same lock.
                        while taken < STATUS_BATCH:
                            update = subscription.next(0.0)
                            if not update:
                                break
                            self._note_status(update)
                            taken += 1
                        if taken:
                            for feed in self._feeds:
                                if feed.pending():
                                    feed.wake.notify_all()
                except Exception as error:  # noqa: BLE001 - the console outlives one bad update
                    log.warning("roc web: reading status failed: %s", error)
                    self._stop.wait(1.0)
                # A full batch means more is waiting, but the lock is let go for a moment
                # anyway: a thread that retakes a lock at once starves those waiting for it.
                self._stop.wait(IDLE_WAIT if taken < STATUS_BATCH else BUSY_PAUSE)
        finally:
            subscription.close()

    def _note_status(self, update: Any) -> None:
        if update.snapshot:
            for feed in self._feeds:
                feed.reset = True
            return
        for feed in self._feeds:
            if not update.stale:
                feed.dirty.add(update.path)
            if update.sources:
                feed.stale_dirty.add(update.path)
            if len(feed.dirty) + len(feed.stale_dirty) > DIRTY_LIMIT:
                feed.reset = True
                feed.dirty.clear()
                feed.stale_dirty.clear()

    def _read(self, subscription: Any, take: Any) -> None:
        try:
            while not self._stop.is_set():
                try:
                    item = subscription.next()
                except Exception as error:  # noqa: BLE001
                    log.warning("roc web: reading from the broker failed: %s", error)
                    self._stop.wait(1.0)
                    continue
                if item is not None:
                    with self._lock:
                        take(item)
        finally:
            subscription.close()

    def _take_log(self, record: dict) -> None:
        for feed in self._feeds:
            if len(feed.logs) >= LOG_BACKLOG:
                feed.logs.popleft()
                feed.logs_dropped += 1
            feed.logs.append(record)
            feed.wake.notify_all()

    def _take_presence(self, event: PresenceEvent) -> None:
        body = presence_json(event)
        for feed in self._feeds:
            if len(feed.presence) >= PRESENCE_BACKLOG:
                feed.presence.clear()
                feed.reset = True
            else:
                feed.presence.append(body)
            feed.wake.notify_all()
