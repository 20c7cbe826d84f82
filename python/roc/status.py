"""The live status tree from Python (idl/PROTOCOL.md §5.2–§5.4), with the C++ runtime's semantics.

    updater = roc.StatusUpdater()
    updater.emit("system.foo", {"cpu": 0.3})      # means {"system": {"foo": {"cpu": 0.3}}}

    with roc.StatusSubscription("system", timeout=2.0) as sub:
        for update in sub:                         # the snapshot first, then live updates
            if not update:                         # nothing came within 2 s
                continue
            print(update.path, update.value, sub.tree)

Every update carries a stamp (when it was emitted, on the publisher's clock, and by which
program, host and pid), and the broker flags the parts of a publisher that went away as stale
(§5.5): `sub.sources`, `sub.source(path)` and `update.sources` say who wrote what and whether it
is stale. Masks match whole path segments in both directions, and an update above a mask is cut
down to the masked part. A late subscriber asks the broker for the merged tree *through its subscription*
(§5.3), so the snapshot arrives in the stream exactly between the updates it reflects and those it
does not: no gap, no duplicate. Updaters keep their own merged tree and republish it whenever a
broker connects (§5.4), so a restarted broker's cache is whole again. References:
runtime/src/status/{status_subscription,status_updater,status_tree}.cpp.
"""
from __future__ import annotations

import collections
import copy
import json
import logging
import math
import os
import secrets
import socket
import threading
import time
import weakref
from dataclasses import dataclass, field, replace
from typing import Any, Deque, Dict, Iterable, Iterator, List, NamedTuple, Optional, Tuple, Union

import zmq

from . import wire
from .errors import ProtocolError
from .logs import Subscription, Where, _Publisher, _Subscriber, program_name, read_json, resolve

__all__ = ["StatusUpdate", "StatusUpdater", "StatusSubscription", "StatusSource", "StatusPublisher",
           "split_path", "path_matches", "merge_patch", "RocStatusUpdater", "statusUpdateIterator",
           "MAX_UPDATE_BYTES"]

TOPIC_PREFIX = b"status."
#: Stale notices, made by the broker only (§5.5): [roc.stale.<path>, stamp + reason, seq].
STALE_PREFIX = b"roc.stale."
#: A stamp frame longer than this is not read (the broker stamps such an update itself).
MAX_STAMP_BYTES = 1024
#: The broker cache's own upstream subscription (§5.4): seeing it means a broker (re)connected.
CACHE_SUBSCRIPTION = b"status"
SNAPSHOT_PREFIX = "roc.snapshot."
#: Live update bodies longer than this are dropped and counted by a StatusSubscription, unread.
MAX_UPDATE_BYTES = 1 << 20
RETRY_SNAPSHOT = 1.0  # seconds before asking again with a fresh token (§5.3)
GIVE_UP_MIN = 10.0    # a broker without a cache never answers: give up after max(this, 10 × timeout)

_log = logging.getLogger("roc.status")
Path = List[str]


# --- paths, masks, merge patch (status_tree.cpp) ------------------------------------------------

def split_path(path: str) -> Path:
    """"a.b" → ["a", "b"]; "" → [] (the root). ValueError for an empty segment (`a..b`, `.a`,
    `a.`), TypeError for something that is not text."""
    if not isinstance(path, str):
        raise TypeError(f"a status path is a dotted string, not {type(path).__name__} ({path!r:.60})")
    if not path:
        return []
    segments = path.split(".")
    if "" in segments:
        raise ValueError(f"status path '{path}' has an empty segment; write segments separated "
                         "by single dots")
    return segments


def _is_prefix(a: Path, b: Path) -> bool:
    return len(a) <= len(b) and b[:len(a)] == a


def path_matches(mask: str, path: str) -> bool:
    """Whether an update at `path` concerns `mask`: one is a whole-segment prefix of the other.
    `system.foo` matches `system`, `system.foo` and `system.foo.cpu`, never `system.foobar`."""
    m, p = split_path(mask), split_path(path)
    return _is_prefix(m, p) or _is_prefix(p, m)


