"""`roc web`'s HTTP API (docs/console.md), over real sockets: the console as its own process, a live
broker and the sample camera; every endpoint, the event stream, and the checks that keep a
browser or a peer from harming it (token, Host, CSRF header, body size, bad JSON)."""
from __future__ import annotations

import http.client
import json
import logging
import os
import queue
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib
from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np
import pytest
import zmq

import roc
from roc.console import hub as hub_module
from roc.console.png import png_of
from roc.console.security import host_allowed, parse_listen
from roc.console.shown import BIG_ARRAY, ImageStore, shown

from conftest import REPO, connected_updater, emit_seen, program, wait_until

PYTHON = str(REPO / "python")
WAIT = 10.0   # seconds any one thing may take to show up


def console_env(**extra: str) -> Dict[str, str]:
    env = dict(os.environ, PYTHONPATH=PYTHON)
    env.pop("ROC_WEB_TOKEN", None)
    env.update(extra)
    return env


class Web:
    """A running `roc web` and a small HTTP client for it."""

    def __init__(self, process: Any) -> None:
        self.process = process
        match = process.wait_for(r"roc web: serving http://([^/]+)/")
        self.host, _, port = match.group(1).rpartition(":")
        self.port = int(port)

    def request(self, method: str, path: str, body: Any = None, headers: Optional[Dict[str, str]] = None,
                raw: Optional[bytes] = None) -> Tuple[int, Dict[str, str], bytes]:
        send = {"X-Roc-Console": "1"} if method in ("POST", "PUT") else {}
        send.update(headers or {})
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        connection = http.client.HTTPConnection(self.host, self.port, timeout=WAIT)
        try:
            connection.request(method, path, body=data, headers=send)
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def json(self, method: str, path: str, body: Any = None, status: int = 200, **kwargs: Any) -> Any:
        code, headers, data = self.request(method, path, body, **kwargs)
        assert code == status, f"{method} {path}: {code} {data[:500]!r}"
        assert headers["content-type"].startswith("application/json")
        return json.loads(data)

    def get(self, path: str, status: int = 200, **kwargs: Any) -> Any:
        return self.json("GET", path, status=status, **kwargs)


class EventStream:
    """GET /api/events read in a thread: (event, data) pairs on a queue."""

    def __init__(self, web: Web, headers: Optional[Dict[str, str]] = None) -> None:
        self.connection = http.client.HTTPConnection(web.host, web.port, timeout=WAIT * 3)
        self.connection.request("GET", "/api/events", headers=headers or {})
        self.response = self.connection.getresponse()
        assert self.response.status == 200
        assert self.response.getheader("Content-Type").startswith("text/event-stream")
        self.events: "queue.Queue[Tuple[str, Any]]" = queue.Queue()
        self.ended = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        name, data = "message", []
        try:
            for line in self.response:
                line = line.decode("utf-8").rstrip("\n")
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    data.append(line[6:])
                elif not line and data:
                    self.events.put((name, json.loads("\n".join(data))))
                    name, data = "message", []
        except (OSError, ValueError):
            pass
        finally:
            self.ended.set()

    def wait_for(self, condition: Callable[[str, Any], bool], what: str, timeout: float = WAIT,
                 meanwhile: Optional[Callable[[], None]] = None) -> Any:
        """The data of the first event that meets `condition`; runs `meanwhile` every half second."""
        deadline = time.monotonic() + timeout
        next_nudge = 0.0
        while time.monotonic() < deadline:
            if meanwhile is not None and time.monotonic() >= next_nudge:
                meanwhile()
                next_nudge = time.monotonic() + 0.5
            try:
                name, data = self.events.get(timeout=0.1)
            except queue.Empty:
                continue
            if condition(name, data):
                return data
        pytest.fail(f"no event stream event {what} within {timeout} s")

    def close(self) -> None:
        self.connection.close()


@pytest.fixture
def start_web(broker, spawn, tmp_path):
    """start_web(*extra, env=None) → a Web on a free port with its archive in tmp_path."""

    def start(*extra: str, env: Optional[Dict[str, str]] = None) -> Web:
        args = [sys.executable, "-m", "roc.console", "web", "--listen", "127.0.0.1:0", "--broker",
                broker.address, "--archive", str(tmp_path / "a.sqlite"), *extra]
        return Web(spawn(args, env=env or console_env()))

    return start


