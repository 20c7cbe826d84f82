"""The status archive: numeric status values over time in SQLite, fed from the broker's status stream.

    archive = roc.archive.Archive(roc.archive.default_archive_path())
    recorder = roc.archive.Recorder(archive).start()      # records until stop()
    ...
    points = archive.query("vnir.temperature", since=time.time() - 3600, max_points=2000)
    recorder.stop(); archive.close()

One rule says what is archived (numeric_leaves): every int/float leaf of an update, at its dotted
path, stamped with the time its publisher emitted it. The file is in WAL mode, so one process (or
thread) writes while others read. docs/archive.md describes the model, the file and the commands
`roc archive` and `roc history` built on this module.
"""
from __future__ import annotations

import logging
import math
import os
import re
import sqlite3
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple, Union

__all__ = ["Archive", "Recorder", "numeric_leaves", "parse_duration", "parse_time",
           "default_archive_path", "DEFAULT_RETENTION", "MAX_PATH_LENGTH", "MAX_DEPTH",
           "MAX_LEAVES"]

DEFAULT_RETENTION = 30 * 86400.0
#: A dotted path longer than this (characters) is not archived: status paths are names, not data.
MAX_PATH_LENGTH = 256
#: Levels below an update's path that are walked; deeper leaves are skipped.
MAX_DEPTH = 32
#: Numeric leaves taken from one update; the rest of it is skipped.
MAX_LEAVES = 10000
#: The same for the snapshot, which holds the whole tree at once.
MAX_SNAPSHOT_LEAVES = 1_000_000
#: Values buffered and not yet written; beyond this (a disk that refuses writes for long) the
#: oldest are dropped and counted, so a stuck archive cannot eat the memory.
MAX_BUFFERED = 1_000_000
#: Distinct paths the archive holds; values of new paths beyond it are dropped and counted, so a
#: publisher inventing paths cannot grow the file's index or the path cache without bound.
#: `prune` forgets paths whose values have all expired, which makes room again.
MAX_PATHS = 100_000

_log = logging.getLogger("roc.archive")
Where = Any  # what roc.StatusSubscription takes as endpoints: None, an address, Endpoints

_SCHEMA = """
CREATE TABLE IF NOT EXISTS paths (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE);
-- One row per value. The key is (path, time): a path's range is one index range, and a value seen
-- twice with the same stamp (a snapshot after a restart) is stored once.
CREATE TABLE IF NOT EXISTS samples (
    path_id INTEGER NOT NULL, t REAL NOT NULL, value REAL NOT NULL,
    PRIMARY KEY (path_id, t)
) WITHOUT ROWID;
"""


# --- time on the command line --------------------------------------------------------------------

_DURATION = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([smhdw]?)\s*$")
_UNIT = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 7 * 86400.0}
#: A plain number this large is a UNIX time (after 2001-09-09), not a duration in seconds.
UNIX_TIME_FLOOR = 1e9


