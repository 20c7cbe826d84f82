"""The status archive (roc.archive, `roc archive`): what is archived, retention, downsampling,
concurrent readers, and recording from a live broker through real processes — restarts lose
nothing, publishers' times are kept, hostile publishers cannot stop the recorder."""
from __future__ import annotations

import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import zmq

from conftest import REPO, connected_updater, emit_seen, wait_until
from roc import StatusSubscription
from roc import wire
from roc import archive as archive_module
from roc.archive import (DEFAULT_RETENTION, MAX_DEPTH, MAX_LEAVES, MAX_PATH_LENGTH, Archive, Recorder,
                         default_archive_path, numeric_leaves, parse_duration, parse_time)

ENV = dict(os.environ, PYTHONPATH=str(REPO / "python"))


def roc_archive(spawn, broker, path: Path, *extra: str):
    """A running `roc archive` process, once it has printed its start line."""
    process = spawn([sys.executable, "-m", "roc.console", "archive", "--broker", broker.address,
                     "--archive", str(path), *extra], env=ENV)
    process.wait_for(r"^roc archive: recording .* into ")
    return process


def values(path: Path, leaf: str) -> list:
    """(t, value) of `leaf` as another reader sees the file now."""
    with Archive(path, readonly=True) as archive:
        return archive.query(leaf, 0)


# --- what is archived --------------------------------------------------------------------------------

def test_numeric_leaves_keeps_ints_and_floats_and_skips_everything_else():
    update = {"temperature": 21.5, "frames": 3, "open": True, "name": "vnir", "none": None,
              "frame": [1, 2, 3], "nan": math.nan, "inf": -math.inf, "huge": 10 ** 400,
              "a.b": 1, "": 2, "roi": {"width": 640, "rows": [[1]]}}
    assert list(numeric_leaves("vnir", update)) == [
        ("vnir.temperature", 21.5), ("vnir.frames", 3.0), ("vnir.roi.width", 640.0)]
    assert list(numeric_leaves("lab.x", 2)) == [("lab.x", 2.0)]
    assert list(numeric_leaves("lab.x", "2")) == []
    assert list(numeric_leaves("", {"a": {"b": 1}})) == [("a.b", 1.0)]  # a snapshot: the root


def test_numeric_leaves_bounds_depth_leaf_count_and_path_length():
    deep = 1
    for _ in range(MAX_DEPTH + 5):
        deep = {"d": deep}
    assert list(numeric_leaves("x", deep)) == []
    assert len(list(numeric_leaves("x", _nested(MAX_DEPTH - 1)))) == 1
    many = {f"v{i}": i for i in range(MAX_LEAVES + 100)}
    leaves = list(numeric_leaves("x", many))
    assert len(leaves) == MAX_LEAVES and leaves[0] == ("x.v0", 0.0)
    assert len(list(numeric_leaves("x", many, limit=10))) == 10
    assert list(numeric_leaves("p" * MAX_PATH_LENGTH, 1)) == [("p" * MAX_PATH_LENGTH, 1.0)]
    assert list(numeric_leaves("p" * (MAX_PATH_LENGTH + 1), 1)) == []


def _nested(levels: int):
    node = 1
    for _ in range(levels):
        node = {"d": node}
    return node


def test_add_update_counts_what_it_skips_and_add_refuses_what_sqlite_would_choke_on(tmp_path):
    with Archive(tmp_path / "a.sqlite") as archive:
        assert archive.add_update("lab", {"x": 1, "ok": False, "s": "text", "frame": [1, 2]}, 100.0) == 1
        assert archive.skipped == 3
        archive.add("lab.nan", 100.0, math.nan)
        archive.add("lab.bool", 100.0, True)
        archive.add("lab.y", math.inf, 1.0)
        archive.add("p" * (MAX_PATH_LENGTH + 1), 100.0, 1.0)
        archive.add("lab..z", 100.0, 1.0)
        archive.add("lab.z", True, 1.0)
        assert archive.skipped == 9
        assert archive.flush() == 1
        assert archive.paths() == ["lab.x"]