@pytest.fixture
def web(start_web, vnir_server):
    return start_web()


def read_png(data: bytes) -> np.ndarray:
    """Decodes an 8-bit grayscale PNG as png.py writes it, checking every chunk's CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks = 8, {}
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        crc, = struct.unpack(">I", data[position + 8 + length:position + 12 + length])
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, f"bad CRC in {kind!r}"
        chunks[kind] = chunks.get(kind, b"") + body
        position += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, color) == (8, 0) and b"IEND" in chunks
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), dtype=np.uint8).reshape(height, width + 1)
    assert not rows[:, 0].any(), "png.py writes filter type 0 only"
    return rows[:, 1:]


# --- objects, properties, calls -------------------------------------------------------------------

def test_info_names_the_broker_and_the_archive(web, broker, tmp_path):
    info = web.get("/api/info")
    assert info == {"version": roc.__version__, "broker": broker.address,
                    "archive": str(tmp_path / "a.sqlite"), "recording": True}


def test_objects_lists_the_camera_with_its_worker(web):
    objects = web.get("/api/objects")["objects"]
    assert [o["id"] for o in objects] == ["vnir"]
    worker, = objects[0]["workers"]
    assert worker["program"] == "vnir-server" and worker["pid"] > 0
    assert set(worker) == {"host", "pid", "program", "uptime", "calls", "in_flight"}


def test_an_objects_page_has_its_describe_and_property_values(web):
    page = web.get("/api/objects/vnir")
    assert page["id"] == "vnir"
    assert page["describe"]["objects"][0]["name"] == "lab::VnirCamera"
    assert page["properties"]["fps"] == 100.0 and page["properties"]["shutter_open"] is False
    assert web.get("/api/objects/vnir/properties") == page["properties"]


def test_an_unknown_object_is_404(web):
    for method, path in (("GET", "/api/objects/nobody"), ("GET", "/api/objects/nobody/properties"),
                         ("POST", "/api/objects/nobody/call/ping"),
                         ("PUT", "/api/objects/nobody/properties/fps")):
        answer = web.json(method, path, {"value": 1} if method == "PUT" else {}, status=404)
        assert "nobody" in answer["error"]["message"]
    for odd in ("x" * 60000, "%00%ff%2F..", "vnir%20", "%E2%80%AE"):
        web.get(f"/api/objects/{odd}", status=404)
    web.json("POST", "/api/objects/%00%ff%2F../call/temperature", {}, status=404)


def test_an_unreachable_broker_is_502(spawn, tmp_path):
    web = Web(spawn([sys.executable, "-m", "roc.console", "web", "--listen", "127.0.0.1:0", "--broker",
                     "127.0.0.1:1", "--archive", str(tmp_path / "a.sqlite")], env=console_env()))
    for method, path in (("GET", "/api/objects"), ("GET", "/api/objects/vnir"),
                         ("POST", "/api/objects/vnir/call/frame")):
        assert "broker unreachable" in web.json(method, path, {}, status=502)["error"]["message"]
    assert web.get("/api/status") == {"tree": {}, "sources": {}}


def test_a_call_returns_its_result(web):
    assert isinstance(web.json("POST", "/api/objects/vnir/call/temperature", {})["result"], float)
    web.json("POST", "/api/objects/vnir/call/set_roi",
             {"params": {"roi": {"x": 0, "y": 0, "width": 8, "height": 4}}})
    assert web.json("POST", "/api/objects/vnir/call/roi", {"params": []})["result"] == \
        {"x": 0, "y": 0, "width": 8, "height": 4}


def test_a_remote_error_comes_back_as_200_with_its_code(web):
    answer = web.json("POST", "/api/objects/vnir/call/grab", {"params": [0]})
    assert answer["error"]["code"] == -32000 and "lines" in answer["error"]["message"]
    assert answer["error"]["data"]["type"] == "std::invalid_argument"


def test_a_call_that_outlasts_its_timeout_is_504(web):
    answer = web.json("POST", "/api/objects/vnir/call/expose", {"params": [1500], "timeout": 0.3}, status=504)
    assert "0.3" in answer["error"]["message"]


def test_a_property_set_is_read_back(web):
    assert web.json("PUT", "/api/objects/vnir/properties/fps", {"value": 25}) == {"value": 25.0}
    assert web.get("/api/objects/vnir/properties")["fps"] == 25.0
    refused = web.json("PUT", "/api/objects/vnir/properties/shutter_open", {"value": True})
    assert refused["error"]["code"] == -32003


def test_a_frame_is_shown_as_a_summary_and_a_png(web):
    frame = web.json("POST", "/api/objects/vnir/call/frame", {})["result"]
    summary = frame["$summary"]
    assert summary["shape"] == [768, 1024] and summary["dtype"] == "uint16"
    assert 0 <= summary["min"] <= summary["mean"] <= summary["max"] < 4096
    status, headers, data = web.request("GET", frame["$image"])
    assert status == 200 and headers["content-type"] == "image/png"
    pixels = read_png(data)
    assert pixels.shape == (768, 1024)
    assert pixels.min() == 0 and pixels.max() == 255   # min..max stretched


def test_a_long_array_is_summarized_without_an_image(web):
    lines = web.json("POST", "/api/objects/vnir/call/grab", {"params": [2]})["result"]
    assert lines["$summary"]["shape"] == [2048] and "$image" not in lines
    assert web.request("GET", "/api/images/999999.png")[0] == 404


# --- status and the event stream ------------------------------------------------------------------

def test_status_has_the_tree_and_its_sources(web):
    wait_until(lambda: "vnir" in web.get("/api/status")["tree"], "the camera's status")
    status = web.get("/api/status")
    assert isinstance(status["tree"]["vnir"]["temperature"], float)
    source = status["sources"]["vnir"]
    assert source["stale"] is False and source["age"] >= 0
    assert source["publisher"]["program"] == "vnir-server"


def test_the_event_stream_delivers_a_status_change(web, broker):
    stream = EventStream(web)
    with roc.StatusUpdater(broker.address, program="webtest") as updater:
        counter = iter(range(1, 10 ** 6))
        change = stream.wait_for(
            lambda name, data: name == "status" and "webtest" in data["set"], "setting webtest",
            meanwhile=lambda: updater.emit("webtest", {"value": next(counter), "big": list(range(BIG_ARRAY + 1))}))
        assert change["set"]["webtest"]["value"] >= 1
        assert change["set"]["webtest"]["big"]["$summary"]["shape"] == [BIG_ARRAY + 1]
        assert abs(change["times"]["webtest"] - time.time()) < WAIT   # emitted, on the publisher's clock
        updater.emit("webtest", None)
        stream.wait_for(lambda name, data: name == "status" and "webtest" in data["deleted"],
                        "deleting webtest")
    stream.close()


def test_a_killed_servers_status_turns_stale(web, vnir_server):
    stream = EventStream(web)
    stream.wait_for(lambda name, data: name == "status" and "vnir" in data["set"], "from the camera")
    vnir_server.kill()
    stale = stream.wait_for(lambda name, data: name == "status" and data["stale"].get("vnir", {}).get("stale"),
                            "marking vnir stale")
    assert stale["stale"]["vnir"]["age"] >= 0
    assert web.get("/api/status")["sources"]["vnir"]["stale"] is True
    stream.close()


def probe_worker(broker, object_id: str) -> Callable[[], None]:
    """A function that registers a bare 7/MDP worker for `object_id` and leaves at once: presence
    events to show that the console's subscription has reached the broker."""
    def probe() -> None:
        worker = zmq.Context.instance().socket(zmq.DEALER)
        worker.linger = 0
        worker.connect(broker.endpoints.calls)
        worker.send_multipart([b"", b"MDPW01", b"\x01", object_id.encode()])
        time.sleep(0.02)
        worker.send_multipart([b"", b"MDPW01", b"\x05"])
        time.sleep(0.02)
        worker.close()
    return probe


