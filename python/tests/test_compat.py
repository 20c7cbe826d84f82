"""The original ROC's names and its documented example, unchanged, against a roc broker and the
C++ `vnir` server."""
import os
import socket
import subprocess
import sys
import textwrap
import time

import pytest

import roc
from conftest import REPO, Broker, program, wait_for_object

# The original ROC's documented example, verbatim.
EXAMPLE = """\
from roc import *
ep = Endpoints('localhost'); c = RocClient(ep); vnir = c['vnir']; vnir.open_shutter(); vnir.fps
"""


def run_python(code: str, timeout: float = 20.0) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO / "python")}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout, env=env)


def port_is_free(port: int) -> bool:
    """Whether a listener could bind `port` (as ZeroMQ binds: connections of an earlier run that
    linger in TIME_WAIT do not count)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def test_the_original_example_runs_unchanged_on_the_default_port(spawn):
    if not all(port_is_free(p) for p in (5555, 5556, 5557)):
        pytest.skip("ports 5555-5557 are in use on this machine; the example needs the default port")
    broker = Broker(port=5555)
    try:
        spawn([program("vnir-server"), "--broker", broker.address])
        wait_for_object(broker, "vnir")
        result = run_python(EXAMPLE + "print(repr(vnir.fps), vnir.shutter_open)\n")
        assert result.returncode == 0, result.stderr
        fps, shutter_open = result.stdout.split()
        assert float(fps) > 0 and shutter_open == "True"
    finally:
        broker.stop()


def test_the_original_names_call_log_and_watch_status(broker, vnir_server):
    ep = roc.Endpoints("127.0.0.1", broker.port)
    assert (ep.rocBroker, ep.generalXSUB, ep.generalXPUB) == (ep.calls, ep.publish, ep.subscribe)
    c = roc.RocClient(ep, timeout=3.0)
    try:
        vnir = c["vnir"]
        vnir.open_shutter()
        assert vnir.shutter_open is True
        vnir.fps = 25.0
        assert vnir.fps == 25.0
    finally:
        c.close()

    updater = roc.RocStatusUpdater(ep.generalXSUB)
    updates = roc.statusUpdateIterator(ep.generalXPUB, mask="compat", timeout=0.5)
    deadline = time.monotonic() + 10
    seen = None
    while time.monotonic() < deadline and seen is None:
        updater.emit("compat.sensor", {"t": 1.5})
        for sensor, data in updates:
            if sensor is not None and "compat" in sensor:
                seen = (sensor, data)
            break
    assert seen is not None


def test_run_simple_server_publishes_an_object_with_distributed_logging(broker, spawn, tmp_path):
    script = tmp_path / "simple.py"
    script.write_text(textwrap.dedent("""\
        import logging
        from roc import run_simple_server

        class Lamp:
            def __init__(self):
                self.on = False

            def switch(self, on: bool) -> bool:
                logging.getLogger("lamp").warning("lamp switched %s", "on" if on else "off")
                self.on = on
                return self.on

        run_simple_server("lamp", Lamp())
        """))
    env = {**os.environ, "PYTHONPATH": str(REPO / "python"), "ROC_BROKER": broker.address}
    server = spawn([sys.executable, str(script)], env=env)
    wait_for_object(broker, "lamp")
    logs = subprocess.Popen([program("roc"), "--broker", broker.address, "--timeout", "4", "logs"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    time.sleep(0.5)  # the subscription must reach the broker before the record is published
    with roc.RocClient(roc.Endpoints(broker.address)) as client:
        assert client["lamp"].switch(True) is True
    out, _ = logs.communicate(timeout=10)
    assert "lamp switched on" in out and "lamp" in out
    server.stop()
    assert server.popen.returncode in (0, -15)