# --- durations and times -------------------------------------------------------------------------

def test_parse_duration_reads_seconds_minutes_hours_days_and_weeks():
    assert [parse_duration(t) for t in ("30", "30s", "5m", "1.5h", "7d", "2w", " 1h ")] == \
        [30, 30, 300, 5400, 7 * 86400, 14 * 86400, 3600]
    for bad in ("", "h", "1x", "-1h", "1 h 2", "1e3"):
        with pytest.raises(ValueError, match="is not a duration"):
            parse_duration(bad)


def test_parse_time_reads_durations_back_from_now_unix_and_iso_times():
    now = 1_800_000_000.0
    assert parse_time("1h", now) == now - 3600
    assert parse_time("30", now) == now - 30
    assert parse_time("now", now) == now
    assert parse_time("1764490000", now) == 1764490000.0
    assert parse_time("2026-11-30T08:00:00+00:00", now) == 1796025600.0
    assert parse_time("2026-11-30T08:00:00Z", now) == 1796025600.0
    with pytest.raises(ValueError, match="is not a time"):
        parse_time("yesterday", now)


def test_default_archive_path_is_roc_archive_else_under_xdg_state_home(monkeypatch, tmp_path):
    monkeypatch.setenv("ROC_ARCHIVE", str(tmp_path / "mine.sqlite"))
    assert default_archive_path() == tmp_path / "mine.sqlite"
    monkeypatch.delenv("ROC_ARCHIVE")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert default_archive_path() == tmp_path / "state" / "roc" / "archive.sqlite"
    monkeypatch.delenv("XDG_STATE_HOME")
    assert default_archive_path() == Path.home() / ".local" / "state" / "roc" / "archive.sqlite"
    assert DEFAULT_RETENTION == 30 * 86400


# --- the file ------------------------------------------------------------------------------------

def test_values_survive_reopening_and_a_value_seen_twice_is_stored_once(tmp_path):
    path = tmp_path / "deep" / "dir" / "a.sqlite"  # the directories are made
    with Archive(path) as archive:
        archive.add("a.x", 100.0, 1.0)
        archive.add("a.x", 101.0, 2.0)
    with Archive(path, retention=None) as archive:
        archive.add("a.x", 101.0, 2.0)  # the same stamp again (a snapshot after a restart)
        archive.add("a.x", 102.0, 3.0)
        archive.add("b.y", 102.0, 4.0)
        assert archive.flush() == 3
        assert archive.query("a.x", 0) == [(100.0, 1.0), (101.0, 2.0), (102.0, 3.0)]
        assert archive.query("a.x", 100.5, 101.5) == [(101.0, 2.0)]
        assert archive.query("a.x", 103.0) == [] and archive.query("nope", 0) == []
        assert archive.paths() == ["a.x", "b.y"] and archive.paths("a.") == ["a.x"]
        assert archive.paths("a_") == []  # the prefix is text, not a LIKE pattern


def test_the_file_is_in_wal_mode_and_a_reader_is_not_blocked_by_a_writers_transaction(tmp_path):
    path = tmp_path / "a.sqlite"
    writer = Archive(path)
    try:
        writer.add("a.x", 1e9 + 1, 1.0)
        writer.flush()
        assert writer._writer.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        writer._writer.execute("BEGIN EXCLUSIVE")  # a rollback journal would lock readers out now
        writer._writer.execute("INSERT INTO samples VALUES (1, 1e9 + 2, 2.0)")
        out = subprocess.run([sys.executable, "-m", "roc.console", "history", "a.x", "--since", "1e9",
                              "--archive", str(path), "--json"], env=ENV, capture_output=True,
                             text=True, timeout=20)
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout) == [{"t": 1e9 + 1, "value": 1.0}]  # committed values only
        writer._writer.execute("COMMIT")
    finally:
        writer.close()