def test_the_event_stream_delivers_presence_as_servers_come_and_go(web, broker, object_server):
    stream = EventStream(web)
    stream.wait_for(lambda name, data: name == "presence" and data["object"] == "probe",
                    "for a probe worker", meanwhile=probe_worker(broker, "probe"))
    server = object_server("device")
    came = stream.wait_for(lambda name, data: name == "presence" and data["object"] == "device"
                           and data["event"] == "registered", "registering device")
    assert came["worker"]["pid"] == server.popen.pid and came["workers"] == 1
    server.stop()
    went = stream.wait_for(lambda name, data: name == "presence" and data["object"] == "device"
                           and data["event"] == "gone", "device gone")
    assert went["reason"] in ("disconnect", "connection-lost", "expired")
    stream.close()


def test_the_event_stream_delivers_log_records(web, broker):
    stream = EventStream(web)
    logger = logging.getLogger("test_web_api.logs")
    logger.propagate = False
    handler = roc.LogHandler("webtest", broker.address)
    logger.addHandler(handler)
    try:
        batch = stream.wait_for(
            lambda name, data: name == "logs" and any(r["node"] == "webtest" for r in data), "a log record",
            meanwhile=lambda: logger.warning("the stage is stuck at %.1f mm", 12.5))
    finally:
        logger.removeHandler(handler)
        handler.close()
    record = next(r for r in batch if r["node"] == "webtest")
    assert record["level"] == "warning" and record["msg"] == "the stage is stuck at 12.5 mm"
    stream.close()


