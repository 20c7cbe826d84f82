"""Long calls end to end through the real rocbroker (idl/PROTOCOL.md §2.6): a Python caller and a
Python server — progress in order before the result, cancels of running and queued calls,
timeouts that cancel remotely, a cancel racing the result, plain calls unaffected."""
import asyncio
import json
import math
import time

import pytest
import zmq

import roc
from roc import wire
from conftest import wait_for_object
from test_long_calls_server import Long


@pytest.fixture(params=[16, 1], ids=["credit16", "credit1"])
def device(request, broker):
    """The Long device served by Python; at credit 1 a second call waits at the broker, at 16 in
    the worker's own queue."""
    device = Long()
    server = roc.Server(broker.address, heartbeat=0.25, credit=request.param).publish("long", device).start()
    wait_for_object(broker, "long")
    yield device
    server.stop()


@pytest.fixture
def client(broker):
    with roc.Client(broker.address, timeout=5.0) as client:
        yield client


def test_progress_arrives_in_order_before_the_result(device, client):
    seen = []
    call = client["long"].count.start(50, on_progress=seen.append, timeout=10)
    events = list(call.progress(timeout=5))
    assert call.result() == 50
    assert [p.fraction for p in events] == [(i + 1) / 50 for i in range(50)]
    assert events[-1] == roc.Progress(1.0, "step 50 of 50", {"i": 49}) and seen == events


def test_a_running_call_is_cancelled_at_once_and_the_method_sees_it(device, client):
    call = client.start("long", "wait", 10.0, timeout=30)
    assert device.started.wait(5)
    cancelled_at = time.monotonic()
    call.cancel()
    with pytest.raises(roc.Cancelled, match="while it ran"):
        call.result(1.0)
    answered = time.monotonic() - cancelled_at
    assert answered < 0.5
    wait = time.monotonic() + 2
    while device.saw_cancel is None and time.monotonic() < wait:
        time.sleep(0.005)
    assert device.saw_cancel is not None and device.saw_cancel - cancelled_at < 0.5
    assert client["long"].mark("after") == "after"   # the worker is free and its credit came back


def test_a_cancelled_queued_call_never_runs(device, client):
    first = client.start("long", "wait", 10.0, timeout=30)
    assert device.started.wait(5)
    queued = client.start("long", "mark", "queued", timeout=30)
    time.sleep(0.1)   # at the worker (credit 16) or at the broker (credit 1)
    queued.cancel()
    with pytest.raises(roc.Cancelled):
        queued.result(1.0)
    first.cancel()
    with pytest.raises(roc.Cancelled):
        first.result(1.0)
    assert client["long"].mark("next") == "next"
    assert device.ran == ["wait", "next"]


def test_a_timed_out_call_is_cancelled_so_the_next_one_does_not_wait_behind_it(device, client):
    started = time.monotonic()
    with pytest.raises(roc.Timeout):
        client.call("long", "wait", 10.0, timeout=0.3)
    assert client.call("long", "mark", "next", timeout=3) == "next"
    assert time.monotonic() - started < 2.0   # not the 10 s the first call would have taken
    assert device.saw_cancel is not None


def test_a_cancel_racing_the_result_has_exactly_one_outcome(device, broker):
    """On a raw connection, so that a second answer could not hide: every call gets one."""
    socket = zmq.Context.instance().socket(zmq.DEALER)
    socket.linger = 0
    socket.connect(broker.endpoints.calls)
    try:
        calls = 200
        for call in range(1, calls + 1):
            body = json.dumps({"jsonrpc": "2.0", "id": call, "method": "mark", "params": [str(call)]}).encode()
            socket.send_multipart([b"", wire.MDPC, b"long", wire.call_header(5.0, False, call), body])
            if call % 3:   # the rest run uncancelled, so that some cancels arrive late
                socket.send_multipart([b"", wire.MDPC, b"long", wire.cancel_header(call)])
        answers = {}
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (len(answers) < calls or socket.poll(300)):
            if not socket.poll(500):
                continue
            message = json.loads(socket.recv_multipart()[3])
            answers.setdefault(message["id"], []).append(message)
        assert sorted(answers) == list(range(1, calls + 1))
        assert all(len(a) == 1 for a in answers.values()), [a for a in answers.values() if len(a) > 1][:3]
        outcomes = {call: "result" if "result" in a[0] else a[0]["error"]["code"] for call, a in answers.items()}
        assert set(outcomes.values()) <= {"result", -32008}
        assert all(outcomes[call] == "result" for call in range(3, calls + 1, 3))
        ran = set(device.ran)
        assert all(str(call) in ran for call, outcome in outcomes.items() if outcome == "result")
    finally:
        socket.close()


def test_plain_calls_and_plain_7mdp_callers_get_no_events(device, client, broker):
    assert client.call("long", "count", 20) == 20   # a plain roc call: no progress asked, none given
    socket = zmq.Context.instance().socket(zmq.DEALER)
    socket.linger = 0
    socket.connect(broker.endpoints.calls)
    try:   # a plain 7/MDP client: no header at all
        socket.send_multipart([b"", wire.MDPC, b"long",
                               b'{"jsonrpc":"2.0","id":1,"method":"count","params":[20]}'])
        assert socket.poll(5000)
        assert json.loads(socket.recv_multipart()[3])["result"] == 20
        assert not socket.poll(200)
    finally:
        socket.close()


def test_the_method_sees_the_callers_deadline(device, client):
    seen = client.call("long", "context", "x", timeout=3.0)
    assert 2.0 < seen["remaining"] <= 3.0 and seen["progress"] is False and seen["object"] == "long"
    seen = client.start("long", "context", "y", timeout=math.inf).result(5)
    assert seen["remaining"] is None and seen["progress"] is True


def test_asyncio_progress_and_cancel_through_the_broker(device, broker):
    async def main():
        async with roc.aio.Client(broker.address, timeout=5.0) as c:
            call = c["long"].count.start(10, timeout=10)
            events = [p async for p in call.progress()]
            assert await call == 10 and [p.message for p in events] == [f"step {i} of 10" for i in range(1, 11)]
            running = c.start("long", "wait", 10.0, timeout=30)
            await asyncio.to_thread(device.started.wait, 5)
            running.cancel()
            with pytest.raises(roc.Cancelled):
                await asyncio.wait_for(running.result(), 1.0)
            assert await c.call("long", "mark", "after") == "after"
    asyncio.run(asyncio.wait_for(main(), 30))


def test_the_cpp_roc_cli_calls_a_python_method_that_takes_a_context(device, broker):
    """C++ → Python as far as main has it: the `roc` CLI's plain call reaches a method that takes
    a context (which it never sends), and sees its deadline."""
    from test_server_cxx import roc_cli
    assert roc_cli(broker, "call", "long", "count", "[3]").stdout.strip() == "3"
    seen = json.loads(roc_cli(broker, "--json", "call", "long", "context", '["cli"]').stdout)
    assert seen["object"] == "long" and seen["current"] is True and 0 < seen["remaining"] <= 5.0
    document = json.loads(roc_cli(broker, "describe", "long", "--json").stdout)
    count = next(m for m in document["objects"][0]["methods"] if m["name"] == "count")
    assert count["params"] == [{"name": "n", "type": "int64"}] and count["progress"] and count["cancellable"]
