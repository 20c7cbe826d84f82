"""Presence across languages (PROTOCOL §2.3 worker info, §4 mmi.workers, §5.6 events): Python sees
the events of a C++ server process, and C++ (the `roc` CLI) sees a Python server's worker info."""
from __future__ import annotations

import json
import os
import platform
import subprocess
import time

import pytest
import zmq

import roc
from roc.logs import program_name

from conftest import program, wait_for_object


def next_event_for(events: roc.PresenceSubscription, object_id: str, timeout: float = 10.0):
    """The next event about `object_id`, skipping others; None after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        event = events.next(0.1)
        if event is not None and event.id == object_id:
            return event
    return None


def wait_subscribed(events: roc.PresenceSubscription, broker, probe: str = "probe") -> None:
    """Returns once the subscription receives the broker's events: a probe worker registers and
    leaves until its arrival is seen (a SUB's subscription reaches the broker some time after it
    connects, and nothing says when); its departure is read too."""
    ctx = zmq.Context.instance()
    for _ in range(100):
        worker = ctx.socket(zmq.DEALER)
        worker.linger = 0
        worker.connect(broker.endpoints.calls)
        try:
            worker.send_multipart([b"", b"MDPW01", b"\x01", probe.encode()])
            deadline = time.monotonic() + 0.1
            registered = False
            while not registered and time.monotonic() < deadline:
                event = events.next(0.02)
                registered = event is not None and event.id == probe and event.event == "registered"
            worker.send_multipart([b"", b"MDPW01", b"\x05"])
        finally:
            time.sleep(0.01)  # let the goodbye leave before the socket closes
            worker.close()
        if registered:
            while True:
                event = next_event_for(events, probe, 2.0)
                assert event is not None, "the probe worker's departure was not seen"
                if event.event == "gone":
                    return
    pytest.fail("the presence subscription never received an event")


def test_python_sees_a_cxx_server_process_register_and_die(broker, spawn):
    with roc.PresenceSubscription(endpoints=broker.address, timeout=0.1) as events:
        wait_subscribed(events, broker)
        server = spawn([program("roc_test_object_server"), broker.address, "lab.dev"])
        registered = next_event_for(events, "lab.dev")
        assert registered is not None
        assert registered.event == "registered"
        assert registered.workers == 1
        assert registered.reason is None
        assert registered.worker["pid"] == server.popen.pid
        assert registered.worker["host"] == platform.node()
        assert registered.worker["program"] == "roc_test_object_server"

        server.kill()
        gone = next_event_for(events, "lab.dev")
        assert gone is not None
        assert gone.event == "gone"
        assert gone.workers == 0
        assert gone.reason == "connection-lost"
        assert gone.worker["pid"] == registered.worker["pid"]
        assert events.dropped == 0


def test_a_subscription_to_one_id_gets_only_that_ids_events(broker):
    with roc.PresenceSubscription("cam", broker.address, timeout=0.1) as cam, \
            roc.PresenceSubscription(endpoints=broker.address, timeout=0.1) as everything:
        wait_subscribed(everything, broker)
        wait_subscribed(cam, broker, "cam")
        camera = zmq.Context.instance().socket(zmq.DEALER)
        camera.linger = 0
        camera.connect(broker.endpoints.calls)
        camera.send_multipart([b"", b"MDPW01", b"\x01", b"camera"])
        assert next_event_for(everything, "camera") is not None
        assert cam.next(0.3) is None  # `camera` passes cam's ZeroMQ prefix, not its id filter
        camera.close()


class Counter:
    def __init__(self) -> None:
        self.count = 0

    @roc.method
    def bump(self) -> int:
        self.count += 1
        return self.count


def test_cxx_sees_a_python_servers_worker_info_and_calls_served(broker):
    with roc.Server(broker.address, heartbeat=0.1).publish("counter", Counter()):
        wait_for_object(broker, "counter")
        with roc.Client(broker.address) as client:
            for _ in range(5):
                client.call("counter", "bump")
            listing = client.workers("counter")

        assert [entry["id"] for entry in listing] == ["counter"]
        (worker,) = listing[0]["workers"]
        assert worker["host"] == platform.node()
        assert worker["pid"] == os.getpid()
        assert worker["program"] == program_name()
        assert worker["calls"] == 5
        assert worker["in_flight"] == 0

        table = subprocess.run([program("roc"), "--broker", broker.address, "list"], capture_output=True,
                               text=True, timeout=20)
        assert table.returncode == 0, table.stderr
        row = next(line for line in table.stdout.splitlines() if line.startswith("counter"))
        assert platform.node() in row and str(os.getpid()) in row and program_name() in row

        as_json = subprocess.run([program("roc"), "--broker", broker.address, "--json", "list"],
                                 capture_output=True, text=True, timeout=20)
        assert as_json.returncode == 0, as_json.stderr
        assert json.loads(as_json.stdout)[0]["workers"][0]["pid"] == os.getpid()


def test_workers_of_an_id_nobody_serves_is_an_empty_list(broker):
    with roc.Client(broker.address) as client:
        assert client.workers("nobody") == []
        assert client.workers() == []


def test_worker_info_frame_is_what_the_broker_accepts():
    frame = roc.wire.worker_info("host\x1b[2J", 42, "x" * 300)
    info = json.loads(frame)
    assert info == {"host": "host[2J", "pid": 42, "program": "x" * 255}
    assert len(frame) <= roc.wire.MAX_WORKER_INFO


def test_a_malformed_event_is_counted_not_raised():
    with pytest.raises(roc.ProtocolError):
        roc.presence.read_event(b'{"event":"gone","id":"x"}')
    with pytest.raises(roc.ProtocolError):
        roc.presence.read_event(b'{"event":"gone","id":"x","workers":0,"worker":{"pid":"1"}}')


def test_a_publisher_cannot_forge_presence_events(broker):
    forged = (b'{"event":"registered","id":"x","workers":1,"worker":{"host":"h","pid":1,"program":"p",'
              b'"uptime_s":0,"calls":0,"in_flight":0}}')
    record = (b'{"ts":"2026-11-30T00:00:00.000000Z","level":"info","node":"forger","msg":"hello"}')
    publisher = zmq.Context.instance().socket(zmq.PUB)
    publisher.linger = 0
    publisher.connect(broker.endpoints.publish)
    try:
        with roc.PresenceSubscription(endpoints=broker.address, timeout=0.05) as events, \
                roc.LogSubscription(nodes="forger", endpoints=broker.address, timeout=0.05) as logs:
            wait_subscribed(events, broker)
            # Once a log record gets through, the publisher is connected and its forgeries reach
            # the broker as well: they must stop there.
            deadline = time.monotonic() + 10
            delivered = None
            while delivered is None and time.monotonic() < deadline:
                publisher.send_multipart([b"roc.presence.x", forged])
                publisher.send_multipart([b"log.info.forger", record])
                delivered = logs.next(0.05)
            assert delivered is not None, "the publisher's log records never arrived"
            for _ in range(5):
                publisher.send_multipart([b"roc.presence.x", forged])
            assert next_event_for(events, "x", 0.5) is None
    finally:
        publisher.close()