def test_a_slow_client_keeps_the_newest_logs_and_a_count_of_the_rest():
    hub = hub_module.Hub(roc.Endpoints("127.0.0.1:1"))   # not started: fed by hand
    feed = hub.subscribe()
    total = hub_module.LOG_BACKLOG + 500
    with hub._lock:
        for n in range(total):
            hub._take_log({"msg": str(n)})
    events = dict(hub.wait(feed, 0))
    assert len(events["logs"]) == hub_module.LOG_BACKLOG and events["logs"][-1]["msg"] == str(total - 1)
    assert events["dropped"] == {"dropped": 500}
    hub.stop()
    assert hub.wait(feed, 0) is None


def test_sigterm_ends_the_event_streams_and_exits_0(web):
    stream = EventStream(web)
    web.process.popen.send_signal(signal.SIGTERM)
    assert stream.ended.wait(WAIT), "the event stream stayed open"
    assert web.process.popen.wait(WAIT) == 0


# --- history ----------------------------------------------------------------------------------------

def test_history_returns_recorded_points(web, broker):
    with roc.StatusUpdater(broker.address, program="webtest") as updater:
        counter = iter(range(1, 10 ** 6))

        def recorded() -> bool:
            updater.emit("webhist", {"level": float(next(counter))})
            return len(web.get("/api/history?path=webhist.level&since=1h")["points"]) >= 3

        wait_until(recorded, "three recorded points of webhist.level", timeout=WAIT)
    assert "webhist.level" in web.get("/api/history/paths?prefix=webhist")["paths"]
    history = web.get(f"/api/history?path=webhist.level&since={time.time() - 3600:.3f}&points=10000")
    times = [t for t, _ in history["points"]]
    assert history["path"] == "webhist.level" and times == sorted(times)
    assert all(v >= 1.0 for _, v in history["points"])
    for bad in ("since=yesterday", "points=0", "points=10001", "points=x"):
        web.get(f"/api/history?path=webhist.level&{bad}", status=400)
    web.get("/api/history?since=1h", status=400)


def test_a_restarted_console_loses_no_history(start_web, broker):
    def counter_values(web: Web) -> list:
        return [v for _, v in web.get("/api/history?path=test.counter&since=1h&points=10000")["points"]]

    with connected_updater(broker) as updater:
        first = start_web()
        emit_seen(broker, updater, [0])
        wait_until(lambda: counter_values(first) == [0], "the console to record 0 (it is live from then on)")
        emit_seen(broker, updater, range(1, 21))
        wait_until(lambda: counter_values(first)[-1:] == [20], "the console to record 20")
        assert first.process.stop(signal.SIGTERM) == 0, first.process.output
        emit_seen(broker, updater, range(21, 26))  # while no console runs: only 25 stays, in the cache
        second = start_web()                       # the same archive file
        wait_until(lambda: 25 in counter_values(second), "the cached 25 from the broker's snapshot")
        emit_seen(broker, updater, range(26, 41))
        wait_until(lambda: counter_values(second)[-1:] == [40], "the restarted console to record 40")
    assert counter_values(second) == list(range(0, 21)) + list(range(25, 41))  # each exactly once


