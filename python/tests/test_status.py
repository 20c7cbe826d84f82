"""Status through a real broker (PROTOCOL §5.2–§5.4): C++ status read by Python, Python status
read by the C++ `roc status`, the snapshot without gap or duplicate, masks by whole segments,
null deletes, empty updates on timeout, republishing to a restarted broker, hostile updates."""
from __future__ import annotations

import collections
import dataclasses
import json
import random
import subprocess
import sys
import threading
from pathlib import Path
import time
from typing import List

import pytest
import zmq

import roc
from conftest import program, wait_until

ROOT = Path(__file__).resolve().parents[1]  # python/, where `import roc` finds this checkout
from roc.status import (EMPTY, RocStatusUpdater, StatusPublisher, StatusSource, StatusSubscription, StatusUpdate,
                        StatusUpdater, _Below, _EmittedAt, merge_at, path_matches, record_source, split_path,
                        statusUpdateIterator)


def next_update(sub: StatusSubscription, timeout: float = 5.0) -> StatusUpdate:
    """The next non-empty update; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        u = sub.next(0.1)
        if u:
            return u
        if time.monotonic() > deadline:
            pytest.fail(f"no update within {timeout} s (tree {sub.tree})")


def synced(masks, broker, **kw) -> StatusSubscription:
    """A subscription whose snapshot has arrived: from then on, it gets every update."""
    sub = StatusSubscription(masks, broker.endpoints, **kw)
    first = next_update(sub)
    assert first.snapshot and first.path == "" and isinstance(first.seq, int)
    return sub


def connected(broker) -> StatusUpdater:
    """An updater the broker has connected to: its first emits are not preceded by the republish
    a (re)connecting broker gets (§5.4), so a test sees exactly what it emits."""
    updater = StatusUpdater(broker.endpoints)
    assert updater.flush(5)
    return updater


def wait_tree(sub: StatusSubscription, expected: dict, timeout: float = 10.0) -> None:
    """Reads updates until the subscription's tree is `expected`."""
    deadline = time.monotonic() + timeout
    while sub.tree != expected:
        if time.monotonic() > deadline:
            pytest.fail(f"the tree is {sub.tree}, not {expected}, after {timeout} s")
        sub.next(0.1)


def roc_status(broker, *masks) -> dict:
    out = subprocess.run([program("roc"), "--broker", broker.address, "--json", "status", *masks],
                         capture_output=True, text=True, timeout=20)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


# --- paths and masks -------------------------------------------------------------------------

@pytest.mark.parametrize("bad", ["", "a..b", ".a", "a."])
def test_emit_refuses_a_malformed_path_clearly(broker, bad):
    with StatusUpdater(broker.endpoints) as updater:
        with pytest.raises(ValueError, match="empty"):
            updater.emit(bad, 1)


def test_emit_refuses_values_that_are_not_json_or_too_deep(broker):
    with StatusUpdater(broker.endpoints) as updater:
        with pytest.raises(TypeError):
            updater.emit("a", object())
        with pytest.raises(ValueError, match="256"):
            updater.emit("a.b", json.loads("[" * 255 + "]" * 255))
        updater.emit("a", json.loads("[" * 255 + "]" * 255))  # 1 segment + 255 levels: fine
        assert updater.tree["a"] == json.loads("[" * 255 + "]" * 255)


def test_a_malformed_mask_is_refused(broker):
    with pytest.raises(ValueError, match="empty segment"):
        StatusSubscription(["system", "a..b"], broker.endpoints)


def test_masks_match_whole_segments():
    assert path_matches("system.foo", "system.foo.cpu")
    assert path_matches("system.foo", "system")
    assert not path_matches("system.foo", "system.foobar")
    assert path_matches("", "anything")


# --- C++ ↔ Python ------------------------------------------------------------------------------

