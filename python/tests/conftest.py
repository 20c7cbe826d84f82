"""Fixtures: the real C++ programs (rocbroker, vnir-server, the test object server, roc, roc-gen)
on free 127.0.0.1 ports, started per test and stopped at teardown.

The C++ build is found in $ROC_BUILD_DIR, else <repo>/build (scripts/test.sh builds it first).
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, List, Optional

import pytest
import zmq

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "python"))

import roc  # noqa: E402  (after the path above, so the tests use this checkout)

BUILD = Path(os.environ.get("ROC_BUILD_DIR") or REPO / "build")
PROGRAMS = {
    "rocbroker": "runtime/apps/rocbroker",
    "roc": "runtime/apps/roc",
    "roc-logdump": "runtime/apps/roc-logdump",
    "roc-gen": "codegen/roc-gen",
    "vnir-server": "samples/vnir/vnir-server",
    "vnir-client": "samples/vnir/vnir-client",
    "roc_test_object_server": "tests/roc_test_object_server",
}
START_TIMEOUT = 10.0


def program(name: str) -> str:
    """The path of a built C++ program; fails the test with the build to run when it is missing."""
    path = BUILD / PROGRAMS.get(name, name)
    if not path.exists():
        pytest.fail(f"{path} is not built: run scripts/build.sh (or set ROC_BUILD_DIR)")
    return str(path)


# Tests leave nothing behind (issue 13, point 7). The session runs with TMPDIR set to a directory
# of its own, so every file a test, a fixture or a spawned program makes lands there; tmp_path
# lives there too unless --basetemp says otherwise. At the end, anything but tmp_path's directory
# still there fails the session, and the whole directory is removed either way.
_session_tmp: Optional[Path] = None
_pytest_tmp: Optional[Path] = None


@pytest.hookimpl(tryfirst=True)  # before pytest's tmp_path plugin reads --basetemp
def pytest_configure(config) -> None:
    global _session_tmp, _pytest_tmp
    _session_tmp = Path(tempfile.mkdtemp(prefix="roc-pytest-"))
    os.environ["TMPDIR"] = str(_session_tmp)
    tempfile.tempdir = str(_session_tmp)
    if not config.option.basetemp:
        _pytest_tmp = _session_tmp / "tmp_path"
        config.option.basetemp = str(_pytest_tmp)


def pytest_sessionfinish(session, exitstatus) -> None:
    if _session_tmp is None:
        return
    left = sorted(p.name for p in _session_tmp.iterdir() if _pytest_tmp is None or p != _pytest_tmp)
    shutil.rmtree(_session_tmp, ignore_errors=True)
    if left:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = f"the tests left these in their TMPDIR ({_session_tmp}, now removed): {', '.join(left)}"
        if reporter:
            reporter.write_line(message, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


class FakeRouter:
    """A bare ROUTER on a free 127.0.0.1 port: the broker in tests that need one to do what roc's
    never does (refuse, stay silent, send garbage, hold a call). A context manager."""

    def __init__(self) -> None:
        import zmq
        self.socket = zmq.Context.instance().socket(zmq.ROUTER)
        self.socket.linger = 0
        port = self.socket.bind_to_random_port("tcp://127.0.0.1")
        self.address = f"127.0.0.1:{port}"

    def close(self) -> None:
        self.socket.close()

    def __enter__(self) -> "FakeRouter":
        return self

    def __exit__(self, *_) -> None:
        self.close()


class Process:
    """A child process whose output is collected, so a failing test can show it."""

    def __init__(self, args: List[str], env: Optional[dict] = None) -> None:
        self.args = args
        self.lines: List[str] = []
        self._changed = threading.Condition()
        self.popen = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL, text=True, env=env,
                                      start_new_session=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.popen.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout: float = START_TIMEOUT) -> re.Match:
        """The first output line matching `pattern`; fails after `timeout` seconds saying what it
        waited for."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines:
                    match = regex.search(line)
                    if match:
                        return match
                left = deadline - time.monotonic()
                if left <= 0 or (self.popen.poll() is not None and not self._reader_alive()):
                    pytest.fail(f"{Path(self.args[0]).name} printed no line matching {pattern!r} "
                                f"within {timeout} s; output:\n{self.output}")
                self._changed.wait(min(left, 0.1))

    def _reader_alive(self) -> bool:
        return not self.popen.stdout.closed

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 5.0) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(sig)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        return self.popen.returncode

    def kill(self) -> None:
        self.stop(signal.SIGKILL)


