"""The worker side of 7/MDP against a fake broker (a bare ROUTER), which can do what a real broker
never does: refuse every READY, stay silent, send malformed frames, ignore the credit."""
import json
import os
import sys
import time

import pytest

import roc
from roc import wire
from conftest import REPO, FakeRouter

sys.path.insert(0, str(REPO / "python" / "examples"))
from stage_server import Stage  # noqa: E402


class FakeBroker(FakeRouter):
    """The broker as a worker sees it."""

    def receive(self, timeout: float = 5.0):
        """(identity, command, rest) of the next worker message."""
        assert self.socket.poll(int(timeout * 1000)), f"nothing from the worker within {timeout} s"
        frames = self.socket.recv_multipart()
        assert frames[1:3] == [b"", wire.MDPW], frames
        return frames[0], frames[3], frames[4:]

    def expect(self, command: bytes, timeout: float = 5.0):
        """The next message with `command`, skipping heartbeats."""
        deadline = time.monotonic() + timeout
        while True:
            identity, got, rest = self.receive(max(0.01, deadline - time.monotonic()))
            if got == command:
                return identity, rest
            assert got == wire.HEARTBEAT, (got, rest)

    def send(self, identity: bytes, *frames) -> None:
        self.socket.send_multipart([identity, b"", wire.MDPW, *frames])

    def request(self, identity: bytes, body, *, header=None, client=b"client-1") -> None:
        frames = [wire.REQUEST, client, b""]
        if header is not None:
            frames.append(header)
        frames.append(body if isinstance(body, bytes) else json.dumps(body).encode())
        self.send(identity, *frames)



@pytest.fixture
def fake():
    with FakeBroker() as broker:
        yield broker


@pytest.fixture
def served(fake):
    stage = Stage()
    server = roc.Server(fake.address, heartbeat=0.1).publish("stage", stage).start()
    yield stage
    server.stop()


def ping(fake, identity, id_=1):
    fake.request(identity, {"jsonrpc": "2.0", "id": id_, "method": "rpc.ping"})
    _, rest = fake.expect(wire.REPLY)
    return json.loads(rest[2])


def test_ready_carries_the_credit_and_the_features(fake, served):
    identity, rest = fake.expect(wire.READY)
    assert rest[:3] == [b"stage", b"16", b"attachments cancel progress"]
    assert json.loads(rest[3])["pid"] == os.getpid()  # and who it is (§2.3 worker info)
    fake.request(identity, {"jsonrpc": "2.0", "id": 5, "method": "move", "params": [2]}, client=b"\x00abc")
    _, rest = fake.expect(wire.REPLY)
    assert rest[:2] == [b"\x00abc", b""]  # the client address copied unchanged
    assert json.loads(rest[2]) == {"jsonrpc": "2.0", "id": 5, "result": 2.0}


def test_heartbeats_go_on_while_a_long_call_runs(fake, served):
    identity, _ = fake.expect(wire.READY)
    fake.request(identity, {"jsonrpc": "2.0", "id": 1, "method": "settle", "params": [1.0]})
    heartbeats = 0
    while True:
        fake.send(identity, wire.HEARTBEAT)
        _, command, rest = fake.receive()
        if command == wire.REPLY:
            break
        heartbeats += command == wire.HEARTBEAT
    assert heartbeats >= 4  # every 100 ms during one second (slack for a loaded machine)
    assert json.loads(rest[2])["result"] == "settled"


@pytest.mark.parametrize("frames", [
    [b"JUNK"],                                   # not MDPW at all (sent raw below)
    [wire.REQUEST],                              # no client, delimiter, body
    [wire.REQUEST, b"c", b"x", b"{}"],           # no empty delimiter
    [wire.REQUEST, b"c", b""],                   # no body
    [b"\x09"],                                   # unknown command
    [wire.READY, b"stage"],                      # a command the broker never sends
])
def test_malformed_messages_from_the_broker_are_dropped_and_the_worker_keeps_serving(fake, served, frames):
    identity, _ = fake.expect(wire.READY)
    if frames == [b"JUNK"]:
        fake.socket.send_multipart([identity, b"JUNK", b"\x02"])
    else:
        fake.send(identity, *frames)
    assert ping(fake, identity)["result"] == "pong"