def mask_list(masks: Union[str, Iterable[str], None]) -> List[str]:
    """Masks as given: one dotted string, or several; checked (ValueError for `a..b`)."""
    out = [masks] if isinstance(masks, str) else list(masks or [])
    for mask in out:
        split_path(mask)
    return out


def normalize_masks(masks: List[str]) -> List[Path]:
    """The masks split, without those a shorter one covers; none or "" → [[]] (everything)."""
    split = sorted((split_path(m) for m in masks), key=len) or [[]]
    out: List[Path] = []
    for mask in split:
        if not any(_is_prefix(o, mask) for o in out):
            out.append(mask)
    return out


def zmq_prefixes(masks: List[Path], family: bytes = TOPIC_PREFIX) -> List[bytes]:
    """The ZeroMQ prefixes that receive everything the masks need: `status.<first segment>`, or
    `status.` for the root (`family` STALE_PREFIX: the same for stale notices). ZeroMQ matches
    bytes, so the segments are checked in cut()."""
    prefixes: List[bytes] = []
    for mask in masks:
        prefix = family + (mask[0].encode("utf-8") if mask else b"")
        if prefix == family:
            return [family]
        if prefix not in prefixes:
            prefixes.append(prefix)
    return prefixes


_ABSENT = object()


def cut(at: Path, value: Any, masks: List[Path]) -> Tuple[bool, Any]:
    """The part of `value` (the subtree at `at`) under the masks, with the masks' ancestors below
    `at`; (False, None) when nothing of it is under any mask. A member present as null is kept:
    it deletes."""
    out: Dict[str, Any] = {}
    found = False
    for mask in masks:
        if _is_prefix(mask, at):  # the mask covers the whole update
            return True, value
        if not _is_prefix(at, mask):  # an unrelated branch
            continue
        node = value  # the update sits above the mask: keep the masked part, under its own path
        for segment in mask[len(at):]:
            node = node.get(segment, _ABSENT) if isinstance(node, dict) else _ABSENT
            if node is _ABSENT:
                break
        if node is _ABSENT:
            continue
        dst = out
        for segment in mask[len(at):-1]:
            child = dst.get(segment)
            if not isinstance(child, dict):
                child = dst[segment] = {}
            dst = child
        dst[mask[-1]] = node
        found = True
    return (True, out) if found else (False, None)


