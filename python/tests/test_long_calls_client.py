"""Long calls on the caller side (idl/PROTOCOL.md §2.6), roc.Client and roc.aio.Client, against a
fake broker (a bare ROUTER): every call names itself, started calls ask for progress and get it
routed by call id, cancels go out on the call's own connection, timeouts cancel remotely."""
import asyncio
import json
import threading
import time

import pytest

import roc
from roc import wire
from conftest import FakeRouter


class FakeBroker(FakeRouter):
    """The broker as a client sees it: reads requests and cancels, answers."""

    def receive(self, timeout: float = 5.0):
        """(identity, object id, header fields or None, body or None) of the next client message."""
        assert self.socket.poll(int(timeout * 1000)), f"nothing from the client within {timeout} s"
        frames = self.socket.recv_multipart()
        assert frames[1:3] == [b"", wire.MDPC], frames
        rest = frames[4:]
        header = None
        if rest and wire.is_call_header(rest[0]):
            header, rest = wire.parse_call_header(rest[0]), rest[1:]
        return frames[0], frames[3].decode(), header, (json.loads(rest[0]) if rest else None)

    def silent(self, timeout: float = 0.2) -> bool:
        return not self.socket.poll(int(timeout * 1000))

    def answer(self, identity: bytes, object_id: str, message) -> None:
        self.socket.send_multipart([identity, b"", wire.MDPC, object_id.encode(), json.dumps(message).encode()])

    def result(self, identity, object_id, id_, result) -> None:
        self.answer(identity, object_id, {"jsonrpc": "2.0", "id": id_, "result": result})

    def cancelled(self, identity, object_id, id_) -> None:
        self.answer(identity, object_id, {"jsonrpc": "2.0", "id": id_, "error": {
            "code": -32008, "message": f"cancelled: the call to '{object_id}' was cancelled while it ran"}})

    def event(self, identity: bytes, object_id: str, call: int, body) -> None:
        body = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.socket.send_multipart([identity, b"", wire.MDPC, object_id.encode(), wire.event_header(call), body])



@pytest.fixture
def fake():
    with FakeBroker() as broker:
        yield broker


@pytest.fixture
def client(fake):
    with roc.Client(fake.address, timeout=5.0) as client:
        yield client


def in_thread(function, *args):
    """Runs a blocking call in a thread; .join() gives (result, error)."""
    outcome = {}

    def run():
        try:
            outcome["result"] = function(*args)
        except Exception as error:  # noqa: BLE001
            outcome["error"] = error
    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def join():
        thread.join(10)
        assert not thread.is_alive(), "the call did not end"
        return outcome.get("result"), outcome.get("error")
    thread.outcome = join
    return thread


def test_every_call_names_itself_by_its_json_rpc_id_and_notifications_do_not(fake, client):
    pending = in_thread(client.call, "dev", "add", 1, 2)
    identity, object_id, header, body = fake.receive()
    assert header["call"] == body["id"] and header["progress"] is False and header["attach"] is True
    fake.result(identity, object_id, body["id"], 3)
    assert pending.outcome() == (3, None)
    client.notify("dev", "poke")
    _, _, header, body = fake.receive()
    assert "id" not in body and header["call"] == 0


def test_a_started_call_gets_its_progress_in_order_then_its_result(fake, client):
    seen = []
    call = client.start("dev", "expose", 3, on_progress=seen.append, timeout=30)
    identity, object_id, header, body = fake.receive()
    assert header["call"] == body["id"] == call.id and header["progress"] is True
    assert header["timeout"] == 30.0 and body["params"] == [3]
    for i in range(3):
        fake.event(identity, object_id, call.id, {"fraction": (i + 1) / 3, "message": f"frame {i + 1}",
                                                  "data": {"mean": i}})
    fake.event(identity, object_id, call.id + 1000, {"fraction": 0.5})   # no such call: dropped
    fake.event(identity, object_id, call.id, {"fraction": "half"})       # not a progress body: dropped
    fake.result(identity, object_id, call.id, [0, 1, 2])
    events = list(call.progress(timeout=5))
    assert events == [roc.Progress((i + 1) / 3, f"frame {i + 1}", {"mean": i}) for i in range(3)]
    assert seen == events   # the callback saw the same, on the I/O thread
    assert call.done() and call.result() == [0, 1, 2]
    assert list(call.progress()) == []   # over: the iterator ends at once


