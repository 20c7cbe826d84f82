"""A broker that is down is not a slow object: roc.BrokerUnreachable for a refused port and an
unknown host, well before the call's timeout; calls in flight fail at once when the broker is
killed; the same client works again after a restart. Sync and asyncio clients, real sockets."""
import asyncio
import socket
import threading
import time

import pytest

import roc
from conftest import wait_for_object

CALL_TIMEOUT = 10.0   # far longer than any bound checked here
FAST = 2.0


def refused_address() -> str:
    """127.0.0.1 and a port nobody listens on (bound for a moment, never listened on)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


def timed(f):
    start = time.monotonic()
    try:
        f()
    finally:
        timed.elapsed = time.monotonic() - start


def test_a_call_to_a_refused_port_raises_broker_unreachable_long_before_its_timeout():
    address = refused_address()
    endpoint = roc.Endpoints(address).calls
    with roc.Client(address, timeout=CALL_TIMEOUT) as client:
        with pytest.raises(roc.BrokerUnreachable) as caught:
            timed(lambda: client.call("dev", "add", 1, 2))
        assert timed.elapsed < FAST
        assert str(caught.value) == f"broker unreachable at {endpoint} (connection refused)"
        assert caught.value.endpoint == endpoint and caught.value.reason == "connection refused"
        assert isinstance(caught.value, roc.RocError) and not isinstance(caught.value, roc.Timeout)
        time.sleep(0.3)   # the socket keeps failing in the background: still fast, still the same
        with pytest.raises(roc.BrokerUnreachable):
            timed(lambda: client.start("dev", "add", 1, 2).result())
        assert timed.elapsed < FAST
        with pytest.raises(roc.BrokerUnreachable):
            timed(client.objects)
        assert timed.elapsed < FAST


def test_an_unknown_host_is_told_apart_from_a_refused_port():
    with roc.Client("no-such-broker.invalid:5555", timeout=CALL_TIMEOUT) as client:
        with pytest.raises(roc.BrokerUnreachable) as caught:
            timed(lambda: client.call("dev", "add", 1, 2))
        assert timed.elapsed < FAST
        assert caught.value.reason == "unknown host 'no-such-broker.invalid'"
        assert str(caught.value) == ("broker unreachable at tcp://no-such-broker.invalid:5555 "
                                     "(unknown host 'no-such-broker.invalid')")


def test_the_asyncio_client_raises_broker_unreachable_as_fast():
    async def main():
        for address, reason in ((refused_address(), "connection refused"),
                                ("no-such-broker.invalid:5555", "unknown host 'no-such-broker.invalid'")):
            async with roc.aio.Client(address, timeout=CALL_TIMEOUT) as client:
                start = time.monotonic()
                with pytest.raises(roc.BrokerUnreachable, match=reason):
                    await client.call("dev", "add", 1, 2)
                with pytest.raises(roc.BrokerUnreachable):
                    await client.start("dev", "add", 1, 2).result()
                with pytest.raises(roc.BrokerUnreachable):
                    await client.notify("dev", "add", 1, 2)
                with pytest.raises(roc.BrokerUnreachable):
                    await client.objects()
                assert time.monotonic() - start < 4 * FAST
    asyncio.run(main())


def test_calls_in_flight_fail_at_once_when_the_broker_is_killed_and_work_again_after_a_restart(broker, object_server):
    object_server("dev")
    object_server("slow")   # takes the calls in flight and stays busy with them; "dev" registers again
    with roc.Client(broker.address, timeout=CALL_TIMEOUT) as client:
        assert client.call("dev", "add", 1, 2) == 3
        outcome = {}

        def sync_call():
            try:
                client.call("slow", "sleep_ms", 5000)
            except Exception as error:   # noqa: BLE001 — the test looks at what it was
                outcome["sync"] = error

        thread = threading.Thread(target=sync_call)
        thread.start()
        started = client.start("slow", "sleep_ms", 5000)
        time.sleep(0.3)   # both are at the broker and the worker by now
        killed_at = time.monotonic()
        broker.process.kill()
        thread.join(FAST)
        assert not thread.is_alive()
        assert isinstance(outcome.get("sync"), roc.BrokerUnreachable)
        assert outcome["sync"].reason == "lost the connection; the call may have run"
        with pytest.raises(roc.BrokerUnreachable):
            started.result(FAST)
        assert time.monotonic() - killed_at < FAST

        with pytest.raises(roc.BrokerUnreachable, match="connection refused"):
            client.call("dev", "add", 1, 2)

        broker.start()   # the same port
        wait_for_object(broker, "dev")
        assert client.call("dev", "add", 2, 3) == 5
        assert client.start("dev", "add", 4, 4).result() == 8


def test_an_asyncio_call_in_flight_fails_at_once_when_the_broker_is_killed(broker, object_server):
    object_server("dev")

    async def main():
        async with roc.aio.Client(broker.address, timeout=CALL_TIMEOUT) as client:
            assert await client.call("dev", "add", 1, 2) == 3
            call = asyncio.ensure_future(client.call("dev", "sleep_ms", 5000))
            await asyncio.sleep(0.3)
            killed_at = time.monotonic()
            broker.process.kill()
            with pytest.raises(roc.BrokerUnreachable, match="lost the connection"):
                await asyncio.wait_for(call, FAST)
            assert time.monotonic() - killed_at < FAST
            broker.start()
            wait_for_object(broker, "dev")
            assert await client.call("dev", "add", 2, 3) == 5
    asyncio.run(main())
