"""roc.aio.Client against the C++ broker, the C++ test Device and the vnir camera."""
import asyncio
import inspect
import time

import numpy as np
import pytest

import roc
import roc.aio


def run(coroutine, timeout: float = 60.0):
    """Runs a test's coroutine with an overall bound, so no test can hang."""
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


@pytest.fixture
def device_address(broker, object_server):
    object_server("device")
    return broker.address


def test_calls_properties_and_describe(device_address):
    async def main():
        async with roc.aio.Client(device_address) as c:
            device = c["device"]
            assert await device.add(2, 3) == 5
            assert await device.configure(3, colour="blue") == "3 calibrated blue"
            assert await device.read_line("x") == {"return": True, "line": "<x>"}
            assert await device.echo_pair((1, "one")) == (1, "one")
            assert await device.get("firmware") == "1.2.3"
            await device.set("level", 4.5)
            assert await device.get("level") == 4.5
            assert await c.call("device", "add", a=1, b=2) == 3
            document = await device.describe()
            assert document["objects"][0]["name"] == "testing_lab::Device"
            assert await device.with_gain(2) is device
            assert [o["id"] for o in await c.objects()] == ["device"]
    run(main())


def test_signature_and_dir_once_the_interface_is_known(device_address):
    async def main():
        async with roc.aio.Client(device_address) as c:
            device = c["device"]
            await device.describe()
            assert {"add", "echo_shape", "get", "set", "describe"} <= set(dir(device))
            assert str(inspect.signature(device.add)) == "(a: 'int32', b: 'int32') -> 'int32'"
            with pytest.raises(AttributeError, match="no method 'nope'"):
                device.nope
            assert (await c.get("device", signature=document_signature(await device.describe()))) is not None
            with pytest.raises(roc.SignatureMismatch, match="'device'"):
                await c.get("device", signature="0000000000000000")
    run(main())


def document_signature(document: dict) -> str:
    return document["objects"][0]["signature"]


def test_errors_mirror_the_sync_client(device_address):
    async def main():
        async with roc.aio.Client(device_address) as c:
            device = c["device"]
            with pytest.raises(roc.RemoteError) as caught:
                await device.fail("runtime")
            assert caught.value.code == -32000 and caught.value.data["what"] == "the lamp is broken"
            with pytest.raises(roc.RemoteError) as caught:
                await device.set("firmware", "2")
            assert caught.value.code == -32003
            with pytest.raises(roc.RemoteError) as caught:
                await c.call("device", "nope")
            assert caught.value.code == -32601
            with pytest.raises(roc.ObjectNotFound):
                await c.call("nobody", "rpc.ping")
    run(main())


def test_a_timeout_raises_roc_timeout_and_the_client_goes_on(device_address):
    async def main():
        async with roc.aio.Client(device_address) as c:
            device = c["device"]
            started = time.monotonic()
            with pytest.raises(roc.Timeout, match="'device' to 'sleep_ms' within 0.2 s"):
                await device.with_timeout(0.2).sleep_ms(2000)
            assert time.monotonic() - started < 1.5   # well before the call ends (2 s)
            assert await device.with_timeout(5.0).add(1, 1) == 2
    run(main())


def test_many_calls_in_flight_on_one_socket_each_get_their_own_result(device_address):
    async def main():
        async with roc.aio.Client(device_address, timeout=20.0) as c:
            device = c["device"]
            results = await asyncio.gather(*(device.add(i, 1000) for i in range(500)),
                                           *(c.call("device", "echo_string", f"s{i}") for i in range(100)))
            assert results[:500] == [i + 1000 for i in range(500)]
            assert results[500:] == [f"s{i}" for i in range(100)]
    run(main())


def test_one_way_calls(device_address):
    async def main():
        async with roc.aio.Client(device_address) as c:
            device = c["device"]
            await device.reset()
            for _ in range(3):
                await device.bump.notify()
            await c.notify("device", "bump")
            for _ in range(100):
                if await device.get("counter") == 4:
                    return
                await asyncio.sleep(0.02)
            pytest.fail("four one-way bumps did not arrive")
    run(main())


def test_numpy_in_and_out(broker, object_server, vnir_server):
    object_server("device")

    async def main():
        async with roc.aio.Client(broker.address) as c:
            frame = await c["vnir"].frame()
            assert frame.shape == (768, 1024) and frame.dtype == np.uint16
            values = np.arange(50000, dtype=np.float64)
            back = await c["device"].echo_vector(values)
            assert np.array_equal(back, values) and back.base is not None   # an attachment, in place
    run(main())


def test_close_fails_waiting_calls(device_address):
    async def main():
        c = roc.aio.Client(device_address, timeout=10.0)
        waiting = asyncio.ensure_future(c.call("device", "sleep_ms", 2000))
        await asyncio.sleep(0.3)
        await c.close()
        with pytest.raises(roc.RocError, match="closed"):
            await waiting
        with pytest.raises(roc.RocError, match="closed"):
            await c.call("device", "add", 1, 2)
    run(main())


def test_a_cancelled_call_leaves_the_client_usable(device_address):
    async def main():
        async with roc.aio.Client(device_address) as c:
            task = asyncio.ensure_future(c.call("device", "sleep_ms", 300))
            await asyncio.sleep(0.05)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert c._pending == {}
            assert await c.call("device", "add", 4, 4) == 8
    run(main())


def test_calls_work_again_after_the_broker_restarts(broker, object_server):
    from conftest import wait_for_object
    object_server("device")

    async def main():
        async with roc.aio.Client(broker.address) as c:
            assert await c.call("device", "add", 1, 1) == 2
            broker.restart()
            wait_for_object(broker, "device")
            for _ in range(40):
                try:
                    assert await c.call("device", "add", 2, 3, timeout=0.5) == 5
                    return
                except (roc.Timeout, roc.ObjectNotFound):
                    await asyncio.sleep(0.1)
            pytest.fail("no call went through the restarted broker")
    run(main())


def test_the_broker_comes_from_roc_broker(device_address, monkeypatch):
    monkeypatch.setenv("ROC_BROKER", device_address)

    async def main():
        async with roc.aio.Client() as c:
            assert await c["device"].add(1, 2) == 3
    run(main())


def test_an_object_without_describe_and_a_broken_reply(broker):
    from conftest import wait_for_object
    from test_client import PlainWorker
    worker = PlainWorker(broker, "plain")
    try:
        wait_for_object(broker, "plain")

        async def main():
            async with roc.aio.Client(broker.address) as c:
                plain = c["plain"]
                assert await plain.add(1, 2, 3) == 6            # untyped: no rpc.describe
                assert await plain.describe() == {}
                with pytest.raises(roc.ProtocolError, match="attachment 3"):
                    await c.call("plain", "broken_attachment")
                with pytest.raises(roc.Timeout):
                    await c.call("plain", "broken_json", timeout=0.5)
                assert c.dropped == 1
                assert await plain.add(2, 2) == 4
        run(main())
    finally:
        worker.stop()