def test_a_progress_event_may_leave_everything_out():
    assert roc.Progress() == roc.Progress(None, "", None)


def test_a_plain_call_ignores_events_and_its_reply_still_comes(fake, client):
    pending = in_thread(client.call, "dev", "add", 1, 2)
    identity, object_id, header, body = fake.receive()
    fake.event(identity, object_id, header["call"], {"fraction": 0.5})
    fake.result(identity, object_id, body["id"], 3)
    assert pending.outcome() == (3, None)


def test_cancel_goes_out_on_the_calls_connection_and_the_caller_gets_cancelled(fake, client):
    call = client.start("dev", "expose", timeout=30)
    identity, object_id, header, _ = fake.receive()
    call.cancel()
    call.cancel()   # idempotent: one cancel on the wire
    same, cancel_object, cancel_header, cancel_body = fake.receive()
    assert (same, cancel_object, cancel_header["cancel"], cancel_body) == (identity, "dev", header["call"], None)
    assert fake.silent()
    assert not call.done()   # the broker decides: the reply, or -32008
    fake.cancelled(identity, object_id, call.id)
    with pytest.raises(roc.Cancelled, match="cancelled while it ran"):
        call.result(5)
    call.cancel()   # after the outcome: nothing
    assert fake.silent()


def test_a_cancel_racing_the_result_leaves_the_result(fake, client):
    call = client.start("dev", "expose", timeout=30)
    identity, object_id, _, _ = fake.receive()
    fake.result(identity, object_id, call.id, "done")
    assert call.result(5) == "done"
    call.cancel()
    assert fake.silent()


def test_a_sync_call_whose_timeout_passes_cancels_it_before_raising(fake, client):
    started = time.monotonic()
    pending = in_thread(lambda: client.call("dev", "slow", timeout=0.3))
    identity, _, header, _ = fake.receive()
    same, _, cancel_header, body = fake.receive(2.0)
    assert same == identity and cancel_header["cancel"] == header["call"] and body is None
    _, error = pending.outcome()
    assert isinstance(error, roc.Timeout) and 0.25 < time.monotonic() - started < 2.0


def test_a_started_call_whose_timeout_passes_is_cancelled_though_nobody_waits(fake, client):
    call = client.start("dev", "slow", timeout=0.3)
    _, _, header, _ = fake.receive()
    _, _, cancel_header, _ = fake.receive(2.0)
    assert cancel_header["cancel"] == header["call"]
    assert call.done()
    with pytest.raises(roc.Timeout, match="within 0.3 s"):
        call.result()


def test_waiting_less_than_the_calls_timeout_leaves_the_call_running(fake, client):
    call = client.start("dev", "slow", timeout=30)
    identity, object_id, _, _ = fake.receive()
    with pytest.raises(roc.Timeout, match="the call goes on"):
        call.result(timeout=0.05)
    assert fake.silent() and not call.done()
    assert next(call.progress(timeout=0.05)) is None   # no event within 0.05 s: None, the loop goes on
    fake.result(identity, object_id, call.id, 1)
    assert call.result(5) == 1


def test_events_beyond_the_bound_drop_the_oldest(fake, client):
    call = client.start("dev", "flood", timeout=30)
    identity, object_id, _, _ = fake.receive()
    for i in range(1100):
        fake.event(identity, object_id, call.id, {"fraction": i / 1100, "message": str(i)})
    fake.result(identity, object_id, call.id, None)
    call.result(5)
    messages = [p.message for p in call.progress()]
    assert messages == [str(i) for i in range(76, 1100)] and call.dropped_progress == 76


def test_a_typed_proxy_starts_calls_too(fake, client):
    proxy = client.get("dev")
    pending = in_thread(lambda: proxy.expose.start(2, timeout=10))
    identity, object_id, _, body = fake.receive()   # rpc.describe first
    assert body["method"] == "rpc.describe"
    fake.result(identity, object_id, body["id"], {"roc_idl": 1, "types": [], "objects": [{
        "name": "Cam", "signature": "0" * 16, "properties": [], "methods": [
            {"name": "expose", "params": [{"name": "frames", "type": "int32"}], "returns": "array<double>",
             "progress": True, "cancellable": True}]}]})
    call, error = pending.outcome()
    assert error is None
    identity, object_id, header, body = fake.receive()
    assert body["method"] == "expose" and header["progress"] is True
    fake.result(identity, object_id, body["id"], [1.5, 2.5])
    assert list(call.result(5)) == [1.5, 2.5]