def merge_patch(target: Any, patch: Any) -> Any:
    """JSON Merge Patch (RFC 7386) of `patch` into `target`; returns the result (dicts of
    `target` are changed in place, nothing of `patch` is shared with it)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = merge_patch(target.get(key), value)
    return target


def merge_at(root: Dict[str, Any], path: Path, value: Any) -> None:
    """Merges `value` rooted at `path` into the object `root` (status_tree.cpp: merge_at)."""
    if not path:
        if not isinstance(value, dict):
            raise ValueError("the status tree's root must be an object")
        merge_patch(root, value)
        return
    node = root
    for segment in path[:-1]:
        if value is None and segment not in node:
            return  # removing what is not there
        child = node.get(segment)
        if not isinstance(child, dict):
            child = node[segment] = {}
        node = child
    if value is None:
        node.pop(path[-1], None)
    else:
        node[path[-1]] = merge_patch(node.get(path[-1]), value)


def find(tree: Any, path: Path) -> Any:
    """The subtree at `path`, or _ABSENT."""
    node = tree
    for segment in path:
        if not isinstance(node, dict) or segment not in node:
            return _ABSENT
        node = node[segment]
    return node


# --- stamps and sources (status_sources.cpp) -------------------------------------------------------

@dataclass(frozen=True)
class StatusPublisher:
    """Who published a status update; empty and 0 when unknown (a publisher that does not stamp
    its updates: the broker stamped it on arrival)."""

    program: str = ""
    host: str = ""
    pid: int = 0

    @property
    def known(self) -> bool:
        return bool(self.program or self.host or self.pid)

    def describe(self) -> str:
        """"vnir-server on lab1 (pid 4242)", or "an unknown publisher"."""
        if not self.known:
            return "an unknown publisher"
        out = self.program or "a program"
        if self.host:
            out += f" on {self.host}"
        if self.pid:
            out += f" (pid {self.pid})"
        return out


@dataclass(frozen=True)
class StatusSource:
    """Where a part of the status tree came from: the publisher that last emitted at `path`,
    `emitted` (UNIX seconds on the publisher's clock; the broker's for an unknown publisher), and
    whether that publisher has gone away since (`stale`). A source covers its path's subtree,
    except where a deeper source covers a part."""

    path: str
    publisher: StatusPublisher = field(default_factory=StatusPublisher)
    emitted: float = 0.0
    stale: bool = False


_UNKNOWN = StatusPublisher()


def _stamp_members(source: StatusSource) -> Dict[str, Any]:
    publisher = None
    if source.publisher.known:
        publisher = {"program": source.publisher.program, "host": source.publisher.host,
                     "pid": source.publisher.pid}
    return {"emitted": round(source.emitted, 6), "publisher": publisher}


def write_stamp(source: StatusSource) -> bytes:
    return wire.dumps(_stamp_members(source))


def _read_stamp_members(value: Any, path: str = "") -> Optional[StatusSource]:
    """The stamp in a JSON object, or None when it is not one (unknown members are ignored)."""
    if not isinstance(value, dict):
        return None
    emitted = value.get("emitted")
    if isinstance(emitted, bool) or not isinstance(emitted, (int, float)) or not math.isfinite(emitted):
        return None
    publisher = value.get("publisher")
    if publisher is None:
        return StatusSource(path, _UNKNOWN, float(emitted))
    if not isinstance(publisher, dict):
        return None
    program, host, pid = publisher.get("program", ""), publisher.get("host", ""), publisher.get("pid", 0)
    if not isinstance(program, str) or not isinstance(host, str) or isinstance(pid, bool) \
            or not isinstance(pid, int):
        return None
    return StatusSource(path, StatusPublisher(program, host, pid), float(emitted))


def read_stamp(frame: Any, path: str = "") -> Optional[StatusSource]:
    """A stamp frame's source, or None when it is not a stamp."""
    data = bytes(frame)
    if len(data) > MAX_STAMP_BYTES:
        return None
    try:
        return _read_stamp_members(read_json(data, 4), path)
    except ProtocolError:
        return None