def test_readonly_opening_refuses_a_missing_file_and_a_file_that_is_not_an_archive(tmp_path):
    with pytest.raises(FileNotFoundError, match="no archive at"):
        Archive(tmp_path / "missing.sqlite", readonly=True)
    assert not (tmp_path / "missing.sqlite").exists()
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(sqlite3.DatabaseError, match="is not a roc archive"):
        Archive(junk, readonly=True)
    with pytest.raises(sqlite3.DatabaseError, match="is not a roc archive"):
        Archive(junk)


def test_threads_read_while_another_thread_writes(tmp_path):
    archive = Archive(tmp_path / "a.sqlite")
    errors, stop = [], threading.Event()

    def read():
        try:
            while not stop.is_set():
                points = archive.query("a.x", 0, max_points=50)
                assert len(points) <= 50 and points == sorted(points)
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    for i in range(200):
        for j in range(50):
            archive.add("a.x", i * 50 + j, float(j))
        archive.flush()
    stop.set()
    for reader in readers:
        reader.join(10)
    archive.close()
    assert errors == []
    assert len(values(tmp_path / "a.sqlite", "a.x")) == 10000


# --- retention -------------------------------------------------------------------------------------

def test_prune_deletes_values_older_than_the_retention_and_opening_prunes(tmp_path):
    path = tmp_path / "a.sqlite"
    now = time.time()
    with Archive(path, retention=None) as archive:
        for age in (10 * 86400, 2 * 86400, 3600, 0):
            archive.add("a.x", now - age, float(age))
            archive.add("b.y", now - age, float(age))
    with Archive(path, retention=None) as archive:
        assert len(archive.query("a.x", 0)) == 4  # no retention: nothing deleted
    with Archive(path, retention=7 * 86400) as archive:  # opening prunes
        assert [v for _, v in archive.query("a.x", 0)] == [2 * 86400, 3600, 0]
        assert archive.prune(now + 86400) == 0
        assert archive.prune(now + 6 * 86400) == 2  # a.x and b.y at 2 days
        assert [v for _, v in archive.query("b.y", 0)] == [3600, 0]


def test_a_publisher_inventing_paths_fills_at_most_max_paths_and_pruning_makes_room(tmp_path, monkeypatch):
    monkeypatch.setattr(archive_module, "MAX_PATHS", 5)
    now = time.time()
    with Archive(tmp_path / "a.sqlite", retention=3600) as archive:
        for n in range(8):
            archive.add(f"made.up{n}", now - 7200 if n < 5 else now, float(n))
        archive.flush()
        assert archive.paths() == [f"made.up{n}" for n in range(5)]
        assert archive.dropped == 3
        archive.prune(now)  # every value of the five is past the retention: their paths go too
        assert archive.paths() == []
        archive.add("made.up7", now, 7.0)
        archive.flush()
        assert archive.query("made.up7", now - 1) == [(now, 7.0)]


def test_the_recorder_prunes_periodically(broker, tmp_path):
    archive = Archive(tmp_path / "a.sqlite", retention=3.0)
    archive.add("old.x", time.time() - 1.0, 1.0)  # young enough to survive the opening's prune
    archive.flush()
    with Recorder(archive, broker.endpoints, prune_interval=0.2):
        assert len(archive.query("old.x", 0)) == 1
        wait_until(lambda: archive.query("old.x", 0) == [], "the recorder to prune a value past retention")
    archive.close()


# --- downsampling ------------------------------------------------------------------------------------

