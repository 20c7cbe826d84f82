"""Long calls between C++ and Python, both ways, through rocbroker (idl/PROTOCOL.md §2.6): a Python
caller and the C++ camera's exposure_series; the C++ `roc call` CLI (progress lines, Ctrl-C)
and a Python method; roc-gen reading a Python long method's IDL."""
import json
import signal
import subprocess
import time

import pytest

import roc
from conftest import program, wait_for_object
from test_long_calls_server import Long


@pytest.fixture
def camera(broker, vnir_server):
    with roc.Client(broker.address, timeout=5.0) as client:
        cam = client["vnir"]
        methods = {m["name"]: m for m in cam.describe()["objects"][0]["methods"]}
        assert methods["exposure_series"].get("progress") and methods["exposure_series"].get("cancellable")
        yield cam


def test_a_cpp_method_reports_progress_in_order_before_its_result(camera):
    call = camera.exposure_series.start(5, 20, timeout=10)
    events = list(call.progress(timeout=5))
    means = call.result()
    assert len(means) == 5 and None not in events
    fractions = [p.fraction for p in events]
    assert len(events) == 5 and fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0)


def test_cancelling_a_running_cpp_method_stops_it_at_once(camera):
    call = camera.exposure_series.start(1000, 50, timeout=120)
    assert next(call.progress(timeout=5)) is not None   # it runs
    cancelled_at = time.monotonic()
    call.cancel()
    with pytest.raises(roc.Cancelled):
        call.result(2.0)
    assert time.monotonic() - cancelled_at < 1.0
    camera.with_timeout(1.0).temperature()   # the worker is free: the series stopped


def test_a_timed_out_call_to_a_cpp_method_is_cancelled_there(camera):
    with pytest.raises(roc.Timeout):
        camera.with_timeout(0.3).exposure_series(1000, 50)
    started = time.monotonic()
    camera.with_timeout(2.0).temperature()   # not behind 50 s of exposures
    assert time.monotonic() - started < 1.0


# --- the C++ CLI calling a Python method ------------------------------------------------------

@pytest.fixture
def python_device(broker):
    device = Long()
    server = roc.Server(broker.address, heartbeat=0.25).publish("long", device).start()
    wait_for_object(broker, "long")
    yield device
    server.stop()


def test_roc_call_prints_the_progress_of_a_python_method(broker, python_device):
    done = subprocess.run([program("roc"), "--broker", broker.address, "--timeout", "10", "call", "--progress",
                           "long", "count", "[5]"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "5"
    assert "roc: progress 100% step 5 of 5" in done.stderr   # not a terminal: one plain line per event


def test_ctrl_c_on_roc_call_cancels_the_python_method(broker, python_device, spawn):
    process = spawn([program("roc"), "--broker", broker.address, "--timeout", "60", "call", "long", "wait",
                     "[30]"])
    assert python_device.started.wait(10)
    interrupted = time.monotonic()
    process.popen.send_signal(signal.SIGINT)
    assert process.popen.wait(5) == 130, process.output
    assert time.monotonic() - interrupted < 3.0
    deadline = time.monotonic() + 2
    while python_device.saw_cancel is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert python_device.saw_cancel is not None   # the method saw the cancel
    assert "roc: cancelled the call to 'long.wait'" in process.output


def test_roc_gen_makes_a_cpp_proxy_that_can_start_a_python_long_method(tmp_path):
    """The IDL of a Python method that takes a context (progress, cancellable) is what roc-gen
    reads: its proxy gets start_<name>."""
    path = tmp_path / "long.idl.json"
    path.write_text(json.dumps(roc.describe(Long(), properties=[])))
    generated = subprocess.run([program("roc-gen"), str(path), "-o", str(tmp_path / "long.roc.hpp")],
                               capture_output=True, text=True, timeout=60)
    assert generated.returncode == 0, generated.stderr
    header = (tmp_path / "long.roc.hpp").read_text()
    assert "start_count(" in header and "start_mark(" not in header