def read_sources(frame: Any) -> List[StatusSource]:
    """A snapshot's sources frame; entries that cannot be read are skipped."""
    try:
        value = read_json(frame, 5)
    except ProtocolError:
        return []
    out = []
    for entry in value if isinstance(value, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            continue
        try:
            split_path(entry["path"])
        except ValueError:
            continue
        source = _read_stamp_members(entry, entry["path"])
        if source is not None:
            out.append(replace(source, stale=entry.get("stale") is True))
    return out


def _reaches(value: Any, below: Path) -> bool:
    """Whether `value`, merged at some path, rewrites or deletes the part `below` under it."""
    node = value
    for segment in below:
        if not isinstance(node, dict):
            return True
        if segment not in node:
            return False
        node = node[segment]
    return True


class _Below:
    """How many sources lie under each path that has any (the root "" counts them all), so that
    an update looks for the deeper sources it rewrites only where there are some: a tree of many
    leaves, each updated at its own path, costs each update its path's depth, not the tree's size."""

    def __init__(self, paths: Iterable[str] = ()) -> None:
        self.counts: Dict[str, int] = {}
        for path in paths:
            self.count(path, 1)

    def count(self, path: str, delta: int) -> None:
        if not path:
            return
        end = len(path)
        while end > 0:
            end = path.rfind(".", 0, end)
            above = path[:max(end, 0)]
            left = self.counts.get(above, 0) + delta
            if left:
                self.counts[above] = left
            else:
                del self.counts[above]

    def any(self, path: str) -> bool:
        return path in self.counts


def record_source(sources: Dict[str, StatusSource], below: _Below, path: Path, value: Any,
                  source: Optional[StatusSource]) -> None:
    """The sources after an update at `path`: the deeper ones it rewrites go, and `source` (if
    any, and the update is no deletion) takes `path` (StatusTree::merge_written). `below` is
    kept counting `sources`."""
    key = ".".join(path)
    if below.any(key):
        prefix = key + "." if key else ""
        for other in [p for p in sources if p.startswith(prefix) and p != key]:
            if _reaches(value, split_path(other[len(prefix):])):
                del sources[other]
                below.count(other, -1)
    there = key in sources
    if source is not None and value is not None:
        sources[key] = replace(source, path=key, stale=False)
        if not there:
            below.count(key, 1)
    elif there:
        del sources[key]
        below.count(key, -1)


def covering_source(sources: Dict[str, StatusSource], path: str) -> Optional[StatusSource]:
    """The source covering `path`: the deepest at or above it."""
    segments = split_path(path)
    while True:
        found = sources.get(".".join(segments))
        if found is not None or not segments:
            return found
        segments.pop()


# --- updates --------------------------------------------------------------------------------------

class _UpdateFields(NamedTuple):
    path: str
    value: Any
    seq: Optional[int]


class StatusUpdate(_UpdateFields):
    """One update as a receiver sees it: the partial subtree `value` rooted at dotted `path`, with
    the broker's sequence number `seq` (None when unknown).

    The snapshot is the update at path "" whose value is the whole merged tree under the masks
    (with the masks' ancestors, so paths stay the same) — as C++'s StatusUpdate with snapshot().
    `StatusUpdate("", None, None)` is the empty update a subscription yields when nothing came
    within its timeout; it is falsy, every other update is truthy. `value` None at a non-empty
    path means the member was deleted.

    Two attributes beyond the tuple (which stays `(path, value, seq)`, compared as such):
    `sources`, who emitted it (one StatusSource for a live update or a stale notice, every source
    under the masks for the snapshot; empty from a broker that predates stamps), and `stale`, true
    for a stale notice: the publisher that last wrote `path` went away; `value` is then {} and the
    values in the tree stay.
    """

    sources: Tuple[StatusSource, ...] = ()
    stale: bool = False

    @property
    def empty(self) -> bool:
        return self.path == "" and self.value is None

    @property
    def snapshot(self) -> bool:
        return self.path == "" and self.value is not None

    def __bool__(self) -> bool:
        return not self.empty


EMPTY = StatusUpdate("", None, None)


def _update(path: str, value: Any, seq: Optional[int], sources: Iterable[StatusSource] = (),
            stale: bool = False) -> StatusUpdate:
    update = StatusUpdate(path, value, seq)
    update.sources = tuple(sources)
    update.stale = stale
    return update


def _encode_update(item: Tuple[bytes, bytes, bytes]) -> Tuple[bytes, bytes, bytes]:
    return item


def _this_process(program: Optional[str]) -> StatusPublisher:
    return StatusPublisher(program or program_name(), socket.gethostname(), os.getpid())


class _EmittedAt:
    """The outermost paths an updater emitted at (status_updater.cpp: note_emitted_at): an emit
    under one of them adds nothing, one above some replaces them, a deletion forgets what it
    deletes. A trie of segments, so that each emit costs its path's depth, however many paths."""

    _HERE = object()  # the key that marks a node as a path emitted at

    def __init__(self) -> None:
        self._root: Dict[Any, Any] = {}

    def note(self, segments: Path, deletion: bool) -> None:
        trail = []
        node = self._root
        for segment in segments[:-1]:
            if self._HERE in node:
                return  # under a path emitted at
            child = node.get(segment)
            if child is None:
                if deletion:
                    return  # nothing emitted under it
                child = node[segment] = {}
            trail.append((node, segment))
            node = child
        if self._HERE in node:
            return
        if not deletion:
            node[segments[-1]] = {self._HERE: True}
            return
        node.pop(segments[-1], None)
        while trail and not node:  # what only led to the deleted path goes too
            parent, segment = trail.pop()
            del parent[segment]
            node = parent

    def values_in(self, tree: Dict[str, Any]) -> Iterator[Tuple[Path, Any]]:
        """Each path emitted at that `tree` holds, with its value there, in the tree's order (so a
        republished tree reads as it did)."""
        def walk(node: Dict[str, Any], emitted: Dict[Any, Any], at: Path) -> Iterator[Tuple[Path, Any]]:
            for name, value in node.items():
                below = emitted.get(name)
                if below is None:
                    continue
                if self._HERE in below:
                    yield at + [name], value
                elif isinstance(value, dict):
                    yield from walk(value, below, at + [name])

        return walk(tree, self._root, [])


class StatusUpdater:
    """Publishes status updates (topic `status.<path>`, body the subtree) to the broker.

    `emit()` checks and serializes in the caller's thread (a bad path is a ValueError, a value
    that is not JSON a TypeError), then queues: it never waits for the network. A background
    thread owns the socket; a full queue (`capacity`) drops and counts (`dropped`). The updater
    keeps the merged tree of everything it emitted (`tree`) and republishes all of it whenever a
    broker (re)connects — recognized by the broker cache's own subscription `status` (§5.4) — so
    nothing emitted before the first connection is lost and a restarted broker's cache is whole
    again. Thread-safe. `close()` (or leaving a `with` block) waits up to 0.5 s for queued
    updates.
    """

    _raw_destination = False  # RocStatusUpdater: a "tcp://..." destination is the XSUB itself

    def __init__(self, endpoints: Where = None, *, ctx: Optional[zmq.Context] = None,
                 capacity: int = 100000, program: Optional[str] = None) -> None:
        #: Stamped on every update with its emit time (§5.2); `program` defaults to the script's name.
        self.publisher = _this_process(program)
        self._lock = threading.Lock()  # guards the tree; orders emits so queue order = tree order
        self._tree: Dict[str, Any] = {}
        self._emitted_at = _EmittedAt()
        address, eps = resolve(endpoints, "publish", self._raw_destination)
        self._publisher = _Publisher(address, eps, ctx, capacity, _encode_update, self._on_subscribe,
                                     name="roc-status")
        # At interpreter exit, what is still queued gets its 0.5 s, as the C++ destructor gives.
        weakref.finalize(self, self._publisher.close, 0.5)

    def emit(self, path: str, data: Any) -> None:
        """Publishes `data` (JSON types, numpy values; None deletes) at dotted `path` (not
        empty). ValueError for a malformed path or a value nested too deep for the tree (path
        segments plus nesting at most 256), TypeError for a value that is not JSON."""
        segments = split_path(path)
        if not segments:
            raise ValueError('status path is empty; emit under a named node such as "system"')
        body = wire.dumps(data)
        value = wire.loads(body)  # what every receiver will merge (numpy → lists, NaN → "NaN")
        if len(segments) + wire.depth(value) > wire.MAX_DEPTH:
            raise ValueError(f"status update at '{path}' is nested deeper than the {wire.MAX_DEPTH} "
                             "levels a status tree may have (path segments count too)")
        topic = TOPIC_PREFIX + path.encode("utf-8")
        stamp = write_stamp(StatusSource(path, self.publisher, time.time()))
        with self._lock:
            merge_at(self._tree, segments, value)
            self._emitted_at.note(segments, value is None)
            self._publisher.push((topic, body, stamp))

    def _on_subscribe(self, topic: bytes) -> List[Tuple[bytes, bytes, bytes]]:
        """In the publisher's thread, when the broker's cache subscribes: everything emitted, one
        message per path emitted at (the outermost ones), so that this process claims again
        exactly what it wrote (§5.4, §5.5) and never the whole of a top-level node it shares with
        other publishers. Stamped now, as the publisher vouches for all of it again."""
        if topic != CACHE_SUBSCRIPTION:
            return []
        stamp = write_stamp(StatusSource("", self.publisher, time.time()))
        with self._lock:
            return [(TOPIC_PREFIX + ".".join(segments).encode("utf-8"), wire.dumps(value), stamp)
                    for segments, value in self._emitted_at.values_in(self._tree)]

    @property
    def tree(self) -> Dict[str, Any]:
        """A copy of the merged tree of everything emitted so far."""
        with self._lock:
            return copy.deepcopy(self._tree)

    @property
    def dropped(self) -> int:
        """Updates dropped because the queue was full."""
        return self._publisher.dropped

    @property
    def connected(self) -> bool:
        """Whether a broker has connected (its subscription arrived)."""
        return self._publisher.connected

    def flush(self, timeout: float = 1.0) -> bool:
        """Waits until the broker has subscribed and everything emitted so far was handed to the
        network; False after `timeout` seconds."""
        return self._publisher.flush(timeout)

    def close(self) -> None:
        self._publisher.close(drain=0.5)

    def __enter__(self) -> "StatusUpdater":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


# --- the subscription ------------------------------------------------------------------------------

def _parse_seq(frame: Any) -> Optional[int]:
    text = bytes(frame)
    return int(text) if text and text.isdigit() else None


class StatusSubscription(Subscription):
    """Follows status updates under `masks` through the broker, as C++'s StatusSubscription.

    `masks` is one dotted mask or a list of them; "" or [] means everything (ValueError for a
    malformed one). Iterating yields StatusUpdate: first the snapshot (path "", the merged tree
    under the masks, the `seq` it reflects), then every later update exactly once, in order, cut
    down to the masks. When nothing arrives within `timeout` seconds, it yields the empty update
    `StatusUpdate("", None, None)` (falsy) so a loop can do other work; `timeout=None` waits for
    ever. The iteration ends only when you break out of it. `.tree` is the merge of everything
    yielded so far (RFC 7386: null deletes), and `.sources` (dotted path → StatusSource) who
    wrote each part of it and whether it is stale; `.source(path)` is the one covering a path.
    Stale notices come in the stream as updates with `stale` true (§5.5).

    The snapshot is requested through the subscription (§5.3); when no answer comes within a
    second it asks again with a fresh token, and after max(10 s, 10 × timeout) it gives up
    (`synced` becomes True) and delivers live updates anyway, for a broker without a cache.

    An update that cannot be read — a malformed path, a body over `max_update_bytes` (1 MiB; not
    parsed), not strict JSON, nested deeper than 256 levels counting the path's segments — is
    dropped and counted in `dropped`; the first is logged (logger `roc.status`), then at most one
    line a minute. Not thread-safe: one thread iterates.
    """

    _raw_source = False  # statusUpdateIterator: a "tcp://..." source is the XPUB itself

    def __init__(self, masks: Union[str, Iterable[str], None] = "", endpoints: Where = None, *,
                 timeout: Optional[float] = None, ctx: Optional[zmq.Context] = None,
                 snapshot: bool = True, max_update_bytes: int = MAX_UPDATE_BYTES) -> None:
        self.masks = mask_list(masks)
        self._normalized = normalize_masks(self.masks)
        self.timeout = timeout
        self.max_update_bytes = max_update_bytes
        self.tree: Dict[str, Any] = {}
        self.sources: Dict[str, StatusSource] = {}
        self._below = _Below()
        self.dropped = 0
        self.synced = not snapshot
        self.snapshot_seq: Optional[int] = None
        address, eps = resolve(endpoints, "subscribe", self._raw_source)
        self.endpoint = address
        self._subscriber = _Subscriber(ctx or zmq.Context.instance(), eps, address)
        self._socket = self._subscriber.socket
        for prefix in zmq_prefixes(self._normalized):
            self._socket.subscribe(prefix)
        for prefix in zmq_prefixes(self._normalized, STALE_PREFIX):
            self._socket.subscribe(prefix)
        self._request: Optional[bytes] = None
        self._retry_at = float("inf")
        self._held: Deque[StatusUpdate] = collections.deque()
        self._next_drop_log = 0.0
        self._give_up = float("inf")
        if snapshot:
            self._ask_snapshot()
            self._give_up = time.monotonic() + max(GIVE_UP_MIN, 10 * (timeout or 0))

    # -- reading --

    def next(self, timeout: Optional[float] = ...) -> StatusUpdate:  # type: ignore[assignment]
        """The next update within `timeout` seconds (default: the subscription's; None: wait
        for ever), merged into `.tree`; the empty update when none came."""
        timeout = self.timeout if timeout is ... else timeout
        deadline = float("inf") if timeout is None else time.monotonic() + max(0.0, timeout)
        while True:
            if self.synced and self._held:
                return self._apply(self._held.popleft())
            now = time.monotonic()
            if not self.synced and now >= self._retry_at:
                self._ask_snapshot()  # the answer may have been lost (HWM, a broker restart)
            if not self.synced and now >= self._give_up:
                self.synced = True  # deliver what was held back
                self._unsubscribe_request()
                continue
            wake = deadline if self.synced else min(deadline, self._give_up, self._retry_at)
            if wake == float("inf"):
                ready = self._socket.poll(None)
            else:
                ready = self._socket.poll(max(0, int((wake - now) * 1000 + 0.999)))
            if not ready:
                if time.monotonic() >= deadline:
                    return EMPTY
                continue
            update = self._take(self._socket.recv_multipart(copy=False))
            if update is not None:
                if self.synced:
                    return self._apply(update)
                self._held.append(update)
            if time.monotonic() >= deadline and not (self.synced and self._held):
                return EMPTY

    def __iter__(self) -> Iterator[StatusUpdate]:
        while True:
            yield self.next()

    def _apply(self, update: StatusUpdate) -> StatusUpdate:
        if update.stale:
            for source in update.sources:
                if source.path not in self.sources:
                    self._below.count(source.path, 1)
                self.sources[source.path] = source
        elif update.snapshot:
            self.tree = copy.deepcopy(update.value)
            self.sources = {source.path: source for source in update.sources}
            self._below = _Below(self.sources)
        else:
            path = split_path(update.path)
            merge_at(self.tree, path, update.value)
            record_source(self.sources, self._below, path, update.value,
                          update.sources[0] if update.sources else None)
        return update

    def source(self, path: str) -> Optional[StatusSource]:
        """The source covering `path` (the deepest at or above it), or None."""
        return covering_source(self.sources, path)

    def _take(self, frames: List[Any]) -> Optional[StatusUpdate]:
        """Frames turned into an update under the masks, or None when they do not concern us."""
        if len(frames) < 2:
            return None
        topic = frames[0].bytes
        seq = _parse_seq(frames[2].buffer) if len(frames) >= 3 else None
        body = frames[1].buffer
        if topic.startswith(STALE_PREFIX):
            return self._take_stale_notice(topic, body, seq)
        if self._request is not None and topic == self._request:
            try:
                value = read_json(body)
            except ProtocolError as error:
                return self._drop(f"snapshot: {error}")
            if not isinstance(value, dict):
                value = {}
            self.snapshot_seq = seq or 0
            self.synced = True
            self._unsubscribe_request()
            # Live updates the snapshot already reflects came before it: drop them.
            self._held = collections.deque(
                u for u in self._held if u.seq is not None and u.seq > self.snapshot_seq)
            return _update("", value, seq, read_sources(frames[3].buffer) if len(frames) >= 4 else ())
        if not topic.startswith(TOPIC_PREFIX):
            return None
        try:
            path = split_path(topic[len(TOPIC_PREFIX):].decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            return self._drop(f"topic {topic[:80]!r}: {error}")
        if not path:
            return self._drop("an update at the empty path (topic 'status.')")
        if len(path) >= wire.MAX_DEPTH:
            return self._drop(f"a path of {len(path)} segments is deeper than a status tree may be")
        try:
            value = read_json(body, wire.MAX_DEPTH - len(path), self.max_update_bytes)
        except ProtocolError as error:
            return self._drop(f"'{'.'.join(path)[:80]}': {error}")
        found, value = cut(path, value, self._normalized)
        if not found:
            return None
        dotted = ".".join(path)
        stamp = read_stamp(frames[3].buffer, dotted) if len(frames) >= 4 else None
        return _update(dotted, value, seq, (stamp,) if stamp else ())

    def _take_stale_notice(self, topic: bytes, body: Any, seq: Optional[int]) -> Optional[StatusUpdate]:
        """A stale notice for a path under or above a mask; None for others and for unreadable
        ones (which no broker sends: dropped without a count)."""
        try:
            path = split_path(topic[len(STALE_PREFIX):].decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None
        if not any(_is_prefix(m, path) or _is_prefix(path, m) for m in self._normalized):
            return None
        dotted = ".".join(path)
        source = read_stamp(body, dotted)
        if source is None:
            return None
        return _update(dotted, {}, seq, (replace(source, stale=True),), stale=True)

    def _drop(self, why: str) -> None:
        """Counts an update that cannot be read and says so: the first time, then at most once a
        minute, so a flood of garbage cannot flood the log too."""
        self.dropped += 1
        now = time.monotonic()
        if self.dropped == 1 or now >= self._next_drop_log:
            _log.warning("roc status: dropped an update that cannot be read (%d dropped so far): %s",
                         self.dropped, why[:200])
            self._next_drop_log = now + 60.0
        return None

    # -- the snapshot request (§5.3) --

    def _ask_snapshot(self) -> None:
        """Subscribes to a fresh request topic, after the mask prefixes on the same socket (so the
        broker has applied those when it sees this), replacing an unanswered one."""
        self._unsubscribe_request()
        masks = json.dumps(self.masks, ensure_ascii=False, separators=(",", ":"))
        self._request = f"{SNAPSHOT_PREFIX}{secrets.token_hex(8)} {masks}".encode("utf-8")
        self._socket.subscribe(self._request)
        self._retry_at = time.monotonic() + RETRY_SNAPSHOT

    def _unsubscribe_request(self) -> None:
        if self._request is not None:
            self._socket.unsubscribe(self._request)
            self._request = None
        self._retry_at = float("inf")

    # -- lifetime --

    def __repr__(self) -> str:
        return f"<StatusSubscription masks={self.masks!r} at {self.endpoint}>"


# --- the original ROC's names ----------------------------------------------------------------------

class RocStatusUpdater(StatusUpdater):
    """The original ROC's updater: `RocStatusUpdater(destination=None, ctx=None)
    .emit(sensorId, data)`. `destination` is where status is dropped: the broker's XSUB endpoint
    as the original passed it (`ep.generalXSUB`, `tcp://host:5556`), an Endpoints, a broker
    address without a scheme, or None ($ROC_BROKER, else localhost:5555)."""

    _raw_destination = True

    def __init__(self, destination: Where = None, ctx: Optional[zmq.Context] = None) -> None:
        super().__init__(destination, ctx=ctx)

    def emit(self, sensorId: str, data: Any) -> None:  # noqa: N803 (the original's spelling)
        super().emit(sensorId, data)


class _RawStatusSubscription(StatusSubscription):
    _raw_source = True


def statusUpdateIterator(source: Where = None, mask: Union[str, Iterable[str]] = "",  # noqa: N802
                         ctx: Optional[zmq.Context] = None,
                         timeout: Optional[float] = None) -> Iterator[Tuple[Optional[str], Any]]:
    """The original ROC's iterator: yields `(sensorId, data)` pairs, as `emit(sensorId, data)`
    sent them, and `(None, None)` when nothing came within `timeout` seconds (None: wait for ever).

    `source` is where status is received: the broker's XPUB endpoint as the original passed it
    (`ep.generalXPUB`, `tcp://host:5557`), an Endpoints or a broker address. `mask` is a dotted
    prefix (by whole segments) or a list of them. The current values come first, from the broker's
    snapshot, as one pair per mask (per top-level member for the empty mask) — merging the pairs in
    order rebuilds the tree — then every later update once, in order. The socket is closed when
    the generator is closed or garbage-collected.
    """
    subscription = _RawStatusSubscription(mask, source, timeout=timeout, ctx=ctx)
    try:
        for update in subscription:
            if not update:
                yield None, None
            elif update.stale:
                continue  # the original API has no staleness: the values are unchanged
            elif update.snapshot:
                for mask_path in subscription._normalized:
                    if not mask_path:
                        yield from list(update.value.items())
                        continue
                    node = find(update.value, mask_path)
                    if node is not _ABSENT:
                        yield ".".join(mask_path), node
            else:
                yield update.path, update.value
    finally:
        subscription.close()
