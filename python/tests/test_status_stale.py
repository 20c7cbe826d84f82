"""Stale status across languages (idl/PROTOCOL.md §5.2-§5.5): stamps, stale flags when a
publisher's process is killed, snapshots that carry them, and deletion."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

from conftest import REPO, program, wait_until

from roc.status import StatusSource, StatusSubscription, StatusUpdater


def follow(sub: StatusSubscription, condition, what: str, timeout: float = 10.0) -> None:
    """Reads updates until `condition()` holds; fails saying `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}; sources: {sub.sources}")
        sub.next(0.05)


def synced(masks, broker) -> StatusSubscription:
    sub = StatusSubscription(masks, broker.endpoints, timeout=0.2)
    follow(sub, lambda: sub.synced, "the snapshot")
    return sub


def stale(sub: StatusSubscription, path: str) -> bool:
    source = sub.source(path)
    return source is not None and source.stale


def fresh(sub: StatusSubscription, path: str) -> bool:
    source = sub.source(path)
    return source is not None and not source.stale


def test_stale_subtree_is_flagged_after_its_cxx_publisher_is_killed(broker, spawn):
    with synced("lab", broker) as live:
        child = spawn([program("tests/roc_test_status_publisher"), broker.address, "lab.child"])
        follow(live, lambda: fresh(live, "lab.child.beat"), "the C++ publisher's update")
        source = live.source("lab.child")
        assert source.publisher.pid == child.popen.pid
        assert source.publisher.program == "roc_test_status_publisher"
        assert abs(source.emitted - time.time()) < 60

        notices = []
        child.kill()
        deadline = time.monotonic() + 5
        while not stale(live, "lab.child.beat") and time.monotonic() < deadline:
            update = live.next(0.05)
            if update and update.stale:
                notices.append(update)
        assert stale(live, "lab.child.beat")
        assert notices and notices[0].value == {} and notices[0].sources[0].stale
        assert live.tree["lab"]["child"] == {"beat": 0}  # the values stay, flagged

    with synced("lab.child", broker) as late:  # the snapshot carries the flag and the stamp
        assert stale(late, "lab.child.beat")
        assert late.source("lab.child").publisher.pid == source.publisher.pid
        assert late.tree == {"lab": {"child": {"beat": 0}}}

        with StatusUpdater(broker.endpoints, program="successor") as successor:
            successor.emit("lab.child", {"beat": 1})
            follow(late, lambda: fresh(late, "lab.child.beat"), "the flag to clear")
            assert late.source("lab.child").publisher.program == "successor"


def test_roc_status_flags_a_killed_python_publisher(broker, spawn):
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(REPO / "python")!r})
        from roc.status import StatusUpdater
        updater = StatusUpdater({broker.address!r}, program="py-worker")
        updater.emit("py.worker", {{"load": 0.1 + 0.2}})
        updater.flush(10)
        print("ready", flush=True)
        time.sleep(600)
    """)
    worker = spawn([sys.executable, "-c", script])
    worker.wait_for("ready")

    def roc_status(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([program("roc"), "--broker", broker.address, "status", *args],
                              capture_output=True, text=True, timeout=20)

    shown = roc_status("py")
    assert shown.returncode == 0
    assert "load: 0.3\n" in shown.stdout and "stale" not in shown.stdout
    worker.kill()
    wait_until(lambda: "(stale, last update" in roc_status("py").stdout, "roc status to flag py.worker")
    assert "  worker  (stale, last update" in roc_status("py").stdout

    with synced("py", broker) as sub:  # and the Python side reads what the C++ broker flagged
        assert stale(sub, "py.worker.load")
        assert sub.source("py.worker").publisher.program == "py-worker"


def test_python_updates_carry_their_stamp_and_deletion_forgets_the_sources(broker):
    with StatusUpdater(broker.endpoints, program="stamp-test") as updater, synced("lab", broker) as sub:
        before = time.time()
        updater.emit("lab.a", {"x": 1})
        updater.emit("lab.b", 2)
        follow(sub, lambda: "a" in sub.tree.get("lab", {}) and "b" in sub.tree.get("lab", {}), "both")
        source = sub.source("lab.a.x")
        assert isinstance(source, StatusSource)
        assert source.publisher.program == "stamp-test" and source.publisher.pid == os.getpid()
        assert before - 0.001 <= source.emitted <= time.time()
        assert source.publisher.describe().startswith("stamp-test on ")

        with StatusUpdater(broker.endpoints) as deleter:
            deleter.emit("lab.a", None)
            follow(sub, lambda: "a" not in sub.tree["lab"], "the deletion")
        assert "lab.a" not in sub.sources and "lab.b" in sub.sources
        with synced("lab", broker) as late:
            assert late.tree == {"lab": {"b": 2}}
            assert "lab.a" not in late.sources and fresh(late, "lab.b")


def test_a_python_publisher_claims_only_the_paths_it_emitted_at(broker):
    with synced("lab", broker) as live, StatusUpdater(broker.endpoints, program="stays") as stays:
        stays.emit("lab.stays", 1)
        # Emitted before its connection is up, so it reaches the broker in the republish (§5.4).
        leaves = StatusUpdater(broker.endpoints, program="leaves")
        leaves.emit("lab.leaves", {"x": 2})
        leaves.emit("lab.leaves.x", 3)  # under a path it emitted at: claims nothing more
        leaves.emit("lab.gone", 4)
        leaves.emit("lab.gone", None)  # deleted: not republished
        follow(live, lambda: live.tree.get("lab", {}).get("leaves") == {"x": 3} and fresh(live, "lab.stays"),
               "both publishers' values")
        leaves.close()
        follow(live, lambda: stale(live, "lab.leaves.x"), "the stale notice of the publisher that left")
        assert fresh(live, "lab.stays")
        assert "lab" not in live.sources and "gone" not in live.tree["lab"]
        with synced("lab", broker) as late:
            assert "lab" not in late.sources
            assert fresh(late, "lab.stays") and stale(late, "lab.leaves")


def test_the_default_program_name_is_the_one_logs_and_servers_give(tmp_path):
    script = tmp_path / "stage_control.py"
    script.write_text("import roc\nfrom roc.logs import program_name\n"
                      "with roc.StatusUpdater('127.0.0.1:1') as u:\n    print(u.publisher.program, program_name())\n")
    env = {**os.environ, "PYTHONPATH": str(REPO / "python")}
    by_file = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=20)
    by_c = subprocess.run([sys.executable, "-c", script.read_text()], capture_output=True, text=True, env=env,
                          timeout=20)
    assert by_file.stdout.split() == ["stage_control", "stage_control"], by_file.stderr
    assert by_c.stdout.split() == ["python", "python"], by_c.stderr