def test_cxx_status_is_read_by_python_snapshot_then_live(broker, vnir_server):
    # vnir-server emits `vnir` → {"temperature", "frames"} every second.
    with synced("vnir", broker, timeout=0.5) as early:
        live = next_update(early, 5)
        assert live.path == "vnir" and isinstance(live.seq, int)
        assert isinstance(live.value["temperature"], (int, float))
        assert isinstance(live.value["frames"], int)
        assert early.tree == {"vnir": live.value}
    # A late joiner's snapshot holds the values already: no wait for the next emit.
    with StatusSubscription(["vnir.temperature"], broker.endpoints, timeout=0.5) as late:
        snap = next_update(late)
        assert snap.snapshot and set(snap.value) == {"vnir"}
        assert set(snap.value["vnir"]) == {"temperature"}  # cut to the mask, with its ancestor
        assert snap.seq >= live.seq
        after = next_update(late, 5)
        assert after.path == "vnir" and set(after.value) == {"temperature"}
        assert after.seq > snap.seq


def test_python_status_is_read_by_roc_status_with_masks(broker):
    with StatusUpdater(broker.endpoints) as updater, synced("", broker) as sub:
        updater.emit("lab.stage", {"x": 1.5, "moving": False})
        updater.emit("lab.temp", 21)
        updater.emit("labx", "not under lab")
        updater.emit("system", {"foo": {"cpu": 0.3}, "foobar": {"cpu": 0.9}})
        wait_tree(sub, updater.tree)
        assert roc_status(broker, "lab.stage") == {"lab": {"stage": {"x": 1.5, "moving": False}}}
        assert roc_status(broker, "lab") == {"lab": {"stage": {"x": 1.5, "moving": False}, "temp": 21}}
        assert roc_status(broker, "system.foo", "labx") == {"system": {"foo": {"cpu": 0.3}},
                                                              "labx": "not under lab"}
        assert roc_status(broker) == updater.tree


# --- semantics -------------------------------------------------------------------------------------

def test_a_mask_takes_whole_segments_and_cuts_updates_above_it(broker):
    with connected(broker) as updater, synced(["system.foo", "other.x"], broker) as sub:
        updater.emit("system.foobar", {"cpu": 0.9})                 # never: another segment
        updater.emit("system.foo", {"cpu": 0.3})                    # at the mask
        updater.emit("system.foo.disk", {"free": 120})              # below the mask
        updater.emit("system", {"foo": {"mem": 2}, "bar": 3})       # above: cut to foo
        updater.emit("system", {"bar": 4})                          # above, nothing of foo: never
        updater.emit("other", {"x": 1, "y": 2})                     # the second mask
        got = [next_update(sub) for _ in range(4)]
        assert sub.next(0.3) == EMPTY
    assert [(u.path, u.value) for u in got] == [
        ("system.foo", {"cpu": 0.3}),
        ("system.foo.disk", {"free": 120}),
        ("system", {"foo": {"mem": 2}}),
        ("other", {"x": 1}),
    ]
    assert sub.tree == {"system": {"foo": {"cpu": 0.3, "mem": 2, "disk": {"free": 120}}},
                        "other": {"x": 1}}
    assert [u.seq for u in got] == sorted(u.seq for u in got)


def test_null_deletes_members_in_every_tree(broker):
    with connected(broker) as updater, synced("a", broker) as sub:
        updater.emit("a.b", {"x": 1, "y": 2, "z": {"deep": True}})
        updater.emit("a.b", {"x": None, "z": None})
        updater.emit("a.c", 5)
        updater.emit("a.c", None)
        updater.emit("a", {"gone": None, "kept": [1, None]})
        got = [next_update(sub) for _ in range(5)]
    assert got[3] == StatusUpdate("a.c", None, got[3].seq) and got[3]  # a deletion is an update
    expected = {"a": {"b": {"y": 2}, "kept": [1, None]}}  # null inside an array is a value
    assert sub.tree == expected and updater.tree == expected
    assert roc_status(broker, "a") == expected


def test_nothing_within_the_timeout_yields_the_empty_update(broker):
    with StatusSubscription("quiet", broker.endpoints, timeout=0.3) as sub:
        iterator = iter(sub)
        snapshot = next(iterator)
        assert snapshot.snapshot and snapshot.value == {}
        start = time.monotonic()
        empty = next(iterator)
        elapsed = time.monotonic() - start
    assert empty == StatusUpdate("", None, None) and not empty and empty.empty
    assert 0.25 <= elapsed < 1.5