def test_a_downsampled_day_keeps_its_spikes_and_dips_in_at_most_n_points(tmp_path):
    archive = Archive(tmp_path / "a.sqlite")
    start = time.time() - 86400
    for i in range(86400):  # 24 h at 1 Hz: a slow sine with one spike and one dip
        value = 20 + math.sin(i / 5000) + (50 if i == 12345 else 0) - (40 if i == 70001 else 0)
        archive.add("cam.temperature", start + i, value)
    archive.flush()
    began = time.perf_counter()
    points = archive.query("cam.temperature", start, max_points=2000)
    took = time.perf_counter() - began
    assert 1000 < len(points) <= 2000
    assert [t for t, _ in points] == sorted(t for t, _ in points)
    assert (start + 12345, 20 + math.sin(12345 / 5000) + 50) in points  # the spike, at its time
    assert (start + 70001, 20 + math.sin(70001 / 5000) - 40) in points  # the dip
    bucket = 86400 / 1000  # 2000 points: 1000 buckets of a minimum and a maximum
    assert points[0][0] < start + bucket and points[-1][0] > start + 86399 - bucket  # the whole day
    assert took < 2.0, f"downsampling 86,400 values took {took:.2f} s"
    # A range with no more values than asked for comes back whole.
    assert len(archive.query("cam.temperature", start, start + 99, max_points=100)) == 100
    assert len(archive.query("cam.temperature", start, start + 100, max_points=100)) <= 100
    with pytest.raises(ValueError, match="at least 2"):
        archive.query("cam.temperature", start, max_points=1)
    archive.close()


# --- recording from a live broker -------------------------------------------------------------------

def test_roc_archive_records_python_and_cxx_status_at_their_publishers_times(broker, vnir_server, spawn,
                                                                               tmp_path):
    path = tmp_path / "a.sqlite"
    roc_archive(spawn, broker, path)
    with connected_updater(broker) as updater:
        before = time.time()
        updater.emit("lab.stage", {"x": 1.5, "moving": False, "name": "s1", "trace": [1, 2, 3]})
        after = time.time()
        wait_until(lambda: path.exists() and values(path, "lab.stage.x"), "lab.stage.x in the archive")
    [(t, x)] = values(path, "lab.stage.x")
    assert x == 1.5 and before <= t <= after  # the publisher's emit time, not the arrival
    wait_until(lambda: len(values(path, "vnir.temperature")) >= 2, "two vnir.temperature values")
    with Archive(path, readonly=True) as archive:
        assert {"vnir.temperature", "vnir.frames", "lab.stage.x"} <= set(archive.paths())
        assert not [p for p in archive.paths() if p.startswith(("lab.stage.moving", "lab.stage.name",
                                                                "lab.stage.trace"))]


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_a_stopped_and_restarted_roc_archive_loses_nothing(broker, spawn, tmp_path, stop_signal):
    path = tmp_path / "a.sqlite"
    with connected_updater(broker) as updater:
        updater.emit("test.counter", 0)  # in the broker's cache before the first start
        wait_until(lambda: _cached(broker, "test.counter") == 0, "the broker to cache test.counter")
        # Flushes only when stopped: every value below is in the file because the signal flushed it.
        first = roc_archive(spawn, broker, path, "--flush", "1h")
        emit_seen(broker, updater, range(1, 21))
        time.sleep(0.5)  # the archive process reads the same stream the witness just read
        assert first.stop(stop_signal) == 0, first.output
        assert "stopped; 21 values recorded" in first.output, first.output
        emit_seen(broker, updater, range(21, 26))  # while nothing records: only 25 stays, in the cache
        second = roc_archive(spawn, broker, path)
        wait_until(lambda: 25 in [v for _, v in values(path, "test.counter")],
                   "the restarted archive to record the cached value from the snapshot")
        emit_seen(broker, updater, range(26, 41))
        wait_until(lambda: values(path, "test.counter")[-1][1] == 40, "the restarted archive to record 40")
        assert second.stop(stop_signal) == 0, second.output
    points = values(path, "test.counter")
    assert [v for _, v in points] == list(range(0, 21)) + list(range(25, 41))  # each exactly once
    assert [t for t, _ in points] == sorted(t for t, _ in points)


def _cached(broker, path: str):
    with StatusSubscription(path, broker.endpoints, timeout=5) as sub:
        sub.next()
        node = sub.tree
        for segment in path.split("."):
            node = node.get(segment, {}) if isinstance(node, dict) else {}
        return node