# --- what the console refuses ---------------------------------------------------------------------

def test_the_token_is_required_when_set(start_web, vnir_server):
    web = start_web("--token", "s3cret")
    assert web.get("/api/info", status=401)["error"]["message"].startswith("this console needs")
    assert web.get("/api/info", headers={"Authorization": "Bearer wrong"}, status=401)
    assert web.get("/api/info", headers={"Authorization": "Bearer s3cret"})["version"] == roc.__version__
    assert web.get("/api/objects", headers={"Cookie": "roc_token=s3cret"})["objects"]
    status, headers, _ = web.request("GET", "/?token=s3cret")
    assert status == 303 and headers["location"] == "/"
    cookie = headers["set-cookie"]
    assert cookie.startswith("roc_token=s3cret;") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert web.request("GET", "/?token=wrong")[0] == 401
    assert web.request("GET", "/api/events")[0] == 401


def test_the_token_may_come_from_the_environment(start_web):
    web = start_web(env=console_env(ROC_WEB_TOKEN="from-env"))
    web.get("/api/info", status=401)
    web.get("/api/info", headers={"Authorization": "Bearer from-env"})


def test_listening_beyond_loopback_needs_allow_remote(broker, tmp_path):
    result = subprocess.run([sys.executable, "-m", "roc.console", "web", "--listen", "0.0.0.0:0",
                             "--broker", broker.address, "--archive", str(tmp_path / "a.sqlite")],
                            env=console_env(), capture_output=True, text=True, timeout=WAIT)
    assert result.returncode == 2
    assert "--allow-remote" in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "a.sqlite").exists()


def test_listening_beyond_loopback_generates_and_prints_a_token(start_web):
    web = start_web("--listen", "0.0.0.0:0", "--allow-remote")
    token = web.process.wait_for(r"access token (\S+) .*\?token=\1").group(1)
    assert len(token) >= 24
    web.host = "127.0.0.1"
    web.get("/api/info", status=401)
    # On a wildcard address any Host is accepted: the token is what protects it there.
    info = web.get("/api/info", headers={"Authorization": f"Bearer {token}", "Host": f"lab-pc:{web.port}"})
    assert info["recording"] is True


def test_the_host_header_must_name_the_console(web):
    for host in (f"evil.example:{web.port}", "127.0.0.1:1", "", f"localhost.evil.example:{web.port}"):
        answer = web.get("/api/info", headers={"Host": host}, status=403)
        assert "Host" in answer["error"]["message"]
    for host in (f"localhost:{web.port}", f"127.0.0.1:{web.port}", f"[::1]:{web.port}"):
        web.get("/api/info", headers={"Host": host})


def test_a_post_or_put_without_the_console_header_is_refused(web):
    for method, path in (("POST", "/api/objects/vnir/call/open_shutter"),
                         ("PUT", "/api/objects/vnir/properties/fps")):
        answer = web.json(method, path, {"value": 1}, headers={"X-Roc-Console": ""}, status=403)
        assert "X-Roc-Console" in answer["error"]["message"]
    assert web.get("/api/objects/vnir/properties")["shutter_open"] is False