def test_a_late_joiner_gets_every_value_once_in_order_under_a_stream(broker):
    total = 20000
    emitted = [0]
    with StatusUpdater(broker.endpoints) as updater:
        def stream():
            for i in range(total):
                updater.emit("counter", {"n": i})
                emitted[0] = i + 1
                if i % 200 == 0:
                    time.sleep(0.005)  # let the broker interleave with the joiner

        writer = threading.Thread(target=stream)
        writer.start()
        wait_until(lambda: emitted[0] >= 3000, "the stream to be under way")
        with StatusSubscription("counter", broker.endpoints, timeout=5.0) as sub:
            snapshot = next_update(sub)
            assert snapshot.snapshot
            start = snapshot.value.get("counter", {}).get("n", -1)
            values, seqs = [], [snapshot.seq]
            while (values[-1] if values else start) < total - 1:
                u = next_update(sub, 20)
                values.append(u.value["n"])
                seqs.append(u.seq)
            writer.join(30)
            assert updater.dropped == 0
        assert 0 < start < total - 1, "the joiner came mid-stream"
        assert values == list(range(start + 1, total)), "a gap or a duplicate after the snapshot"
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "one publisher: dense numbers"
        assert sub.tree == {"counter": {"n": total - 1}}


def test_a_restarted_broker_gets_the_tree_again_without_a_new_emit(broker):
    with StatusUpdater(broker.endpoints) as updater:
        updater.emit("lab.stage", {"x": 1.5})
        updater.emit("lab.temp", 21)
        updater.emit("system", {"cpu": 0.3})
        with synced("lab", broker) as sub:
            while sub.tree != {"lab": {"stage": {"x": 1.5}, "temp": 21}}:
                next_update(sub)
        broker.restart()
        # The new broker's cache starts empty; the updater republishes when it connects.
        deadline = time.monotonic() + 10
        while True:
            with StatusSubscription("", broker.endpoints, timeout=1.0) as sub:
                snapshot = sub.next(2.0)
                if snapshot.snapshot and snapshot.value == updater.tree:
                    break
            assert time.monotonic() < deadline, f"after the restart the broker has {snapshot}"
        assert snapshot.value == {"lab": {"stage": {"x": 1.5}, "temp": 21}, "system": {"cpu": 0.3}}


def test_updates_emitted_before_any_broker_are_delivered_when_it_comes():
    from conftest import Broker, free_base_port
    port = free_base_port()  # nothing listens there yet: port, port+1, port+2 are the broker's
    with StatusUpdater(f"127.0.0.1:{port}") as updater:
        updater.emit("early", {"bird": True})
        assert not updater.flush(0.3)  # no broker: not delivered
        late = Broker(port=port)
        try:
            assert updater.flush(5)
            with StatusSubscription("early", late.endpoints, timeout=1.0) as sub:
                wait_until(lambda: sub.next(0.5) and sub.tree == {"early": {"bird": True}},
                           "the early update in the new broker's snapshot")
        finally:
            late.stop()


# --- hostile peers: a fake broker on a raw XPUB -------------------------------------------------

class FakeBroker:
    """A raw XPUB where a subscription's broker port would be: it sees the subscriptions and
    sends whatever a test wants, as a broken or hostile broker could."""

    def __init__(self, ctx: zmq.Context) -> None:
        self.socket = ctx.socket(zmq.XPUB)
        self.socket.linger = 0
        self.socket.setsockopt(zmq.XPUB_VERBOSE, 1)
        port = self.socket.bind_to_random_port("tcp://127.0.0.1", min_port=20000, max_port=60000)
        self.endpoints = roc.Endpoints(f"127.0.0.1:{port - 2}")  # its subscribe port is `port`
        self.seen = []

    def requests(self):
        while self.socket.poll(10):
            self.seen.append(self.socket.recv())
        return [s[1:] for s in self.seen if s.startswith(b"\x01roc.snapshot.")]

    def wait_request(self, count: int = 1) -> bytes:
        wait_until(lambda: len(self.requests()) >= count, f"snapshot request {count}")
        return self.requests()[count - 1]


