"""Long calls on the worker side (idl/PROTOCOL.md §2.6) against a fake broker (a bare ROUTER):
roc.CallContext, CANCEL of running and queued calls, PROGRESS only when asked, in order, before
the reply."""
import json
import threading
import time

import pytest

import roc
from roc import wire
from test_server_worker import FakeBroker


class Long:
    """A device with long methods that take the context, and one that does not."""

    def __init__(self) -> None:
        self.ran = []
        self.started = threading.Event()
        self.saw_cancel = None
        self.callbacks = []

    def count(self, n: int, ctx: roc.CallContext) -> int:
        for i in range(n):
            ctx.progress((i + 1) / n, f"step {i + 1} of {n}", {"i": i})
        return n

    def wait(self, seconds: float, ctx: roc.CallContext) -> str:
        self.ran.append("wait")
        ctx.on_cancel(lambda: self.callbacks.append("first"))
        self.started.set()
        if ctx.wait_cancelled(seconds):
            self.saw_cancel = time.monotonic()
            ctx.on_cancel(lambda: self.callbacks.append("late"))   # cancelled already: runs at once
            ctx.throw_if_cancelled()
        return "waited"

    def finish_anyway(self, ctx: roc.CallContext) -> str:
        self.started.set()
        ctx.wait_cancelled(5.0)
        return "finished"

    def context(self, tag: str, ctx: roc.CallContext) -> dict:
        return {"tag": tag, "object": ctx.object_id, "remaining": ctx.remaining(), "expired": ctx.expired(),
                "progress": ctx.wants_progress(), "current": roc.CallContext.current() is ctx}

    def mark(self, tag: str) -> str:
        self.ran.append(tag)
        return tag

    def big(self, ctx: roc.CallContext) -> str:
        ctx.progress(0.5, "x" * 70000)   # over the broker's 64 KiB: never sent
        ctx.progress(1.0, "small")
        return "ok"

    def flood(self, events: int, ctx: roc.CallContext) -> int:
        for i in range(events):
            ctx.progress(i / events)
        return events


class Plain:
    def count(self, n: int) -> int:
        return n

    def wait(self, seconds: float) -> str:
        return "waited"


@pytest.fixture
def fake():
    with FakeBroker() as broker:
        yield broker


@pytest.fixture
def device(fake):
    device = Long()
    server = roc.Server(fake.address, heartbeat=0.1).publish("long", device).start()
    identity, rest = fake.expect(wire.READY)
    device.identity, device.ready = identity, rest
    yield device
    server.stop()


def request(fake, device, id_, method, params, *, header=b"", client=b"client-1"):
    body = {"jsonrpc": "2.0", "id": id_, "method": method, "params": params}
    fake.request(device.identity, body, header=header or None, client=client)


def reply(fake, timeout=5.0):
    _, rest = fake.expect(wire.REPLY, timeout)
    return json.loads(rest[2])


def cancel(fake, device, call, client=b"client-1"):
    fake.send(device.identity, wire.CANCEL, client, b"", b"%d" % call)


def test_ready_says_the_worker_takes_cancels_and_reports_progress(device):
    assert device.ready[:3] == [b"long", b"16", b"attachments cancel progress"]


def test_a_context_parameter_is_no_wire_parameter_and_marks_the_method_long():
    document = roc.describe(Long())
    methods = {m["name"]: m for m in document["objects"][0]["methods"]}
    assert methods["count"]["params"] == [{"name": "n", "type": "int64"}]
    assert methods["count"]["progress"] is True and methods["count"]["cancellable"] is True
    assert "progress" not in methods["mark"] and "cancellable" not in methods["mark"]


def test_the_signature_ignores_the_context_as_the_cpp_one_does():
    class Plain2(Plain):
        __roc_name__ = "Same"

    class Long2(Long):
        __roc_name__ = "Same"
    long_methods = roc.server.Interface(Long2(), methods=["count", "wait"], properties=[]).document
    plain = roc.server.Interface(Plain2(), properties=[]).document
    assert long_methods["objects"][0]["signature"] == plain["objects"][0]["signature"]


def test_progress_goes_out_in_order_before_the_reply_when_the_caller_asked(fake, device):
    request(fake, device, 7, "count", [5], header=b"roc/1 timeout-ms=5000 attach=1 call=7 progress=1")
    events = []
    while True:
        _, command, rest = fake.receive()
        if command == wire.PROGRESS:
            assert rest[:3] == [b"client-1", b"", b"7"]
            events.append(json.loads(rest[3]))
        elif command == wire.REPLY:
            break
    assert events == [{"fraction": (i + 1) / 5, "message": f"step {i + 1} of 5", "data": {"i": i}} for i in range(5)]
    assert json.loads(rest[2])["result"] == 5


@pytest.mark.parametrize("header", [b"roc/1 timeout-ms=5000 call=3", b"roc/1 timeout-ms=5000", b""])
def test_a_caller_that_did_not_ask_gets_no_progress(fake, device, header):
    request(fake, device, 3, "count", [50], header=header)
    assert reply(fake)["result"] == 50   # expect() fails on anything but heartbeats before the REPLY
    request(fake, device, 4, "context", ["x"], header=header)
    assert reply(fake)["result"]["progress"] is False