def test_an_oversized_body_is_413(web):
    status, headers, data = web.request("POST", "/api/objects/vnir/call/grab", raw=b"[" + b"1," * (1 << 19) + b"1]")
    assert status == 413 and "at most" in json.loads(data)["error"]["message"]
    # A body announced too big to be worth reading is answered at once, unread.
    with socket.create_connection((web.host, web.port), timeout=WAIT) as connection:
        connection.sendall(b"POST /api/objects/vnir/call/grab HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                           b"X-Roc-Console: 1\r\nContent-Length: 104857600\r\n\r\n[1," % web.port)
        assert connection.recv(100).startswith(b"HTTP/1.1 413 ")


def test_bad_json_and_bad_fields_are_400(web):
    for raw in (b"{", b"\xff\xfe", b"[1, 2]", b"[" * 100000, b'{"params": 5}', b'{"params": [], "timeout": 0}',
                b'{"params": [], "timeout": "1"}', b'{"params": [], "timeout": true}'):
        status, _, data = web.request("POST", "/api/objects/vnir/call/temperature", raw=raw)
        assert status == 400, raw[:20]
        assert json.loads(data)["error"]["message"]
    web.json("PUT", "/api/objects/vnir/properties/fps", {"val": 1}, status=400)
    assert web.get("/api/info")["version"]   # still serving


def test_unknown_paths_are_404_and_wrong_methods_405(web):
    for path in ("/api", "/api/nothing", "/static/../web.py", "/static/%2e%2e%2fweb.py", "/static/.hidden",
                 "/api/objects/vnir/call", "/favicon.ico/x"):
        assert web.request("GET", path)[0] == 404, path
    status, headers, _ = web.request("DELETE", "/api/objects", headers={"X-Roc-Console": "1"})
    assert status == 405 and headers["allow"] == "GET"
    assert web.request("POST", "/api/info")[0] == 405
    assert web.request("GET", "/api/objects/vnir/call/temperature")[0] == 405


def test_the_page_and_its_static_files_are_served(web):
    index = REPO / "python/roc/console/static/index.html"
    assert index.exists(), "python/roc/console/static/index.html is missing (the front end)"
    status, headers, data = web.request("GET", "/")
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert data == index.read_bytes() and headers["cache-control"] == "no-cache"
    status, headers, _ = web.request("GET", "/static/index.html")
    assert status == 200 and headers["x-frame-options"] == "DENY"
    # Only the console's own files may run or load: a string from an object or a publisher that
    # slipped into the page as markup would still not execute.
    policy = headers["content-security-policy"]
    assert "default-src 'self'" in policy and "object-src 'none'" in policy and "unsafe" not in policy


def test_garbage_on_the_socket_does_not_stop_the_console(web):
    for junk in (b"\x00\x01\x02\r\n\r\n", b"GET " + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
                 b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 200 + b"\r\n", b"POST /api/info HTTP/1.1\r\nContent-Length: -5\r\n\r\n"):
        with socket.create_connection((web.host, web.port), timeout=WAIT) as connection:
            connection.sendall(junk)
            connection.shutdown(socket.SHUT_WR)
            while connection.recv(65536):
                pass
    assert web.get("/api/info")["version"]


# --- the pieces on their own ---------------------------------------------------------------------

def test_shown_keeps_small_json_and_summarizes_big_arrays():
    images = ImageStore(capacity=2)
    assert shown({"a": [1, 2.5, "x", None, True]}, images) == {"a": [1, 2.5, "x", None, True]}
    assert shown(float("nan")) == "NaN" and shown(np.float32(1.5)) == 1.5
    big = shown({"v": [[i, i + 1] for i in range(300)]}, images)["v"]
    assert big["$summary"] == {"shape": [300, 2], "dtype": "int64", "min": 0, "max": 300, "mean": 150.0}
    assert big["$image"].endswith(".png")
    words = shown(["w"] * 300)
    assert words == {"$summary": {"shape": [300], "dtype": "json", "min": None, "max": None, "mean": None}}
    urls = [shown(np.zeros((2, 2)), images)["$image"] for _ in range(3)]
    assert images.get(int(urls[0].split("/")[-1][:-4])) is None   # the oldest went
    assert shown(np.array([np.nan, 1.0, 3.0]))["$summary"]["mean"] == 2.0
    assert "$image" not in shown(np.zeros((4, 4)))   # no store: status values get no picture


def test_a_value_nested_as_deep_as_json_parses_is_shown_cut_short_not_as_a_crash():
    deep = json.loads("[" * 900 + "]" * 900)   # what a publisher may send and json.loads accepts
    cut = shown({"deep": deep})
    for _ in range(65):
        cut = cut[0] if isinstance(cut, list) else cut["deep"]
    assert cut["$summary"]["why"] == "nested more than 64 levels deep"


def test_png_of_stretches_min_to_max():
    pixels = read_png(png_of(np.array([[10, 20], [30, 40]], dtype=np.uint16)))
    assert pixels.tolist() == [[0, 85], [170, 255]]
    assert read_png(png_of(np.full((3, 5), 7.0))).tolist() == [[0] * 5] * 3


def test_listen_addresses_and_host_headers():
    assert parse_listen("127.0.0.1:0") == ("127.0.0.1", 0) and parse_listen("[::1]:80") == ("::1", 80)
    assert parse_listen(":8080") == ("127.0.0.1", 8080)
    for bad in ("localhost", "a:b", "1.2.3.4:70000", "[::1]"):
        with pytest.raises(ValueError):
            parse_listen(bad)
    assert host_allowed("localhost:8080", "127.0.0.1", 8080)
    assert not host_allowed("localhost:8081", "127.0.0.1", 8080)
    assert not host_allowed("localhost", "127.0.0.1", 8080)
    assert host_allowed("lab-pc:8080", "0.0.0.0", 8080) and not host_allowed("lab-pc:8080", "10.0.0.5", 8080)
    assert host_allowed("10.0.0.5:8080", "10.0.0.5", 8080)


def run_web(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "roc.console", "web", *args], env=console_env(),
                          capture_output=True, text=True, timeout=WAIT)


def test_version_help_and_usage_errors():
    assert run_web("--version").stdout == f"roc web {roc.__version__}\n"
    help_text = run_web("--help").stdout
    for option in ("--listen", "--allow-remote", "--token", "--broker", "--archive", "--retention", "--no-record"):
        assert option in help_text
    for args, says in ((("--listen", "127.0.0.1:99999"), "port"), (("--retention", "5x"), "duration"),
                       (("--listen", "nonsense"), "HOST:PORT")):
        result = run_web(*args)
        assert result.returncode == 2 and says in result.stderr and result.stderr.count("\n") == 1, result.stderr


def test_a_taken_port_exits_1_saying_so(web, tmp_path):
    result = run_web("--listen", f"127.0.0.1:{web.port}", "--archive", str(tmp_path / "b.sqlite"))
    assert result.returncode == 1 and f"cannot listen on 127.0.0.1:{web.port}" in result.stderr


# --- the console is a roc client with its own key -------------------------------------------------

def test_over_curve_the_console_sees_what_its_key_may_and_is_refused_what_it_may_not(make_broker, spawn, tmp_path):
    keygen = [program("roc"), "keygen"]
    for name, meta in (("broker", []), ("lab", []), ("viewer", ["--meta", "roc-call=", "--meta", "roc-read=*"])):
        subprocess.run([*keygen, str(tmp_path / name), *meta], check=True, capture_output=True, timeout=10)
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    for name in ("lab", "viewer"):
        shutil.copy(tmp_path / f"{name}.key", allowed)
    broker = make_broker(["--cert", str(tmp_path / "broker.key_secret"), "--allow", str(allowed)])
    as_key = lambda name: console_env(ROC_CERT=str(tmp_path / f"{name}.key_secret"),  # noqa: E731
                                      ROC_BROKER_CERT=str(tmp_path / "broker.key"))
    spawn([program("vnir-server"), "--broker", broker.address], env=as_key("lab"))
    web = Web(spawn([sys.executable, "-m", "roc.console", "web", "--listen", "127.0.0.1:0", "--broker",
                     broker.address, "--archive", str(tmp_path / "a.sqlite")], env=as_key("viewer")))

    wait_until(lambda: [o["id"] for o in web.get("/api/objects")["objects"]] == ["vnir"],
               "the console to list vnir over CURVE")
    assert web.get("/api/objects/vnir/properties")["fps"] == 100.0          # roc-read: may read
    refused = web.json("POST", "/api/objects/vnir/call/open_shutter", {"params": []})
    assert "not allowed" in refused["error"]["message"]                      # but not act
    wait_until(lambda: "temperature" in web.get("/api/status")["tree"].get("vnir", {}),
               "the camera's status to reach the console over CURVE")