def test_hostile_updates_are_dropped_and_counted_not_fatal():
    with zmq.Context() as ctx:
        fake = FakeBroker(ctx)
        with StatusSubscription("lab", fake.endpoints, timeout=0.2, ctx=ctx) as sub:
            request = fake.wait_request()
            assert request.endswith(b' ["lab"]')
            assert b"\x01status.lab" in fake.seen  # the mask's prefix came before the request
            fake.socket.send_multipart([request, b'{"lab":{"ok":0}}', b"7"])
            bad = [
                [b"status.lab", b"not json"],
                [b"status.lab", b"[" * 100000 + b"]" * 100000],
                [b"status.lab", b"[" * 256 + b"]" * 256],             # 1 segment + 256 levels
                [b"status.lab.x", b'{"v":NaN}'],                       # not strict JSON
                [b"status.lab", b'"' + b"x" * (1 << 20) + b'"'],       # over 1 MiB
                [b"status.lab..x", b"1"],                              # empty segment
                [b"status.lab.\xff", b"1"],                            # not UTF-8
                [b"status.lab", b"\xff"],                              # not UTF-8
            ]
            for frames in bad:
                fake.socket.send_multipart(frames + [b"8"])
            fake.socket.send_multipart([b"status.lab"])                          # ignored
            fake.socket.send_multipart([b"status.labrador", b"1", b"9"])         # not ours
            fake.socket.send_multipart([b"status.lab.deep", b"[" * 254 + b"]" * 254, b"10"])
            fake.socket.send_multipart([b"status.lab.ok", b"1", b"not a number", b"more"])
            got = [next_update(sub) for _ in range(3)]
            assert sub.next(0.3) == EMPTY
            assert sub.dropped == len(bad)
    assert got[0] == StatusUpdate("", {"lab": {"ok": 0}}, 7)
    assert got[1].path == "lab.deep" and got[1].seq == 10
    assert got[2] == StatusUpdate("lab.ok", 1, None)  # a seq that is not a number is unknown
    assert sub.tree["lab"]["ok"] == 1


def test_updates_before_the_snapshot_are_held_and_older_ones_dropped():
    with zmq.Context() as ctx:
        fake = FakeBroker(ctx)
        with StatusSubscription("", fake.endpoints, timeout=0.2, ctx=ctx) as sub:
            request = fake.wait_request()
            assert request.endswith(b" [\"\"]")
            # Live updates racing the request: 4 and 5 are in the snapshot, 6 is not.
            for seq in (4, 5, 6):
                fake.socket.send_multipart([b"status.n", str(seq).encode(), str(seq).encode()])
            fake.socket.send_multipart([request, b'{"n":5}', b"5"])
            fake.socket.send_multipart([b"status.n", b"7", b"7"])
            got = [next_update(sub) for _ in range(3)]
    assert got == [StatusUpdate("", {"n": 5}, 5), StatusUpdate("n", 6, 6), StatusUpdate("n", 7, 7)]


def test_an_unanswered_request_is_retried_with_a_fresh_token():
    with zmq.Context() as ctx:
        fake = FakeBroker(ctx)
        with StatusSubscription("lab", fake.endpoints, timeout=0.2, ctx=ctx) as sub:
            first = fake.wait_request()
            start = time.monotonic()
            while len(fake.requests()) < 2:
                assert sub.next() == EMPTY and time.monotonic() - start < 3
            second = fake.requests()[1]
            assert second != first and second.endswith(b' ["lab"]')
            assert 0.8 < time.monotonic() - start < 2.5
            assert b"\x00" + first in fake.seen  # the old one was withdrawn
            fake.socket.send_multipart([first, b'{"lab":{"stale":1}}', b"1"])  # too late: ignored
            fake.socket.send_multipart([second, b'{"lab":{"v":1}}', b"3"])
            assert next_update(sub) == StatusUpdate("", {"lab": {"v": 1}}, 3)
            assert sub.synced