def test_the_context_holds_the_object_the_deadline_and_is_current_inside_the_call(fake, device):
    request(fake, device, 1, "context", ["a"], header=b"roc/1 timeout-ms=3000 call=1 progress=1")
    seen = reply(fake)["result"]
    assert seen["object"] == "long" and seen["current"] is True and seen["progress"] is True
    assert 2.0 < seen["remaining"] <= 3.0 and seen["expired"] is False
    request(fake, device, 2, "context", ["b"])   # a plain 7/MDP caller: no deadline
    assert reply(fake)["result"]["remaining"] is None
    empty = roc.CallContext.current()   # outside a call: an empty context
    assert (empty.object_id, empty.remaining(), empty.cancelled(), empty.wants_progress()) == ("", None, False, False)
    empty.progress(0.5, "goes nowhere")


def test_a_cancel_reaches_the_running_method_at_once_and_its_callbacks_run_once(fake, device):
    request(fake, device, 1, "wait", [10.0], header=b"roc/1 timeout-ms=20000 call=1")
    assert device.started.wait(5)
    sent = time.monotonic()
    cancel(fake, device, 1)
    cancel(fake, device, 1)   # twice: still once
    answer = reply(fake)
    assert answer["error"]["code"] == -32008, answer
    assert device.saw_cancel - sent < 0.5   # at once: no poll interval (loaded CI machines: slack)
    assert device.callbacks == ["first", "late"]


def test_a_cancelled_queued_call_is_answered_minus_32008_in_order_without_running(fake, device):
    request(fake, device, 1, "wait", [10.0], header=b"roc/1 timeout-ms=20000 call=1")
    assert device.started.wait(5)
    request(fake, device, 2, "mark", ["second"], header=b"roc/1 timeout-ms=20000 call=2")
    request(fake, device, 3, "mark", ["third"], header=b"roc/1 timeout-ms=20000 call=3")
    cancel(fake, device, 2)
    cancel(fake, device, 1)
    answers = [reply(fake) for _ in range(3)]
    assert [a["id"] for a in answers] == [1, 2, 3]
    assert answers[0]["error"]["code"] == -32008
    assert answers[1]["error"] == {"code": -32008, "message": "cancelled: the call to 'long' was cancelled "
                                                              "before it ran"}
    assert answers[2]["result"] == "third"
    assert device.ran == ["wait", "third"]


def test_a_cancel_names_the_call_of_one_client_connection(fake, device):
    request(fake, device, 1, "wait", [0.5], header=b"roc/1 call=1", client=b"client-A")
    assert device.started.wait(5)
    cancel(fake, device, 1, client=b"client-B")   # another caller's call 1: not this one
    assert reply(fake)["result"] == "waited"


def test_a_method_that_finishes_anyway_answers_its_result(fake, device):
    request(fake, device, 1, "finish_anyway", [], header=b"roc/1 call=1")
    assert device.started.wait(5)
    cancel(fake, device, 1)
    assert reply(fake)["result"] == "finished"   # the broker drops it; the credit comes back


@pytest.mark.parametrize("frames", [
    [wire.CANCEL, b"client-1", b"", b"0"],
    [wire.CANCEL, b"client-1", b"", b"-1"],
    [wire.CANCEL, b"client-1", b"x", b"1"],
    [wire.CANCEL, b"client-1", b""],
    [wire.CANCEL, b"client-1", b"", b"1", b"extra"],
    [wire.CANCEL, b"nobody", b"", b"12345"],   # well-formed, for no call it holds
])
def test_a_bad_or_unknown_cancel_changes_nothing(fake, device, frames):
    fake.send(device.identity, *frames)
    request(fake, device, 1, "mark", ["after"], header=b"roc/1 call=1")
    assert reply(fake)["result"] == "after"


def test_a_flood_of_progress_never_holds_up_the_method_or_its_reply(fake, device):
    events = 100_000
    started = time.monotonic()
    request(fake, device, 1, "flood", [events], header=b"roc/1 call=1 progress=1")
    received = 0
    while True:
        _, command, rest = fake.receive()
        if command == wire.REPLY:
            break
        received += command == wire.PROGRESS
    assert json.loads(rest[2])["result"] == events
    assert 0 < received <= events
    assert time.monotonic() - started < 20


def test_a_context_from_no_server_runs_the_same_code_in_a_script():
    assert Long().count(3, roc.CallContext()) == 3
    assert Long().wait(0.01, roc.CallContext()) == "waited"


def test_a_progress_event_over_64_kib_is_not_sent(fake, device):
    request(fake, device, 1, "big", [], header=b"roc/1 call=1 progress=1")
    events = []
    while True:
        _, command, rest = fake.receive()
        if command == wire.REPLY:
            break
        if command == wire.PROGRESS:
            events.append(json.loads(rest[3]))
    assert events == [{"fraction": 1.0, "message": "small"}]
