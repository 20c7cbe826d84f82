#!/usr/bin/env python3
"""How fast the status archive (roc.archive) writes and reads; prints a table.

    python3 python/bench/bench_archive.py                  # in a temporary directory, removed after
    python3 python/bench/bench_archive.py --seconds 10 --no-broker

Rows:
- sustained insert: realistic updates (an object's subtree of 20 numeric leaves plus a text, a
  flag and an array, as `vnir` publishes) for 1,000 paths, through Archive.add_update and a flush
  every 0.5 s of stream (the Recorder's default), for --seconds; then the same into a file that
  already holds a day of 1 Hz values for 200 paths (17 million rows), since the B-tree grows;
- end to end: a StatusUpdater publishing through the build's rocbroker to a Recorder (what
  `roc archive` runs), until every value is in the file; the publisher, the broker and the
  subscription share this machine's cores with the archive;
- query: 24 h of one 1 Hz value (86,400 rows) read whole, and downsampled in SQL to 2,000 points
  (what the console plots), median of 20;
- the file's size per value;
- baseline: the same table (roc.archive's schema, WAL) filled by sqlite3's executemany with rows
  made beforehand, committed in the same batches: what SQLite itself takes from Python, the
  ceiling for any writer here.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "python"))

import roc  # noqa: E402
from roc.archive import Archive, Recorder  # noqa: E402

BUILD = Path(os.environ.get("ROC_BUILD_DIR") or REPO / "build")
OBJECTS, LEAVES = 50, 20  # 1,000 numeric paths


def update(i: int) -> dict:
    """The i-th update of an object: 20 numeric leaves (two of them nested) and what is skipped."""
    leaves = {f"v{k}": (i * 31 + k) % 1000 / 10.0 for k in range(LEAVES - 2)}
    leaves["stage"] = {"x": i * 0.001, "y": -i * 0.002}
    leaves.update(state="open", ready=True, trace=[1, 2, 3])
    return leaves


def insert_rate(archive: Archive, seconds: float, t0: float) -> tuple:
    """(values/s, values) over `seconds` of add_update + flush, flushing every 0.5 s of stream."""
    values, i = 0, 0
    began = time.perf_counter()
    next_flush = began + 0.5
    while True:
        now = time.perf_counter()
        if now - began >= seconds:
            break
        t = t0 + i * 0.1  # the stream's own clock: 10 updates per object per second
        for o in range(OBJECTS):
            values += archive.add_update(f"obj{o}", update(i), t)
        i += 1
        if now >= next_flush:
            archive.flush()
            next_flush = now + 0.5
    archive.flush()
    return values / (time.perf_counter() - began), values


def raw_sqlite_rate(path: Path, seconds: float, t0: float) -> float:
    """values/s of executemany + commit of ready (path_id, t, value) rows into the archive's table."""
    import sqlite3
    from roc.archive import _SCHEMA
    connection = sqlite3.connect(str(path), isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.executescript(_SCHEMA)
    ticks = 50  # 50,000 values a transaction: what the archive's flush every 0.5 s writes at its rate
    values, i, spent = 0, 0, 0.0
    while spent < seconds:
        rows = [(p, t0 + (i + k // (OBJECTS * LEAVES)) * 0.1, float(k % 977)) for k, p in
                enumerate(list(range(OBJECTS * LEAVES)) * ticks)]
        began = time.perf_counter()  # only SQLite's part is timed: the rows are ready
        connection.execute("BEGIN")
        connection.executemany("INSERT OR REPLACE INTO samples (path_id, t, value) VALUES (?, ?, ?)", rows)
        connection.execute("COMMIT")
        spent += time.perf_counter() - began
        values += len(rows)
        i += ticks
    connection.close()
    return values / spent


def prefill(archive: Archive, paths: int, t0: float) -> int:
    """A day of 1 Hz values for `paths` paths, written as the recorder would (in batches)."""
    for second in range(0, 86400, 100):
        for p in range(paths):
            for s in range(second, second + 100):
                archive.add(f"old{p}.value", t0 + s, float(s % 977))
        archive.flush()
    return paths * 86400


def end_to_end(directory: Path, updates: int) -> tuple:
    """(values/s, values) from a StatusUpdater through rocbroker to a Recorder's file."""
    broker_program = BUILD / "runtime/apps/rocbroker"
    if not broker_program.exists():
        return None, f"{broker_program} is not built"
    process = subprocess.Popen([str(broker_program), "--bind", "127.0.0.1:0"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        address = None
        for line in process.stdout:
            match = re.search(r"calls tcp://(127\.0\.0\.1:\d+)", line)
            if match:
                address = match.group(1)
                break
        if address is None:
            return None, "rocbroker did not start"
        threading.Thread(target=process.stdout.read, daemon=True).start()
        archive = Archive(directory / "e2e.sqlite")
        recorder = Recorder(archive, address).start()
        if not recorder.synced.wait(10):
            return None, "no snapshot from the broker"
        expected = updates * LEAVES
        with roc.StatusUpdater(address, capacity=updates + 10) as updater:
            updater.flush(5)
            began = time.perf_counter()
            for i in range(updates):
                updater.emit(f"obj{i % OBJECTS}", update(i))
            deadline = time.monotonic() + 120
            while recorder.recorded + len(archive._buffer) < expected and time.monotonic() < deadline:
                time.sleep(0.01)
            recorder.stop()
            took = time.perf_counter() - began
        got = recorder.recorded
        archive.close()
        if got < expected:
            return None, f"only {got} of {expected} values arrived (dropped by the publisher: {updater.dropped})"
        return got / took, got
    finally:
        process.terminate()
        process.wait(5)


def query_times(archive: Archive, t0: float) -> tuple:
    whole, downsampled = [], []
    for _ in range(20):
        began = time.perf_counter()
        rows = archive.query("day.value", t0, t0 + 86400)
        whole.append(time.perf_counter() - began)
        began = time.perf_counter()
        points = archive.query("day.value", t0, t0 + 86400, max_points=2000)
        downsampled.append(time.perf_counter() - began)
    return statistics.median(whole), len(rows), statistics.median(downsampled), len(points)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each insert run (default 5)")
    parser.add_argument("--updates", type=int, default=20000, help="updates sent end to end (default 20000)")
    parser.add_argument("--no-broker", action="store_true", help="skip the end-to-end row")
    parser.add_argument("--dir", type=Path, default=None, help="where the files go (default: a temporary directory)")
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="roc-bench-archive-", dir=args.dir))
    try:
        import sqlite3
        print(f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} cores; "
              f"files in {directory}")
        t0 = time.time() - 2 * 86400
        print(f"{'':<58} {'result':>14}")

        with Archive(directory / "fresh.sqlite", retention=None) as archive:
            rate, values = insert_rate(archive, args.seconds, t0)
        size = (directory / "fresh.sqlite").stat().st_size
        print(f"{'sustained insert, 1,000 paths, empty file':<58} {rate:>14,.0f} values/s")
        print(f"{'  file size per value':<58} {size / values:>14.1f} bytes")

        rate = raw_sqlite_rate(directory / "raw.sqlite", args.seconds, t0)
        print(f"{'  baseline: sqlite3 executemany of ready rows, same table':<58} {rate:>14,.0f} values/s")

        with Archive(directory / "full.sqlite", retention=None) as archive:
            rows = prefill(archive, 200, t0)
            rate, _ = insert_rate(archive, args.seconds, t0 + 86400)
        print(f"{f'sustained insert, 1,000 paths, file of {rows / 1e6:.1f} M values':<58} {rate:>14,.0f} values/s")

        if not args.no_broker:
            rate, detail = end_to_end(directory, args.updates)
            if rate is None:
                print(f"{'end to end (StatusUpdater → rocbroker → Recorder)':<58} {'skipped':>14} ({detail})")
            else:
                print(f"{'end to end (StatusUpdater → rocbroker → Recorder)':<58} {rate:>14,.0f} values/s")

        with Archive(directory / "day.sqlite", retention=None) as archive:
            for s in range(86400):
                archive.add("day.value", t0 + s, float(s % 977))
            archive.flush()
            whole, n_whole, down, n_down = query_times(archive, t0)
        print(f"{f'query 24 h of 1 Hz, whole ({n_whole:,} points)':<58} {whole * 1000:>14.1f} ms")
        print(f"{f'query 24 h of 1 Hz, downsampled to 2,000 ({n_down:,} points)':<58} {down * 1000:>14.1f} ms")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