def test_without_an_answer_live_updates_flow_after_ten_seconds():
    with zmq.Context() as ctx:
        fake = FakeBroker(ctx)  # a broker without a status cache
        with StatusSubscription("lab", fake.endpoints, timeout=0.5, ctx=ctx) as sub:
            fake.wait_request()
            fake.socket.send_multipart([b"status.lab.a", b"1", b"1"])
            start = time.monotonic()
            u = next_update(sub, 15)
            assert 9 < time.monotonic() - start < 12 and sub.synced
    assert u == StatusUpdate("lab.a", 1, 1) and sub.tree == {"lab": {"a": 1}}


# --- the original ROC's names ----------------------------------------------------------------------

def test_the_original_names_emit_and_iterate(broker):
    ep = roc.Endpoints(broker.address)
    updater = RocStatusUpdater(ep.generalXSUB)  # the XSUB endpoint, as the original passed it
    try:
        updater.emit("cam.temp", 20.5)
        updater.emit("cam.mode", "idle")
        updater.emit("stage", {"x": 1})
        with synced("", broker) as sub:
            wait_tree(sub, updater.tree)  # the broker has them: they come in the snapshot
        pairs = statusUpdateIterator(ep.generalXPUB, ["cam", "stage"], timeout=0.3)
        # The current values first: one pair per mask, as emit(sensorId, data) would send them.
        assert [next(pairs), next(pairs)] == [("cam", {"temp": 20.5, "mode": "idle"}),
                                              ("stage", {"x": 1})]
        updater.emit("cam.temp", 21.0)
        got = []
        wait_until(lambda: got.append(next(pairs)) or ("cam.temp", 21.0) in got, "a live update")
        assert set(got) <= {(None, None), ("cam.temp", 21.0)}
        assert next(pairs) == (None, None)  # nothing more within the timeout
        pairs.close()
        everything = statusUpdateIterator(ep.generalXPUB, timeout=0.3)
        assert sorted([next(everything), next(everything)]) == [
            ("cam", {"temp": 21.0, "mode": "idle"}), ("stage", {"x": 1})]
        everything.close()
    finally:
        updater.close()


def test_a_script_that_exits_without_closing_still_delivers(broker):
    script = ("import sys; sys.path.insert(0, sys.argv[2]); import roc\n"
              "roc.StatusUpdater(sys.argv[1]).emit('atexit', {'ok': True})\n")
    done = subprocess.run([sys.executable, "-c", script, broker.address, str(ROOT)],
                          capture_output=True, text=True, timeout=20)
    assert done.returncode == 0, done.stderr
    assert roc_status(broker, "atexit") == {"atexit": {"ok": True}}


def test_status_and_logs_travel_over_curve(make_broker, tmp_path, spawn):
    for name in ("broker", "me"):
        made = subprocess.run([program("roc"), "keygen", str(tmp_path / name)], capture_output=True,
                              text=True, timeout=20)
        assert made.returncode == 0, made.stderr
    broker = make_broker(["--cert", str(tmp_path / "broker.key_secret")])
    secure = roc.Endpoints(broker.address, cert=str(tmp_path / "me.key_secret"),
                           broker_cert=str(tmp_path / "broker.key"))
    with StatusUpdater(secure) as updater:
        updater.emit("vault", {"door": "closed"})
        assert updater.flush(5)
        with StatusSubscription("vault", secure, timeout=1.0) as sub:
            wait_tree(sub, {"vault": {"door": "closed"}})
        # A plaintext peer gets nothing from a CURVE broker: no snapshot, no update.
        with StatusSubscription("vault", broker.address, timeout=0.5) as plain:
            assert plain.next() == EMPTY and not plain.synced
    import logging
    from roc.logs import LogHandler
    log = logging.getLogger("roc-test.curve")
    log.propagate = False
    handler = LogHandler("secure-node", secure)
    log.addHandler(handler)
    try:
        viewer = spawn([program("roc"), "--broker", broker.address, "--broker-cert",
                        str(tmp_path / "broker.key"), "--timeout", "20", "logs", "--node", "secure-node"])
        deadline = time.monotonic() + 10
        while not any("sealed" in line for line in viewer.lines):
            assert time.monotonic() < deadline, viewer.output
            log.warning("sealed")
            time.sleep(0.05)
    finally:
        log.removeHandler(handler)
        handler.close()