def test_values_cached_before_the_start_are_recorded_at_their_emit_time(broker, vnir_server, spawn,
                                                                        tmp_path):
    with connected_updater(broker) as updater:
        emitted = time.time()
        updater.emit("lab.pressure", 1013.25)
        wait_until(lambda: _cached(broker, "lab.pressure") == 1013.25, "the broker to cache lab.pressure")
        time.sleep(0.3)  # so the emit time and the recorder's start cannot be confused
        path = tmp_path / "a.sqlite"
        started = time.time()
        roc_archive(spawn, broker, path)
        wait_until(lambda: path.exists() and values(path, "lab.pressure"), "lab.pressure from the snapshot")
        wait_until(lambda: values(path, "vnir.temperature"), "vnir.temperature from the vnir-server")
    [(t, value)] = values(path, "lab.pressure")
    assert value == 1013.25 and emitted - 0.1 <= t < started


def test_hostile_publishers_cannot_stop_the_recorder_and_what_is_skipped_is_counted(broker, tmp_path):
    archive = Archive(tmp_path / "a.sqlite")
    recorder = Recorder(archive, broker.endpoints, flush_interval=0.05).start()
    wait_until(recorder.synced.is_set, "the recorder's snapshot")
    raw = _raw_publisher(broker)
    try:
        with connected_updater(broker) as updater:
            updater.emit("h.mixed", {"ok": 1, "yes": True, "text": "x", "list": [1.0, 2.0], "none": None})
            updater.emit("h.many", {f"v{i}": i for i in range(MAX_LEAVES + 5)})
            updater.emit("h.deep", _nested(MAX_DEPTH + 3))
            updater.emit("h." + "p" * (MAX_PATH_LENGTH + 10), 1)
            updater.emit("h.nan", math.nan)  # sent as the string "NaN"
            updater.emit("h.dotted", {"a.b": 1, "": 2})
            for body in (b"NaN", b"{not json", b"1e999", b"[" * 300 + b"]" * 300, b"\xff\xfe"):
                raw.send_multipart([b"status.h.raw", body, b"{\"emitted\": \"soon\"}"])
            raw.send_multipart([b"status.h.badstamp", b"7", b"not a stamp"])
            raw.send_multipart([b"status.h.future", b"8",
                                wire.dumps({"emitted": 1e300, "publisher": None})])
            updater.emit("h.sentinel", 42)
            wait_until(lambda: archive.query("h.sentinel", 0), "the sentinel after the hostile updates")
    finally:
        raw.close()
    assert recorder._thread.is_alive() and recorder.errors == 0
    assert [v for _, v in archive.query("h.mixed.ok", 0)] == [1.0]
    assert len([p for p in archive.paths("h.many.")]) == MAX_LEAVES
    assert archive.paths("h.deep") == [] and archive.paths("h.p") == [] and archive.paths("h.nan") == []
    assert archive.paths("h.dotted") == []
    assert [v for _, v in archive.query("h.badstamp", 0)] == [7.0]  # the broker stamps it itself
    [(t, _)] = archive.query("h.future", 0)  # a stamp centuries ahead: the arrival time instead
    assert abs(t - time.time()) < 60
    # yes, text, list, none (4) + the 5 over MAX_LEAVES + deep (1) + long path (1) + "NaN" (1) + 2 keys
    assert archive.skipped >= 4 + 5 + 1 + 1 + 1 + 2
    recorder.stop()
    assert recorder.recorded >= MAX_LEAVES + 3
    archive.close()


def _raw_publisher(broker) -> zmq.Socket:
    """An XPUB connected to the broker's XSUB, once the broker subscribed: what it sends arrives."""
    socket = zmq.Context.instance().socket(zmq.XPUB)
    socket.linger = 0
    socket.connect(broker.endpoints.publish)
    assert socket.poll(5000), "the broker never subscribed to a raw publisher"
    socket.recv()
    return socket