class Broker:
    """A rocbroker on a free 127.0.0.1 port; restart() brings it back on the same port."""

    def __init__(self, extra: Optional[List[str]] = None, port: int = 0) -> None:
        self.extra = extra or []
        self.port = port  # 0: a free one, picked by the broker
        self.process: Optional[Process] = None
        self.start()

    def start(self) -> None:
        self.process = Process([program("rocbroker"), "--bind", f"127.0.0.1:{self.port}",
                                "--heartbeat-ms", "250", "--grace-ms", "1000"] + self.extra)
        match = self.process.wait_for(r"rocbroker: calls tcp://127\.0\.0\.1:(\d+)")
        self.port = int(match.group(1))

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def endpoints(self) -> roc.Endpoints:
        return roc.Endpoints(self.address)

    def stop(self) -> None:
        if self.process:
            self.process.stop()

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def broker():
    broker = Broker()
    yield broker
    broker.stop()


@pytest.fixture
def make_broker():
    """Brokers with extra options, e.g. make_broker(["--cert", path])."""
    brokers: List[Broker] = []

    def make(extra: Optional[List[str]] = None) -> Broker:
        brokers.append(Broker(extra))
        return brokers[-1]

    yield make
    for b in brokers:
        b.stop()


@pytest.fixture
def spawn():
    """spawn(args, env=None) → a started Process, stopped at teardown."""
    processes: List[Process] = []

    def start(args: List[str], env: Optional[dict] = None) -> Process:
        processes.append(Process(args, env))
        return processes[-1]

    yield start
    for p in processes:
        p.stop()


def free_base_port() -> int:
    """A port with the two above it free too, for a broker started later on a known port. Taken
    below Linux's ephemeral range (32768 and up), where outgoing connections of other tests take
    their local ports and could be holding base + 1 or base + 2 by the time the broker binds."""
    with zmq.Context() as ctx:
        for _ in range(50):
            probes = [ctx.socket(zmq.ROUTER) for _ in range(3)]
            try:
                for probe in probes:
                    probe.linger = 0
                base = probes[0].bind_to_random_port("tcp://127.0.0.1", min_port=20000, max_port=32000)
                probes[1].bind(f"tcp://127.0.0.1:{base + 1}")
                probes[2].bind(f"tcp://127.0.0.1:{base + 2}")
                return base
            except zmq.ZMQError:
                continue
            finally:
                for probe in probes:
                    probe.close()
    raise RuntimeError("no free port with two free ports above it")


def wait_until(condition: Callable[[], bool], what: str, timeout: float = START_TIMEOUT) -> None:
    """Polls `condition` until it holds; fails after `timeout` saying what it waited for."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout} s for {what}")
        time.sleep(0.02)


def connected_updater(broker: "Broker", program: str = "roc-test") -> roc.StatusUpdater:
    """A StatusUpdater the broker has subscribed to, so nothing it emits is lost to the join."""
    updater = roc.StatusUpdater(broker.endpoints, program=program)
    assert updater.flush(5), "the broker never subscribed to the updater"
    return updater


def emit_seen(broker: "Broker", updater: roc.StatusUpdater, numbers) -> None:
    """Emits test.counter = each number, and waits until a witness subscriber saw the last one."""
    with roc.StatusSubscription("test.counter", broker.endpoints, timeout=0.2) as witness:
        wait_until(lambda: witness.next() and witness.synced, "the witness's snapshot")
        last = None
        for n in numbers:
            updater.emit("test.counter", n)
            last = n
        wait_until(lambda: (witness.next() or True) and witness.tree.get("test", {}).get("counter") == last,
                   f"the broker to relay test.counter = {last}")


def wait_for_object(broker: Broker, object_id: str, timeout: float = START_TIMEOUT,
                    endpoints: Optional[roc.Endpoints] = None) -> None:
    """Waits until the broker has a worker for `object_id` (8/MMI mmi.service, over raw zmq;
    `endpoints` gives the credentials for a broker that wants CURVE)."""
    import zmq

    ctx = zmq.Context.instance()
    endpoints = endpoints or broker.endpoints
    deadline = time.monotonic() + timeout
    while True:
        socket = endpoints.socket(ctx, zmq.DEALER)
        try:
            socket.connect(endpoints.calls)
            socket.send_multipart([b"", b"MDPC01", b"mmi.service", object_id.encode()])
            if socket.poll(1000):
                if socket.recv_multipart()[-1] == b"200":
                    return
        finally:
            socket.close()
        if time.monotonic() > deadline:
            pytest.fail(f"no worker for '{object_id}' registered with the broker within {timeout} s")
        time.sleep(0.05)


@pytest.fixture
def vnir_server(broker, spawn):
    """The sample camera, published as 'vnir'."""
    process = spawn([program("vnir-server"), "--broker", broker.address])
    wait_for_object(broker, "vnir")
    return process


@pytest.fixture
def object_server(broker, spawn):
    """object_server(id="device") → the test Device of tests/support (every type of the README's Types)."""

    def start(object_id: str = "device", tag: str = "child") -> Process:
        process = spawn([program("roc_test_object_server"), broker.address, object_id, tag])
        wait_for_object(broker, object_id)
        return process

    return start
