"""Python log records through a real broker: read by the C++ `roc logs` and `roc-logdump`, C++
records read by roc.logs.LogSubscription, hostile bodies dropped and counted (PROTOCOL §5.1)."""
from __future__ import annotations

import json
import logging
import re
import threading
import time

import pytest
import zmq

import roc
from conftest import program, wait_until
from roc.logs import LogHandler, LogSubscription, RocLogger, initRocLogging, level_name, parse_record

TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


@pytest.fixture
def logger(request):
    """A fresh logger at DEBUG whose handlers are removed (and closed) at teardown."""
    log = logging.getLogger(f"roc-test.{request.node.name}")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    yield log
    for handler in list(log.handlers):
        log.removeHandler(handler)
        handler.close()


def publish_until(log: logging.Logger, seen, what: str, level=logging.WARNING, timeout=10.0,
                  text="record {}") -> int:
    """Logs a numbered record every 50 ms until `seen()` holds: a subscriber gets only what is
    published after its subscription reached the publisher. Returns how many were logged."""
    deadline = time.monotonic() + timeout
    n = 0
    while not seen():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout} s for {what}")
        log.log(level, text.format(n))
        n += 1
        time.sleep(0.05)
    return n


def test_python_levels_map_to_spdlog_names():
    assert [level_name(n) for n in (5, 10, 20, 25, 30, 40, 50, 60)] == [
        "trace", "debug", "info", "info", "warning", "error", "critical", "critical"]


def test_a_node_with_a_dot_is_refused(broker):
    with pytest.raises(ValueError, match="without dots"):
        LogHandler("a.b", broker.endpoints)


def test_python_records_are_shown_by_roc_logs(broker, spawn, logger):
    logger.addHandler(LogHandler("py-node", broker.endpoints))
    viewer = spawn([program("roc"), "--broker", broker.address, "--timeout", "20", "logs",
                    "--level", "warning", "--node", "py-node"])
    line_of_log_call = None

    def shown():
        return any("stage stuck" in line for line in viewer.lines)

    deadline = time.monotonic() + 10
    while not shown():
        assert time.monotonic() < deadline, f"roc logs showed nothing:\n{viewer.output}"
        logger.info("below the level, never shown")
        line_of_log_call = _line() + 1
        logger.warning("stage stuck at %.1f mm", 12.5)
        time.sleep(0.05)
    viewer.stop()
    line = next(l for l in viewer.lines if "stage stuck" in l)
    # `<ts> WARNING  py-node <logger>: <msg> (file:line)`, as format_log_line prints it.
    match = re.match(r"^(\S+) WARNING\s+py-node (\S+): stage stuck at 12\.5 mm \((\S+):(\d+)\)$", line)
    assert match, line
    assert TS.match(match.group(1))
    assert match.group(2) == logger.name
    assert match.group(3) == "test_logs.py" and int(match.group(4)) == line_of_log_call
    assert not any("never shown" in l for l in viewer.lines)


def _line() -> int:
    """The line number of the caller."""
    import inspect
    return inspect.currentframe().f_back.f_lineno


def test_python_records_are_written_by_roc_logdump_with_every_field(broker, spawn, logger, tmp_path):
    logger.addHandler(LogHandler("py-dump", broker.endpoints))
    spawn([program("roc-logdump"), "--broker", broker.address, "--dir", str(tmp_path),
           "--node", "py-dump"])

    def lines():
        return [json.loads(l) for f in sorted(tmp_path.glob("*.jsonl")) for l in f.read_text().splitlines()]

    publish_until(logger, lambda: any(r["msg"].startswith("dumped") for r in lines()), "roc-logdump",
                  level=logging.ERROR, text="dumped {}")
    record = next(r for r in lines() if r["msg"].startswith("dumped"))
    assert set(record) == {"ts", "level", "node", "logger", "msg", "file", "line", "thread"}
    assert TS.match(record["ts"]) and record["level"] == "error" and record["node"] == "py-dump"
    assert record["logger"] == logger.name and record["file"] == "test_logs.py"
    assert isinstance(record["line"], int) and record["line"] > 0
    assert record["thread"] == threading.get_native_id()  # the OS thread id, as C++ sends
    assert abs(time.time() - _epoch(record["ts"])) < 30