def test_a_bad_call_header_is_still_answered_so_the_credit_comes_back(fake, served):
    identity, _ = fake.expect(wire.READY)
    fake.request(identity, {"jsonrpc": "2.0", "id": 1, "method": "rpc.ping"}, header=b"roc/1 timeout-ms=soon")
    _, rest = fake.expect(wire.REPLY)
    assert json.loads(rest[2])["error"]["code"] == -32600
    assert ping(fake, identity)["result"] == "pong"


def test_unknown_header_keys_are_ignored_and_attach_is_honoured(fake, served):
    identity, _ = fake.expect(wire.READY)
    fake.request(identity, {"jsonrpc": "2.0", "id": 1, "method": "scan", "params": [4000]},
                 header=b"roc/1 timeout-ms=5000 attach=1 future=yes")
    _, rest = fake.expect(wire.REPLY)
    assert len(rest) == 4 and len(rest[3]) == 8000  # body + one attachment of 4000 uint16


def test_a_flood_beyond_the_credit_is_served_in_order_without_loss(fake, served):
    identity, _ = fake.expect(wire.READY)
    for i in range(200):  # a broker that ignores the credit
        fake.request(identity, {"jsonrpc": "2.0", "id": i, "method": "scan", "params": [1, i]})
    ids = []
    while len(ids) < 200:
        _, rest = fake.expect(wire.REPLY, timeout=10)
        ids.append(json.loads(rest[2])["id"])
    assert ids == list(range(200))


def test_a_refused_ready_is_retried_after_pauses_doubling_from_one_second(fake, served):
    readies = []
    for _ in range(3):
        identity, rest = fake.expect(wire.READY, timeout=5)
        readies.append(time.monotonic())
        fake.send(identity, wire.DISCONNECT, b"READY refused: go away")
    pauses = [b - a for a, b in zip(readies, readies[1:])]
    assert 0.9 < pauses[0] < 1.8 and 1.9 < pauses[1] < 3.0, pauses


def test_a_disconnect_after_serving_means_register_again_at_once(fake, served):
    identity, _ = fake.expect(wire.READY)
    assert ping(fake, identity)["result"] == "pong"
    fake.send(identity, wire.DISCONNECT)
    started = time.monotonic()
    identity, rest = fake.expect(wire.READY)
    assert rest[0] == b"stage" and time.monotonic() - started < 0.5


def test_a_silent_broker_is_left_with_a_disconnect_and_registered_with_again(fake, served):
    identity, _ = fake.expect(wire.READY)
    started = time.monotonic()
    _, rest = fake.expect(wire.DISCONNECT, timeout=3)  # three heartbeats (300 ms) of silence
    assert 0.25 < time.monotonic() - started < 1.0
    new_identity, rest = fake.expect(wire.READY, timeout=3)
    assert rest[0] == b"stage"


def test_silence_does_not_count_during_a_call(fake, served):
    identity, _ = fake.expect(wire.READY)
    fake.request(identity, {"jsonrpc": "2.0", "id": 1, "method": "settle", "params": [0.8]})
    _, rest = fake.expect(wire.REPLY, timeout=3)  # no DISCONNECT although the broker said nothing
    assert json.loads(rest[2])["result"] == "settled"


def test_stop_says_goodbye_with_a_disconnect(fake):
    server = roc.Server(fake.address, heartbeat=0.1).publish("stage", Stage()).start()
    identity, _ = fake.expect(wire.READY)
    server.stop()
    assert not server.running
    goodbye, rest = fake.expect(wire.DISCONNECT, timeout=3)
    assert goodbye == identity and rest == []