# --- asyncio --------------------------------------------------------------------------------

def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 20))


def test_aio_a_started_call_streams_progress_then_gives_its_result(fake):
    async def main():
        async with roc.aio.Client(fake.address, timeout=5.0) as c:
            seen = []
            call = c.start("dev", "expose", 2, on_progress=seen.append, timeout=30)
            identity, object_id, header, body = await asyncio.to_thread(fake.receive)
            assert header["progress"] is True and header["call"] == body["id"] == call.id
            fake.event(identity, object_id, call.id, {"fraction": 0.5, "message": "one"})
            fake.event(identity, object_id, call.id, {"fraction": 1.0, "message": "two"})
            fake.result(identity, object_id, call.id, "ok")
            events = [p async for p in call.progress()]
            assert [p.message for p in events] == ["one", "two"] and seen == events
            assert await call == "ok" and call.done()
    run(main())


def test_aio_cancel_goes_out_on_the_same_socket_and_await_raises_cancelled(fake):
    async def main():
        async with roc.aio.Client(fake.address, timeout=5.0) as c:
            call = c.start("dev", "expose", timeout=30)
            identity, object_id, header, _ = await asyncio.to_thread(fake.receive)
            call.cancel()
            same, _, cancel_header, body = await asyncio.to_thread(fake.receive)
            assert same == identity and cancel_header["cancel"] == header["call"] and body is None
            fake.cancelled(identity, object_id, call.id)
            with pytest.raises(roc.Cancelled):
                await call
    run(main())


def test_aio_a_call_cancelled_before_it_went_out_is_never_sent(fake):
    async def main():
        async with roc.aio.Client(fake.address, timeout=5.0) as c:
            call = c.start("dev", "expose", timeout=30)
            call.cancel()
            with pytest.raises(roc.Cancelled, match="before it was sent"):
                await call
    run(main())
    assert fake.silent()


def test_aio_timeouts_cancel_remotely_plain_and_started(fake):
    async def main():
        async with roc.aio.Client(fake.address, timeout=5.0) as c:
            plain = asyncio.ensure_future(c.call("dev", "slow", timeout=0.2))
            _, _, header, _ = await asyncio.to_thread(fake.receive)
            _, _, cancel_header, _ = await asyncio.to_thread(fake.receive)
            assert cancel_header["cancel"] == header["call"]
            with pytest.raises(roc.Timeout):
                await plain
            started = c.start("dev", "slow", timeout=0.2)
            _, _, header, _ = await asyncio.to_thread(fake.receive)
            _, _, cancel_header, _ = await asyncio.to_thread(fake.receive)
            assert cancel_header["cancel"] == header["call"]
            with pytest.raises(roc.Timeout):
                await started
            assert [p async for p in started.progress()] == []
    run(main())


def test_aio_a_cancelled_awaiting_task_cancels_its_call(fake):
    async def main():
        async with roc.aio.Client(fake.address, timeout=30.0) as c:
            task = asyncio.ensure_future(c.call("dev", "slow"))
            _, _, header, _ = await asyncio.to_thread(fake.receive)
            task.cancel()
            _, _, cancel_header, _ = await asyncio.to_thread(fake.receive)
            assert cancel_header["cancel"] == header["call"]
    run(main())


def test_aio_two_readers_of_one_call_both_see_it_end(fake):
    async def main():
        async with roc.aio.Client(fake.address, timeout=5.0) as c:
            call = c.start("dev", "expose", timeout=30)
            identity, object_id, _, _ = await asyncio.to_thread(fake.receive)

            async def read():
                return [p async for p in call.progress()]
            readers = [asyncio.ensure_future(read()) for _ in range(2)]
            await asyncio.sleep(0.05)
            fake.event(identity, object_id, call.id, {"message": "only"})
            fake.result(identity, object_id, call.id, 1)
            first, second = await asyncio.gather(*readers)
            assert sorted(p.message for p in first + second) == ["only"]   # each event read once
            assert await call == 1
    run(main())


def test_closing_the_client_ends_its_started_calls_and_their_progress(fake):
    client = roc.Client(fake.address, timeout=5.0)
    call = client.start("dev", "expose", timeout=30)
    fake.receive()
    reader = in_thread(lambda: list(call.progress()))
    client.close()
    assert reader.outcome() == ([], None)
    with pytest.raises(roc.RocError, match="closed"):
        call.result(1)