def _epoch(ts: str) -> float:
    import calendar
    return calendar.timegm(time.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S")) + float("0" + ts[19:-1])


def test_an_exception_travels_with_its_traceback(broker, logger):
    logger.addHandler(LogHandler("py-exc", broker.endpoints))
    with LogSubscription("error", "py-exc", broker.endpoints, timeout=0.05) as sub:
        got = []

        def seen():
            record = sub.next()
            if record:
                got.append(record)
            return bool(got)

        deadline = time.monotonic() + 10
        while not seen():
            assert time.monotonic() < deadline
            try:
                raise KeyError("lens")
            except KeyError:
                logger.exception("grab failed")
    assert got[0]["msg"].startswith("grab failed\nTraceback")
    assert "KeyError: 'lens'" in got[0]["msg"]


def test_cxx_records_are_read_by_the_python_subscription(broker, spawn):
    with LogSubscription("info", "vnir-server", broker.endpoints, timeout=0.2) as sub:
        # The subscription must be at the broker before the server's first record: the broker
        # passes it on to the server's publisher when that connects.
        wait_until(lambda: sub.connected, "the handshake with the broker")
        time.sleep(0.2)
        server = spawn([program("vnir-server"), "--broker", broker.address])
        records = []
        deadline = time.monotonic() + 20
        while not any("publishing 'vnir'" in r["msg"] for r in records):
            assert time.monotonic() < deadline, f"no start record; got {records}"
            r = sub.next()
            if r:
                records.append(r)
        server.stop()  # logs "stopped", then drains its queue before it exits
        while not any(r["msg"] == "stopped" for r in records):
            assert time.monotonic() < deadline + 5, f"no 'stopped' record; got {records}"
            r = sub.next()
            if r:
                records.append(r)
        assert sub.dropped == 0
    start = next(r for r in records if "publishing 'vnir'" in r["msg"])
    assert start["node"] == "vnir-server" and start["level"] == "info"
    assert TS.match(start["ts"]) and isinstance(start["thread"], int)


def test_the_level_and_node_filters_select_by_exact_node(broker, logger):
    handler_cam = LogHandler("cam", broker.endpoints)
    handler_camera = LogHandler("camera", broker.endpoints)
    other = logging.getLogger(logger.name + ".camera")
    other.propagate = False
    other.addHandler(handler_camera)
    logger.addHandler(handler_cam)
    try:
        with LogSubscription("warning", ["cam"], broker.endpoints, timeout=0.05) as sub:
            got = []

            def seen():
                r = sub.next()
                if r:
                    got.append(r)
                return any(x["msg"].startswith("cam ") for x in got)

            deadline = time.monotonic() + 10
            while not seen():
                assert time.monotonic() < deadline
                other.error("camera record")
                logger.info("cam info")
                logger.warning("cam warning")
                time.sleep(0.05)
            for _ in range(5):
                other.error("camera record")
                logger.info("cam info")
                seen()
        assert {r["node"] for r in got} == {"cam"}
        assert {r["msg"] for r in got} == {"cam warning"}
    finally:
        other.removeHandler(handler_camera)
        handler_camera.close()


def test_many_threads_log_at_once_and_every_record_arrives(broker, logger):
    handler = LogHandler("threads", broker.endpoints)
    logger.addHandler(handler)
    with LogSubscription("info", "threads", broker.endpoints, timeout=0.05) as sub:
        publish_until(logger, lambda: sub.next() is not None, "the first record", text="probe {}")
        while sub.next() is not None:
            pass
        threads, per_thread = 8, 250

        def work(t):
            for i in range(per_thread):
                logger.info("t%d-%d", t, i)

        workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(30)
        assert handler.drain(10)
        got = set()
        deadline = time.monotonic() + 10
        while len(got) < threads * per_thread and time.monotonic() < deadline:
            r = sub.next()
            if r and not r["msg"].startswith("probe"):
                assert r["msg"] not in got, "a record arrived twice"
                got.add(r["msg"])
    assert len(got) == threads * per_thread
    assert handler.dropped == 0


def test_logging_without_a_broker_never_blocks_and_counts_drops(logger):
    with zmq.Context() as ctx:
        probe = ctx.socket(zmq.REP)
        port = probe.bind_to_random_port("tcp://127.0.0.1")
        probe.close()  # a port where nothing listens
        handler = LogHandler("lonely", f"127.0.0.1:{port - 1}", ctx=ctx, capacity=100)
        logger.addHandler(handler)
        worst = 0.0
        for i in range(1000):
            start = time.perf_counter()
            logger.error("nobody hears %d", i)
            worst = max(worst, time.perf_counter() - start)
        assert handler.dropped == 900  # the queue holds 100; the rest are counted
        assert worst < 0.05, f"a log call took {worst * 1000:.1f} ms"
        assert not handler.connected
        start = time.monotonic()
        logger.removeHandler(handler)
        handler.close()  # drains for at most 1 s, then gives up
        assert time.monotonic() - start < 3


def test_records_logged_before_close_are_delivered(broker, logger):
    with LogSubscription("info", "short-lived", broker.endpoints, timeout=0.1) as sub:
        # Wait until the subscription is at the broker: a probe handler's record comes through.
        probe = LogHandler("short-lived", broker.endpoints)
        logger.addHandler(probe)
        publish_until(logger, lambda: sub.next() is not None, "a probe record", text="probe {}")
        logger.removeHandler(probe)
        probe.close()
        while sub.next() is not None:
            pass
        handler = LogHandler("short-lived", broker.endpoints)
        logger.addHandler(handler)
        logger.info("last words")
        logger.removeHandler(handler)
        handler.close()  # right away: close waits for the broker and sends the queue
        got = [sub.next(2.0)]
    assert got[0] and got[0]["msg"] == "last words"


HOSTILE = [
    b"not json",
    b"[" * 100000 + b"]" * 100000,                               # 100k levels deep
    b"[" * 257 + b"]" * 257,                                     # just over 256
    b'"a string, not an object"',
    b'{"ts":"2026-11-22T02:31:07.854123Z","level":"info","node":"evil"}',            # no msg
    b'{"ts":"2026-11-22T02:31:07.854123Z","level":"loud","node":"evil","msg":"x"}',  # bad level
    b'{"ts":"yesterday","level":"info","node":"evil","msg":"x"}',                    # bad ts
    b'{"ts":"2026-13-22T02:31:07Z","level":"info","node":"evil","msg":"x"}',         # month 13
    b'{"ts":"2026-11-22T02:31:07Z","level":"info","node":"evil","msg":5}',           # msg type
    b'{"ts":"2026-11-22T02:31:07Z","level":"info","node":"evil","msg":"x","line":"7"}',
    b'{"ts":"2026-11-22T02:31:07Z","level":"info","node":"evil","msg":"x","line":7.5}',
    b'{"ts":"2026-11-22T02:31:07Z","level":"info","node":"evil","msg":"x","thread":-1}',
    b'{"ts":"2026-11-22T02:31:07Z","level":"info","node":"evil","msg":"x","file":3}',
    b'{"ts":"2026-11-22T02:31:07Z","level":"info","node":"","msg":"x"}',             # empty node
    b'{"ts":"2026-11-22T02:31:07Z","level":"info","node":"evil","msg":NaN}',         # not strict
    b'{"ts":"2026-11-22T02:31:07Z","level":"info","node":"evil","msg":"' + b"x" * (1 << 20) + b'"}',
    b"\xff\xfe not utf-8",
]
GOOD = b'{"ts":"2026-11-22T02:31:07.854123Z","level":"warn","node":"evil","msg":"good %d"}'


def test_hostile_log_bodies_are_dropped_and_counted_while_good_ones_arrive(broker):
    with zmq.Context() as ctx, LogSubscription("trace", None, broker.endpoints, timeout=0.1) as sub:
        # A raw publisher as any peer could write it; XPUB so it sees the subscription arrive.
        pub = ctx.socket(zmq.XPUB)
        pub.linger = 1000
        pub.connect(broker.endpoints.publish)
        seen_log_subscription = []
        wait_until(lambda: _subscribed(pub, b"\x01log.", seen_log_subscription),
                   "the subscriber's log. subscription at the publisher")
        for i, body in enumerate(HOSTILE):
            pub.send_multipart([b"log.info.evil", body])
            pub.send_multipart([b"log.warning.evil", GOOD.replace(b"%d", str(i).encode())])
        pub.send_multipart([b"log.info.evil"])  # no body frame at all
        pub.send_multipart([b"log.info.evil", GOOD.replace(b"%d", b"last"), b"extra frame"])
        got = []
        deadline = time.monotonic() + 10
        while not any(r["msg"] == "good last" for r in got):
            assert time.monotonic() < deadline, f"got {got}, dropped {sub.dropped}"
            r = sub.next()
            if r:
                got.append(r)
        pub.close()
    assert [r["msg"] for r in got] == [f"good {i}" for i in range(len(HOSTILE))] + ["good last"]
    assert got[0]["level"] == "warn"  # spdlog's short form is a level too
    assert sub.dropped == len(HOSTILE) + 1


def _subscribed(socket, wanted: bytes, seen: list) -> bool:
    while socket.poll(10):
        seen.append(socket.recv())
    return wanted in seen


def test_parse_record_applies_the_same_rules():
    with pytest.raises(roc.ProtocolError):
        parse_record(HOSTILE[4])
    assert parse_record(GOOD)["level"] == "warn"


def test_the_original_names_log_to_the_xsub_endpoint(broker, logger):
    ep = roc.Endpoints(broker.address)
    handler = RocLogger("orig-node", ep.generalXSUB)  # a "tcp://" endpoint, as the original passed
    assert handler._publisher.address == ep.generalXSUB
    logger.addHandler(handler)
    with LogSubscription("info", "orig-node", ep, timeout=0.05) as sub:
        publish_until(logger, lambda: sub.next() is not None, "a RocLogger record", logging.INFO)


def test_init_roc_logging_installs_one_handler_on_the_root_logger(broker):
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    try:
        first = initRocLogging("init-node", broker.address)
        assert initRocLogging("init-node", broker.address) is first
        assert [h for h in root.handlers if isinstance(h, LogHandler)] == [first]
        assert isinstance(first, RocLogger) and root.level <= logging.INFO
        with LogSubscription("info", "init-node", broker.endpoints, timeout=0.05) as sub:
            publish_until(logging.getLogger("some.module"), lambda: sub.next() is not None,
                          "a record through the root logger", logging.INFO)
    finally:
        for h in root.handlers[:]:
            if h not in before:
                root.removeHandler(h)
                h.close()
        root.setLevel(level)


def test_a_log_subscription_says_whether_the_broker_is_there(broker):
    with LogSubscription(endpoints=broker.endpoints, timeout=0.1) as sub:
        wait_until(lambda: sub.connected, "the handshake with the broker")
        assert sub.next() is None  # nothing logged: the timeout gives control back


def test_a_record_that_cannot_be_formatted_is_reported_not_raised(broker, logger, capsys):
    logger.addHandler(LogHandler("bad-format", broker.endpoints))
    logger.error("%d frames", "not a number")  # no exception here
    assert "Logging error" in capsys.readouterr().err