def test_connected_follows_the_broker(broker):
    with StatusSubscription("", broker.endpoints, timeout=0.1) as sub:
        wait_until(lambda: sub.connected, "the handshake with the broker")
        broker.stop()
        wait_until(lambda: not sub.connected, "the lost connection to be noticed")
        broker.start()
        wait_until(lambda: sub.connected, "ZeroMQ to reconnect")
    with zmq.Context() as ctx:
        probe = ctx.socket(zmq.REP)
        port = probe.bind_to_random_port("tcp://127.0.0.1")
        probe.close()
        with StatusSubscription("", f"127.0.0.1:{port - 2}", timeout=0.1, ctx=ctx) as nobody:
            assert nobody.next() == EMPTY
            time.sleep(0.3)
            assert not nobody.connected


def test_an_updater_republishes_at_the_outermost_paths_it_emitted_at_in_its_trees_order():
    tree: dict = {}
    emitted_at = _EmittedAt()

    def emit(path: str, value=0) -> List[str]:
        merge_at(tree, split_path(path), value)
        emitted_at.note(split_path(path), value is None)
        return [".".join(p) + "=" + json.dumps(v) for p, v in emitted_at.values_in(tree)]

    assert emit("lab.z.x") == ["lab.z.x=0"]
    assert emit("lab.z.x.deeper", 1) == ["lab.z.x={\"deeper\": 1}"]  # under it: nothing more
    assert emit("lab.b") == ["lab.z.x={\"deeper\": 1}", "lab.b=0"]    # in the tree's order
    assert emit("lab.z", {"y": 2}) == ["lab.z={\"x\": {\"deeper\": 1}, \"y\": 2}", "lab.b=0"]  # above
    assert emit("lab.z.y", None) == ["lab.z={\"x\": {\"deeper\": 1}}", "lab.b=0"]  # deleted under it
    assert emit("lab.z", None) == ["lab.b=0"]
    assert emit("other.c.d") == ["lab.b=0", "other.c.d=0"]
    assert emit("other.c.d", None) == ["lab.b=0"]
    assert list(emitted_at._root) == ["lab"]                # nothing is kept that led only to it
    assert emit("lab", None) == []


_ABSENT_MARK = object()


def test_sources_follow_the_rules_of_the_cxx_tree_for_any_sequence_of_updates():
    # The plain reading of StatusTree::merge_written (every source looked at, every update) as the
    # reference for record_source, which looks below a path only where its counts say sources are.
    def reference(sources, path, value, source):
        key = ".".join(path)
        sources.pop(key, None)
        prefix = key + "." if key else ""
        for other in [p for p in sources if p.startswith(prefix)]:
            node = value
            for segment in split_path(other[len(prefix):]):
                if not isinstance(node, dict):
                    break
                if segment not in node:
                    node = _ABSENT_MARK
                    break
                node = node[segment]
            if node is not _ABSENT_MARK:
                del sources[other]
        if source is not None and value is not None:
            sources[key] = dataclasses.replace(source, path=key, stale=False)

    rng = random.Random(11)
    names = ["a", "b", "c"]
    fast, slow, below = {}, {}, _Below()
    for step in range(5000):
        path = [rng.choice(names) for _ in range(rng.randint(0, 3))]
        value = rng.choice([None, 1, {}, {"a": 2}, {"b": {"c": 3}}, {"a": None}])
        source = StatusSource("", StatusPublisher("p", "h", step), float(step)) if rng.random() < 0.9 else None
        record_source(fast, below, path, value, source)
        reference(slow, path, value, source)
        assert fast == slow, f"step {step}: an update at {path!r} of {value!r}"
        expected = collections.Counter(".".join(split_path(key)[:n]) for key in fast if key
                                       for n in range(len(split_path(key))))
        assert below.counts == dict(expected), f"step {step}"