def parse_duration(text: str) -> float:
    """`30`, `30s`, `5m`, `1.5h`, `7d`, `2w` → seconds. ValueError naming the text otherwise."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"'{text}' is not a duration: write a number with an optional unit "
                         "s, m, h, d or w, e.g. 30s, 5m, 1h, 7d")
    return float(match.group(1)) * _UNIT[match.group(2)]


def parse_time(text: str, now: Optional[float] = None) -> float:
    """A moment as UNIX seconds: `now`; a duration back from now (`1h`, `90s`, `30`); a UNIX time
    (a plain number from 1e9 on, e.g. `1764490000`); or an ISO 8601 date/time (`2026-11-30`,
    `2026-11-30T08:00`, `...+01:00`, `...Z`; without an offset, local time). ValueError otherwise."""
    now = time.time() if now is None else now
    text = text.strip() if isinstance(text, str) else text
    if text == "now":
        return now
    try:
        number = float(text)
    except (TypeError, ValueError):
        number = None
    if number is not None and math.isfinite(number) and number >= UNIX_TIME_FLOOR:
        return number
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text).timestamp()
    except (TypeError, ValueError):
        raise ValueError(f"'{text}' is not a time: write a duration back from now (1h, 30m, 7d), "
                         "a UNIX time (1764490000) or an ISO date/time (2026-11-30T08:00)") from None


def default_archive_path() -> Path:
    """$ROC_ARCHIVE, else ${XDG_STATE_HOME:-~/.local/state}/roc/archive.sqlite."""
    if os.environ.get("ROC_ARCHIVE"):
        return Path(os.environ["ROC_ARCHIVE"]).expanduser()
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state).expanduser() / "roc" / "archive.sqlite"


# --- what is archived ----------------------------------------------------------------------------

def _leaves(path: str, value: Any, limit: int, out: List[Tuple[str, float]]) -> int:
    """Appends the numeric leaves of `value` at `path` to `out` (at most `limit`); returns how many
    leaves were skipped. Iterative, so no input can exhaust the stack."""
    skipped = 0
    stack: List[Tuple[str, Any, int]] = [(path, value, 0)]
    while stack:
        where, node, depth = stack.pop()
        if isinstance(node, dict):
            if depth >= MAX_DEPTH:
                skipped += 1
                continue
            prefix = where + "." if where else ""
            for key, child in reversed(list(node.items())):
                # A key with a dot (or an empty one) would make a path that names another leaf.
                if not isinstance(key, str) or not key or "." in key:
                    skipped += 1
                    continue
                stack.append((prefix + key, child, depth + 1))
            continue
        if isinstance(node, bool) or not isinstance(node, (int, float)):
            skipped += 1  # text, null, arrays (camera frames are not history), and booleans
            continue
        try:
            number = float(node)
        except OverflowError:  # an int beyond a double
            skipped += 1
            continue
        if not math.isfinite(number) or len(where) > MAX_PATH_LENGTH or not where:
            skipped += 1
            continue
        if len(out) >= limit:
            skipped += 1
            continue
        out.append((where, number))
    return skipped


def numeric_leaves(path: str, value: Any, limit: int = MAX_LEAVES) -> Iterator[Tuple[str, float]]:
    """The archived leaves of the update `value` at dotted `path`: (dotted path, float) for each
    int/float leaf, in document order. Not archived: booleans, NaN and infinities, text, null,
    arrays and everything in them, keys that are empty or hold a dot, leaves more than MAX_DEPTH
    levels below `path`, paths longer than MAX_PATH_LENGTH characters, and leaves after the
    first `limit`. Never raises for any JSON-like input."""
    out: List[Tuple[str, float]] = []
    _leaves(path if isinstance(path, str) else "", value, limit, out)
    return iter(out)


# --- the archive -----------------------------------------------------------------------------------

class Archive:
    """Numeric status values in an SQLite file (WAL): `add` buffers, `flush` writes the buffer in
    one transaction, `query` reads a path's values over a time range, downsampled in SQL.

    Thread-safe: one writer connection (used under a lock) and one read connection per reading
    thread, so HTTP threads read while the recorder writes; other processes may read (and write)
    the same file at the same time. `retention` (seconds; None keeps everything): values older
    than now - retention are deleted when the archive opens and by `prune()`. `readonly` opens an
    existing file for reading only (FileNotFoundError when there is none); add/flush/prune then
    raise. sqlite3.DatabaseError for a file that is not an archive.
    """

    def __init__(self, path: Union[str, Path], retention: Optional[float] = DEFAULT_RETENTION,
                 readonly: bool = False) -> None:
        self.path = Path(path).expanduser().absolute()  # what a start line or an error names
        self.retention = retention
        self.readonly = readonly
        #: Leaves not archived by add_update (see numeric_leaves), and values dropped unwritten.
        self.skipped = 0
        self.dropped = 0
        self._buffer: List[Tuple[str, float, float]] = []
        self._buffer_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._readers = threading.local()
        self._connections: List[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._path_ids: Dict[str, int] = {}
        self._closed = False
        if readonly:
            if not self.path.is_file():
                raise FileNotFoundError(f"no archive at {self.path}")
            self._writer: Optional[sqlite3.Connection] = None
            self._reader()  # fails now, not at the first query, for a file that is no archive
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = self._connect()
        self._writer.execute("PRAGMA journal_mode=WAL")
        self._writer.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, never corrupt
        self._writer.executescript(_SCHEMA)
        self._path_ids = dict((p, i) for i, p in self._writer.execute("SELECT id, path FROM paths"))
        if retention is not None:
            self.prune()

    def _connect(self, readonly: bool = False) -> sqlite3.Connection:
        if readonly:
            connection = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                         check_same_thread=False, isolation_level=None)
        else:
            connection = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        try:
            connection.execute("PRAGMA busy_timeout=10000")  # another process's write: wait, don't fail
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as error:
            connection.close()
            raise sqlite3.DatabaseError(f"{self.path} is not a roc archive: {error}") from None
        with self._connections_lock:
            self._connections.append(connection)
        return connection

    def _reader(self) -> sqlite3.Connection:
        connection = getattr(self._readers, "connection", None)
        if connection is None:
            if self._closed:
                raise ValueError(f"the archive {self.path} is closed")
            connection = self._readers.connection = self._connect(readonly=self.readonly)
        return connection

    # -- writing --

    def add(self, path: str, t: float, value: float) -> None:
        """Buffers one value of `path` at UNIX time `t`; `flush` writes it. Cheap, thread-safe. A
        value numeric_leaves would not archive (NaN, a bool, a path too long) is counted in
        `skipped` instead."""
        leaves: List[Tuple[str, float]] = []
        well_formed = isinstance(path, str) and "" not in path.split(".") \
            and isinstance(t, (int, float)) and not isinstance(t, bool) and math.isfinite(t)
        skipped = _leaves(path, value, 1, leaves) if well_formed else 1  # the value: numeric_leaves' rule
        self._add_rows([(leaf, float(t), number) for leaf, number in leaves], skipped)

    def add_update(self, path: str, value: Any, t: float) -> int:
        """Buffers the numeric leaves of a status update (numeric_leaves) at time `t`; returns how
        many. What is not archived is counted in `skipped`. Never raises for any JSON-like value."""
        leaves: List[Tuple[str, float]] = []
        skipped = _leaves(path if isinstance(path, str) else "", value, MAX_LEAVES, leaves)
        self._add_rows([(leaf, t, number) for leaf, number in leaves], skipped)
        return len(leaves)

    def _add_rows(self, rows: List[Tuple[str, float, float]], skipped: int = 0) -> None:
        """Buffers (path, t, value) rows already checked by numeric_leaves' rule."""
        with self._buffer_lock:
            self.skipped += skipped
            self._buffer.extend(rows)
            if len(self._buffer) > MAX_BUFFERED:
                excess = len(self._buffer) - MAX_BUFFERED
                del self._buffer[:excess]
                self.dropped += excess

    def flush(self) -> int:
        """Writes the buffered values in one transaction; returns how many. On an error (a full
        disk, a lock held too long) the values stay buffered for the next flush and it raises."""
        if self._writer is None:
            raise ValueError(f"the archive {self.path} was opened read-only")
        with self._buffer_lock:
            batch, self._buffer = self._buffer, []
        if not batch:
            return 0
        with self._write_lock:
            try:
                self._writer.execute("BEGIN IMMEDIATE")
                try:
                    ids = [(self._path_id(path), t, value) for path, t, value in batch]
                    rows = [row for row in ids if row[0] is not None]
                    self.dropped += len(ids) - len(rows)
                    # A later value with the same stamp replaces an earlier one: the last word wins.
                    self._writer.executemany(
                        "INSERT OR REPLACE INTO samples (path_id, t, value) VALUES (?, ?, ?)", rows)
                    self._writer.execute("COMMIT")
                except BaseException:
                    self._writer.execute("ROLLBACK")
                    self._path_ids = dict((p, i) for i, p in self._writer.execute("SELECT id, path FROM paths"))
                    raise
            except BaseException:
                with self._buffer_lock:
                    self._buffer[:0] = batch
                raise
        return len(batch)

    def _path_id(self, path: str) -> Optional[int]:
        """The id of `path`, inserting it (inside the caller's transaction, under the write lock);
        None for a new path when MAX_PATHS are held."""
        found = self._path_ids.get(path)
        if found is None:
            if len(self._path_ids) >= MAX_PATHS:
                return None
            self._writer.execute("INSERT OR IGNORE INTO paths (path) VALUES (?)", (path,))
            found = self._writer.execute("SELECT id FROM paths WHERE path = ?", (path,)).fetchone()[0]
            self._path_ids[path] = found
        return found

    def prune(self, now: Optional[float] = None) -> int:
        """Deletes values older than now - retention; returns how many (0 without a retention)."""
        if self._writer is None:
            raise ValueError(f"the archive {self.path} was opened read-only")
        if self.retention is None:
            return 0
        cutoff = (time.time() if now is None else now) - self.retention
        deleted = 0
        with self._write_lock:
            self._writer.execute("BEGIN IMMEDIATE")
            try:
                # Path by path: each delete is a range of the primary key, not a scan of the table.
                for (path_id,) in self._writer.execute("SELECT id FROM paths").fetchall():
                    deleted += self._writer.execute(
                        "DELETE FROM samples WHERE path_id = ? AND t < ?", (path_id, cutoff)).rowcount
                # A path with no values left is forgotten: the paths table stays as large as
                # what is kept, not as every path ever seen.
                self._writer.execute("DELETE FROM paths WHERE NOT EXISTS "
                                     "(SELECT 1 FROM samples WHERE path_id = paths.id)")
                self._writer.execute("COMMIT")
            except BaseException:
                self._writer.execute("ROLLBACK")
                raise
            self._path_ids = dict((p, i) for i, p in self._writer.execute("SELECT id, path FROM paths"))
        return deleted

    # -- reading --

    def paths(self, prefix: str = "") -> List[str]:
        """The archived paths, sorted; with `prefix`, those starting with it (plain text match:
        `vnir.` for the paths under vnir)."""
        like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._reader().execute(
            "SELECT path FROM paths WHERE path LIKE ? ESCAPE '\\' ORDER BY path", (like,))
        return [path for (path,) in rows]

    def query(self, path: str, since: float, until: Optional[float] = None,
              max_points: Optional[int] = None) -> List[Tuple[float, float]]:
        """(t, value) of `path` with since <= t <= until (None: no end), ascending in t; [] for an
        unknown path. With `max_points` (>= 2) and more values than that in the range, the range
        is cut into max_points // 2 equal buckets and each gives its minimum and its maximum (at
        their own times): at most max_points points, and every spike and dip stays visible."""
        if max_points is not None and max_points < 2:
            raise ValueError(f"max_points is {max_points}: at least 2 (a minimum and a maximum)")
        until = math.inf if until is None else until
        reader = self._reader()
        reader.execute("BEGIN")  # one snapshot of the file for the count and the values
        try:
            row = reader.execute("SELECT id FROM paths WHERE path = ?", (path,)).fetchone()
            if row is None or until < since:
                return []
            path_id = row[0]
            if max_points is not None:
                count = reader.execute("SELECT count(*) FROM samples WHERE path_id = ? AND t BETWEEN ? AND ?",
                                       (path_id, since, until)).fetchone()[0]
                if count > max_points:
                    return self._downsampled(reader, path_id, since, until, max_points // 2)
            return reader.execute("SELECT t, value FROM samples WHERE path_id = ? AND t BETWEEN ? AND ? "
                                  "ORDER BY t", (path_id, since, until)).fetchall()
        finally:
            reader.execute("COMMIT")

    @staticmethod
    def _downsampled(reader: sqlite3.Connection, path_id: int, since: float, until: float,
                     buckets: int) -> List[Tuple[float, float]]:
        # The range actually covered, from the key's two ends (no scan), cut into equal buckets.
        first = reader.execute("SELECT t FROM samples WHERE path_id = ? AND t >= ? ORDER BY t LIMIT 1",
                               (path_id, since)).fetchone()[0]
        last = reader.execute("SELECT t FROM samples WHERE path_id = ? AND t <= ? ORDER BY t DESC LIMIT 1",
                              (path_id, until)).fetchone()[0]
        # Slightly under buckets/span, so that `last` falls in the last bucket, not one past it.
        per_second = buckets / ((last - first) * (1 + 1e-9))
        # SQLite's bare columns: in a grouped query with a single min() or max(), `t` is that row's.
        # Two grouped scans (one for the minima, one for the maxima) beat one scan with a window.
        rows = reader.execute(
            """SELECT t, min(value) FROM samples WHERE path_id = :id AND t BETWEEN :first AND :last
                   GROUP BY CAST((t - :first) * :per_second AS INTEGER)
               UNION ALL
               SELECT t, max(value) FROM samples WHERE path_id = :id AND t BETWEEN :first AND :last
                   GROUP BY CAST((t - :first) * :per_second AS INTEGER)""",
            {"id": path_id, "first": first, "last": last, "per_second": per_second}).fetchall()
        return sorted(set(rows))  # a bucket of one value gives it twice

    # -- lifetime --

    def close(self) -> None:
        """Flushes (unless read-only) and closes every connection. Idempotent."""
        if self._closed:
            return
        try:
            if self._writer is not None:
                self.flush()
        finally:
            self._closed = True
            with self._connections_lock:
                connections, self._connections = self._connections, []
            for connection in connections:
                connection.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Archive {self.path}{' read-only' if self.readonly else ''}>"


# --- the recorder ----------------------------------------------------------------------------------

#: A publisher's stamp this far (seconds) ahead of the recorder's clock is not believed: such a
#: value would sit after every later one and outlive the retention. Behind is fine (a cached value).
MAX_CLOCK_AHEAD = 3600.0


def stamped_time(source: Any, received: float) -> float:
    """When a value was emitted, from its StatusSource; `received` when there is no usable stamp."""
    emitted = getattr(source, "emitted", 0.0)
    if not emitted or emitted <= 0 or emitted > received + MAX_CLOCK_AHEAD:
        return received
    return emitted

class Recorder:
    """Feeds an Archive from the broker's status stream in a background thread.

    It subscribes to `masks` ("" for everything) through the broker at `endpoints` (as
    roc.StatusSubscription: None for $ROC_BROKER, else localhost:5555) and records the snapshot's
    numeric leaves first — so values already in the broker's cache when it (re)starts are kept —
    then every update's. A value's time is its publisher's stamp (`emitted`), else when it
    arrived. It flushes every `flush_interval` seconds and prunes every `prune_interval` (default:
    a tenth of the retention, between 1 s and 10 min). `stop()` flushes what is left.

    Nothing a publisher sends can end the thread: an update that cannot be archived is counted
    (`archive.skipped`), an unexpected error is logged (logger `roc.archive`) and counted in
    `errors`. `recorded` is the number of values written so far; `synced` is set once the
    snapshot has been recorded (or the subscription gave up waiting for one).
    """

    def __init__(self, archive: Archive, endpoints: Where = None, masks: Union[str, Iterable[str]] = "",
                 flush_interval: float = 0.5, prune_interval: Optional[float] = None) -> None:
        from .status import StatusSubscription  # only the recorder needs ZeroMQ
        self.archive = archive
        self.flush_interval = flush_interval
        if prune_interval is None and archive.retention is not None:
            prune_interval = min(max(archive.retention / 10, 1.0), 600.0)
        self.prune_interval = prune_interval
        self.recorded = 0
        self.errors = 0
        self.synced = threading.Event()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._subscription = StatusSubscription(masks, endpoints, timeout=min(flush_interval, 0.2))

    @property
    def endpoint(self) -> str:
        return self._subscription.endpoint

    @property
    def connected(self) -> bool:
        return self._subscription.connected

    def start(self) -> "Recorder":
        self._thread = threading.Thread(target=self._run, name="roc-archive-recorder", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Ends the thread (within `timeout` seconds) and writes what it buffered."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        else:
            self._subscription.close()  # never started: the thread would have closed it
        self._flush()

    def _run(self) -> None:
        next_flush = time.monotonic() + self.flush_interval
        next_prune = time.monotonic() + (self.prune_interval or math.inf)
        try:
            while not self._stop.is_set():
                try:
                    self._record(self._subscription.next())
                except Exception:  # noqa: BLE001 — the recorder outlives any one bad update
                    self._error("recording an update")
                now = time.monotonic()
                if now >= next_flush:
                    self._flush()
                    next_flush = now + self.flush_interval
                if now >= next_prune:
                    try:
                        self.archive.prune()
                    except Exception:  # noqa: BLE001
                        self._error("pruning")
                    next_prune = now + self.prune_interval
        finally:
            self._subscription.close()

    def _record(self, update: Any) -> None:
        if not update:
            if self._subscription.synced:
                self.synced.set()  # a broker without a cache: the subscription gave up on a snapshot
            return
        if update.stale:
            return  # the values stay what they were; staleness is no value
        received = time.time()
        if update.snapshot:
            leaves: List[Tuple[str, float]] = []
            skipped = _leaves("", update.value, MAX_SNAPSHOT_LEAVES, leaves)
            rows = [(leaf, stamped_time(self._subscription.source(leaf), received), number)
                    for leaf, number in leaves]
            self.archive._add_rows(rows, skipped)
            self.synced.set()
            return
        if update.value is None:
            return  # a deletion: the history stays
        source = update.sources[0] if update.sources else None
        self.archive.add_update(update.path, update.value, stamped_time(source, received))

    def _flush(self) -> None:
        try:
            self.recorded += self.archive.flush()
        except Exception:  # noqa: BLE001 — kept buffered; the next flush tries again
            self._error("writing to the archive")

    def _error(self, doing: str) -> None:
        self.errors += 1
        if self.errors == 1 or self.errors % 1000 == 0:
            _log.exception("roc archive: error %s (%d so far)", doing, self.errors)

    def __enter__(self) -> "Recorder":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
