"""`roc history` (and the command-line surface of `roc archive`), run as a user runs them:
`python3 -m roc.console ...` in a child process, against archives written here or by a live
`roc archive`."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from datetime import datetime

import pytest

from conftest import REPO, wait_until
import roc
from roc.archive import Archive

ENV = dict(os.environ, PYTHONPATH=str(REPO / "python"))


def run(*args: str, env=None, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "roc.console", *args], env=env or ENV,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def archive_file(tmp_path):
    """An archive with `cam.temperature` every second for the last 10 minutes (20.0, 20.5, ...,
    with 99 at 5 minutes ago) and `cam.frames` once, 2 hours ago."""
    path = tmp_path / "a.sqlite"
    now = time.time()
    with Archive(path) as archive:
        for i in range(600):
            archive.add("cam.temperature", now - 600 + i, 99.0 if i == 300 else 20 + (i % 2) / 2)
        archive.add("cam.frames", now - 7200, 12.0)
    return path


def test_history_prints_a_table_of_local_times_and_values(archive_file):
    out = run("history", "cam.temperature", "--since", "2m", "--archive", str(archive_file))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].split() == ["TIME", "VALUE"]
    assert 110 <= len(lines) - 1 <= 121  # two minutes at 1 Hz (less the seconds the command took to start)
    when, value = lines[1].split()
    assert datetime.fromisoformat(when).utcoffset() is not None  # local time, with its offset
    assert abs(datetime.fromisoformat(when).timestamp() - (time.time() - 120)) < 30
    assert value in ("20", "20.5")  # an integer value reads as one


def test_history_json_is_an_array_of_unix_times_and_values(archive_file):
    out = run("history", "cam.temperature", "--since", "11m", "--json", "--archive", str(archive_file))
    assert out.returncode == 0, out.stderr
    points = json.loads(out.stdout)
    assert len(points) == 600 and set(points[0]) == {"t", "value"}
    assert [p["t"] for p in points] == sorted(p["t"] for p in points)
    assert max(p["value"] for p in points) == 99.0


def test_history_csv_has_the_header_time_value(archive_file):
    out = run("history", "cam.temperature", "--since", "1m", "--csv", "--archive", str(archive_file))
    assert out.returncode == 0, out.stderr
    rows = list(csv.reader(io.StringIO(out.stdout)))
    assert rows[0] == ["time", "value"] and 50 <= len(rows) - 1 <= 61
    assert all(datetime.fromisoformat(t) and float(v) in (20.0, 20.5) for t, v in rows[1:])


def test_history_reads_unix_and_iso_times_and_until(archive_file):
    now = time.time()
    since, until = now - 400.5, now - 200.5
    iso = datetime.fromtimestamp(since).astimezone().isoformat()
    for since_text in (f"{since:.3f}", iso):
        out = run("history", "cam.temperature", "--since", since_text, "--until", f"{until:.3f}",
                  "--json", "--archive", str(archive_file))
        assert out.returncode == 0, out.stderr
        points = json.loads(out.stdout)
        assert len(points) == 200 and since <= points[0]["t"] and points[-1]["t"] <= until
    # The default range is the last hour: cam.frames, 2 hours old, is not in it.
    assert run("history", "cam.frames", "--archive", str(archive_file)).returncode == 4
    assert run("history", "cam.frames", "--since", "3h", "--archive", str(archive_file)).returncode == 0


def test_history_points_downsamples_and_keeps_the_extremes(archive_file):
    out = run("history", "cam.temperature", "--since", "11m", "--points", "20", "--json",
              "--archive", str(archive_file))
    assert out.returncode == 0, out.stderr
    points = json.loads(out.stdout)
    assert len(points) <= 20
    assert {p["value"] for p in points} == {20.0, 20.5, 99.0}


def test_history_uses_roc_archive_from_the_environment(archive_file):
    out = run("history", "cam.frames", "--since", "3h", "--json", env=dict(ENV, ROC_ARCHIVE=str(archive_file)))
    assert out.returncode == 0, out.stderr
    assert [p["value"] for p in json.loads(out.stdout)] == [12.0]


def test_history_exits_4_with_one_line_when_there_is_nothing_to_show(archive_file, tmp_path):
    out = run("history", "cam.nothing", "--since", "1d", "--archive", str(archive_file))
    assert out.returncode == 4 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and "no values of 'cam.nothing'" in out.stderr
    out = run("history", "cam", "--archive", str(archive_file))  # a subtree: its leaves are named
    assert out.returncode == 4 and "cam.frames, cam.temperature" in out.stderr
    missing = tmp_path / "missing.sqlite"
    out = run("history", "cam.temperature", "--archive", str(missing))
    assert out.returncode == 4 and out.stderr.count("\n") == 1 and f"no archive at {missing}" in out.stderr
    assert not missing.exists()


def test_history_exits_1_for_a_file_that_is_not_an_archive(tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_text("not a database\n" * 100)
    out = run("history", "x", "--archive", str(junk))
    assert out.returncode == 1 and out.stderr.count("\n") == 1 and "is not a roc archive" in out.stderr


@pytest.mark.parametrize("args", [
    ["history"],                                        # no PATH
    ["history", "x", "--since", "yesterday"],
    ["history", "x", "--until", "5 parsecs"],
    ["history", "x", "--json", "--csv"],
    ["history", "x", "--points", "1"],
    ["history", "x", "--bogus"],
    ["archive", "--retention", "0"],
    ["archive", "--retention", "soon"],
    ["archive", "--flush", "0"],
    ["archive", "--broker", "tcp://"],
    ["archive", "--mask", "a..b"],
])
def test_usage_errors_exit_2_with_a_message(args, tmp_path):
    out = run(*args, "--archive", str(tmp_path / "a.sqlite"), timeout=20)
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert out.stderr.strip() and "Traceback" not in out.stderr


@pytest.mark.parametrize("command", ["history", "archive"])
def test_help_and_version(command):
    out = run(command, "--help")
    assert out.returncode == 0 and f"usage: roc {command}" in out.stdout and "--archive" in out.stdout
    out = run(command, "--version")
    assert out.returncode == 0 and out.stdout.strip() == f"roc {command} {roc.__version__}"


def test_history_reads_what_a_running_roc_archive_records_from_the_vnir_server(broker, vnir_server, spawn,
                                                                               tmp_path):
    path = tmp_path / "a.sqlite"
    recorder = spawn([sys.executable, "-m", "roc.console", "archive", "--broker", broker.address,
                      "--archive", str(path), "--retention", "1d", "--mask", "vnir"], env=ENV)
    line = recorder.wait_for(r"^roc archive: recording vnir from ")
    assert str(path) in line.string and "(retention 1d)" in line.string

    def temperatures():
        out = run("history", "vnir.temperature", "--json", "--archive", str(path))
        return json.loads(out.stdout) if out.returncode == 0 else []

    wait_until(lambda: len(temperatures()) >= 3, "three vnir.temperature values through roc history")
    out = run("history", "vnir.frames", "--csv", "--archive", str(path))
    assert out.returncode == 0 and out.stdout.startswith("time,value\n"), out.stderr
    assert recorder.stop() == 0
    assert "stopped;" in recorder.output
