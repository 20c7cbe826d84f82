"""roc.Server through the real C++ broker: calls as raw 7/MDP frames from a DEALER, so that every
error code, batches, notifications, attachments and deadlines can be sent exactly as a hostile or
third-party client would, and the worker must keep serving after each."""
import json
import logging
import sys
import time

import numpy as np
import pytest
import zmq

import roc
from roc import wire
from conftest import REPO, wait_for_object

sys.path.insert(0, str(REPO / "python" / "examples"))
from stage_server import Stage  # noqa: E402

TIMEOUT_MS = 5000


class RawClient:
    """A 7/MDP client as bare frames: what it sends is exactly what the test says."""

    def __init__(self, broker) -> None:
        self.socket = zmq.Context.instance().socket(zmq.DEALER)
        self.socket.linger = 0
        self.socket.connect(f"tcp://{broker.address}")

    def send(self, object_id: str, *frames) -> None:
        self.socket.send_multipart([b"", wire.MDPC, object_id.encode()] + [
            f if isinstance(f, (bytes, memoryview, np.ndarray)) else json.dumps(f).encode() for f in frames])

    def receive(self, timeout_ms: int = TIMEOUT_MS) -> list:
        assert self.socket.poll(timeout_ms), f"no reply within {timeout_ms} ms"
        frames = self.socket.recv_multipart()
        assert frames[:2] == [b"", wire.MDPC]
        return frames[3:]

    def call(self, object_id: str, *frames, timeout_ms: int = TIMEOUT_MS):
        self.send(object_id, *frames)
        reply = self.receive(timeout_ms)
        return wire.decode(reply) if reply[0] else None

    def request(self, method: str, params=None, id_=1, object_id="stage", **kw):
        message = {"jsonrpc": "2.0", "id": id_, "method": method}
        if params is not None:
            message["params"] = params
        return self.call(object_id, message, **kw)

    def close(self) -> None:
        self.socket.close()


@pytest.fixture
def stage(broker):
    """The example Stage published as 'stage' by an in-process roc.Server (heartbeat 100 ms)."""
    obj = Stage()
    server = roc.Server(broker.address, heartbeat=0.1).publish("stage", obj)
    server.start()
    wait_for_object(broker, "stage")
    yield obj
    server.stop()


@pytest.fixture
def client(broker):
    c = RawClient(broker)
    yield c
    c.close()


def result(reply):
    assert "error" not in reply, reply
    return reply["result"]


def error(reply, code):
    assert "error" in reply, reply
    assert reply["error"]["code"] == code, reply
    return reply["error"]


def test_calls_by_position_and_name_with_defaults(stage, client):
    assert result(client.request("move", [1.5])) == 1.5
    assert result(client.request("move", {"x": -3, "axis": "y"})) == -3.0
    assert result(client.request("where")) == [1.5, -3.0]
    assert result(client.request("tags", [{"b": 1, "a": 2}])) == ["a", "b"]
    assert result(client.request("tags", {"names": {}, "note": "n"})) == ["n"]
    assert result(client.request("wait_for", [1.5])) == 1.5   # a duration<double,s> → timedelta
    assert result(client.request("home")) is None


def test_system_methods(stage, client):
    assert result(client.request("rpc.ping")) == "pong"
    document = result(client.request("rpc.describe"))
    assert document["objects"][0]["name"] == "lab::Stage"
    assert result(client.request("rpc.signature")) == document["objects"][0]["signature"]
    assert result(client.request("rpc.get", {"name": "speed"})) == 10.0
    assert result(client.request("rpc.set", ["speed", 4])) is None
    assert stage.speed == 4.0 and isinstance(stage.speed, float)
    assert result(client.request("rpc.set", {"name": "limits", "value": {"low": -1, "high": 1}})) is None
    assert result(client.request("rpc.get", ["limits"])) == {"low": -1.0, "high": 1.0}
    assert "read-only" in error(client.request("rpc.set", ["position", 1.0]), -32003)["message"]
    assert "no property 'nope'" in error(client.request("rpc.get", ["nope"]), -32602)["message"]
    assert "needs parameter 'value'" in error(client.request("rpc.set", ["speed"]), -32602)["message"]
    assert "not a system method" in error(client.request("rpc.nope"), -32601)["message"]
    # A setter's own check raising is the method's exception, as for methods.
    failed = error(client.request("rpc.set", ["limits", {"low": 1, "high": 0}]), -32000)
    assert failed["data"] == {"type": "StageError", "what": "empty range 1.0..0.0"}


@pytest.mark.parametrize("method, params, words", [
    ("move", [], "needs parameter 'x'"),
    ("move", ["far"], "parameter 'x' of 'move': expected a number"),
    ("move", [1, "z"], "parameter 'axis' of 'move': expected one of x, y"),
    ("move", [1, "x", 3], "takes 2 parameters, got 3"),
    ("move", {"x": 1, "speed": 2}, "has no parameter 'speed'"),
    ("scan", [1.5], "parameter 'count' of 'scan': expected an integer"),
    ("scan", [True], "expected an integer"),
    ("scan", [2 ** 63], "out of the range of int64"),
    ("integrate", ["abc"], "parameter 'samples' of 'integrate'"),
    ("integrate", [[1, "x"]], "parameter 'samples' of 'integrate'"),
    ("echo_bytes", ["not base64!"], "parameter 'data' of 'echo_bytes'"),
    ("tags", [[1]], "parameter 'names' of 'tags': expected an object"),
    ("tags", [{"a": "1"}], "member 'a'"),
    ("rpc.set", ["limits", {"low": 1}], "member 'high' of lab::Limits is missing"),
])
def test_bad_params_get_32602_naming_the_parameter(stage, client, method, params, words):
    assert words in error(client.request(method, params), -32602)["message"]
    assert result(client.request("rpc.ping")) == "pong"


def test_unknown_method_is_32601(stage, client):
    assert "has no method 'fly'" in error(client.request("fly"), -32601)["message"]
    assert "has no method '_enter'" in error(client.request("_enter"), -32601)["message"]


def test_an_exception_reaches_the_caller_as_32000_with_type_and_message(stage, client):
    failed = error(client.request("fail", ["no power"]), -32000)
    assert failed["data"] == {"type": "StageError", "what": "no power"}
    assert "'fail' threw StageError: no power" == failed["message"]
    failed = error(client.request("move", [99]), -32000)
    assert failed["data"]["type"] == "StageError" and "outside the limits" in failed["data"]["what"]


@pytest.mark.parametrize("body, code", [
    (b"{not json", -32700),
    (b'{"a":NaN}', -32700),
    (b"\xff\xfe", -32700),
    (b"[" * 300 + b"]" * 300, -32700),          # deeper than 256 levels
    (b"[" * 100000, -32700),
    (b"[]", -32600),
    (b"42", -32600),
    (b'{"jsonrpc":"1.0","id":1,"method":"home"}', -32600),
    (b'{"jsonrpc":"2.0","id":1,"method":7}', -32600),
    (b'{"jsonrpc":"2.0","id":1,"method":"move","params":3}', -32600),
])
def test_hostile_bodies_get_their_code_and_the_worker_keeps_serving(stage, client, body, code):
    reply = client.call("stage", body)
    assert reply["error"]["code"] == code, reply
    if code == -32700:
        assert reply["id"] is None
    assert result(client.request("rpc.ping")) == "pong"


@pytest.mark.parametrize("bad_id", ["1.0", "1e2", "1e400", "18446744073709551616", "{}", "[1]", "true"])
def test_ids_that_cannot_be_echoed_get_32600_with_a_null_id(stage, client, bad_id):
    reply = client.call("stage", ('{"jsonrpc":"2.0","id":%s,"method":"rpc.ping"}' % bad_id).encode())
    assert reply["id"] is None and reply["error"]["code"] == -32600


def test_ids_of_every_valid_kind_are_echoed(stage, client):
    for id_ in ["abc", 0, -2 ** 63, 2 ** 64 - 1, None]:
        assert client.request("rpc.ping", id_=id_)["id"] == id_


def test_batches_and_notifications(stage, client):
    batch = [{"jsonrpc": "2.0", "id": 1, "method": "move", "params": [2]},
             {"jsonrpc": "2.0", "method": "move", "params": [3]},                 # notification
             {"jsonrpc": "2.0", "id": 2, "method": "fly"},
             5,
             {"jsonrpc": "2.0", "id": 3, "method": "where"}]
    replies = client.call("stage", batch)
    assert [r["id"] for r in replies] == [1, 2, None, 3]
    assert replies[0]["result"] == 2.0 and replies[1]["error"]["code"] == -32601
    assert replies[2]["error"]["code"] == -32600 and replies[3]["result"] == [3.0, 0.0]
    # Only notifications (even failing ones): an empty body, which a client drops.
    client.send("stage", [{"jsonrpc": "2.0", "method": "move", "params": [4]},
                          {"jsonrpc": "2.0", "method": "fly"}])
    assert client.receive() == [b""]
    assert stage.position == 4.0


def test_numpy_arrays_in_and_out_as_attachments(stage, client):
    image = np.arange(64 * 32, dtype="<f8").reshape(64, 32)
    body = {"jsonrpc": "2.0", "id": 1, "method": "scale",
            "params": [{"$attachment": 0, "type": "double", "order": "little", "shape": [64, 32]}, 0.5]}
    client.send("stage", wire.call_header(5.0, attach=True), body, image.tobytes())
    reply = client.receive()
    assert len(reply) == 2  # body + one attachment
    scaled = wire.decode(reply)["result"]
    assert scaled.shape == (64, 32) and (scaled == image * 0.5).all()
    # Without attach=1 the same result comes as nested JSON arrays.
    client.send("stage", wire.call_header(5.0, attach=False), body, image.tobytes())
    reply = client.receive()
    assert len(reply) == 1 and wire.loads(reply[0])["result"][63][31] == 1023.5
    # A result below attachment_min_bytes stays JSON even when attachments are welcome.
    client.send("stage", wire.call_header(5.0, attach=True), {"jsonrpc": "2.0", "id": 2, "method": "scan",
                                                             "params": [10]})
    assert wire.decode(client.receive())["result"] == list(range(10))
    client.send("stage", wire.call_header(5.0, attach=True), {"jsonrpc": "2.0", "id": 3, "method": "scan",
                                                             "params": [1000, 7]})
    reply = client.receive()
    line = wire.decode(reply)["result"]
    assert len(reply) == 2 and line.dtype == np.uint16 and line[0] == 7 and line[-1] == 1006
    # bytes as an attachment (uint8, one dimension) both ways.
    data = bytes(range(256)) * 8
    client.send("stage", wire.call_header(5.0, attach=True),
                {"jsonrpc": "2.0", "id": 4, "method": "echo_bytes",
                 "params": {"data": {"$attachment": 0, "type": "uint8", "order": "little", "shape": [2048]}}}, data)
    assert wire.decode(client.receive())["result"].tobytes() == data[::-1]


@pytest.mark.parametrize("reference, frame, code, words", [
    ({"$attachment": 1, "type": "double", "order": "little", "shape": [2]}, b"\0" * 16, -32600, "no reference names attachment 0"),
    ({"$attachment": 0, "type": "double", "order": "little", "shape": [3]}, b"\0" * 16, -32602,
     "parameter 'samples' of 'integrate': an attachment of 16 bytes"),
    ({"$attachment": 0, "type": "int32", "order": "little", "shape": [4]}, b"\0" * 16, -32602,
     "parameter 'samples' of 'integrate': an attachment of int32 elements"),
    ({"$attachment": 0, "type": "double", "order": "middle", "shape": [2]}, b"\0" * 16, -32602, "byte order"),
    ({"$attachment": 0, "type": "double", "order": "little", "shape": [1, 2]}, b"\0" * 16, -32602, "2 dimensions"),
])
def test_attachments_that_do_not_fit_are_refused(stage, client, reference, frame, code, words):
    body = {"jsonrpc": "2.0", "id": 9, "method": "integrate", "params": [reference]}
    reply = wire.loads(_raw(client, body, frame))
    assert reply["id"] == 9 and reply["error"]["code"] == code and words in reply["error"]["message"], reply
    assert result(client.request("rpc.ping")) == "pong"


def _raw(client, body, *frames):
    client.send("stage", wire.call_header(5.0, attach=True), body, *frames)
    return client.receive()[0]


def test_an_unreferenced_frame_fails_every_request_of_the_message(stage, client):
    batch = [{"jsonrpc": "2.0", "id": 1, "method": "rpc.ping"}, {"jsonrpc": "2.0", "id": 2, "method": "rpc.ping"}]
    replies = wire.loads(_raw(client, batch, b"stray"))
    assert [(r["id"], r["error"]["code"]) for r in replies] == [(1, -32600), (2, -32600)]


def test_a_result_that_cannot_be_written_is_32603_for_that_request_alone(broker, client):
    class Odd:
        def weird(self):
            return object()  # no JSON for it

        def surrogate(self) -> str:
            return "\ud800"

        def fine(self) -> int:
            return 1

    with roc.Server(broker.address, heartbeat=0.1).publish("odd", Odd()):
        wait_for_object(broker, "odd")
        batch = [{"jsonrpc": "2.0", "id": 1, "method": "weird"}, {"jsonrpc": "2.0", "id": 2, "method": "fine"},
                 {"jsonrpc": "2.0", "id": 3, "method": "surrogate"}]
        replies = client.call("odd", batch)
        assert replies[0]["error"]["code"] == -32603 and replies[1]["result"] == 1
        assert replies[2]["error"]["code"] == -32603


def test_a_call_whose_deadline_passed_in_the_queue_is_answered_32006_without_running(stage, client):
    client.send("stage", wire.call_header(5.0), {"jsonrpc": "2.0", "id": 1, "method": "settle", "params": [0.5]})
    time.sleep(0.05)  # the slow call runs
    client.send("stage", wire.call_header(0.1), {"jsonrpc": "2.0", "id": 2, "method": "move", "params": [7]})
    replies = {r["id"]: r for r in (wire.decode(client.receive()) for _ in range(2))}
    assert replies[1]["result"] == "settled"
    assert replies[2]["error"]["code"] == -32006 and "deadline expired" in replies[2]["error"]["message"]
    assert stage.position == 0.0  # the move did not run


def test_a_long_call_keeps_heartbeats_going(stage, client):
    # The broker drops a worker silent for 3 × 250 ms; the call takes 2 s.
    assert result(client.request("settle", [2.0], timeout_ms=5000)) == "settled"
    assert result(client.request("rpc.ping")) == "pong"


def test_calls_on_one_object_are_serialized_in_order(stage, broker):
    clients = [RawClient(broker) for _ in range(4)]
    try:
        for i, c in enumerate(clients):
            for j in range(5):
                c.send("stage", {"jsonrpc": "2.0", "id": j, "method": "scan", "params": [2, i * 100 + j]})
        for i, c in enumerate(clients):
            firsts = [wire.decode(c.receive())["result"][0] for _ in range(5)]
            assert firsts == [i * 100 + j for j in range(5)]  # each client's calls in its order
        assert stage.overlaps == 0
    finally:
        for c in clients:
            c.close()


def test_several_objects_on_one_server(broker, client):
    first, second = Stage(), Stage()
    with roc.Server(broker.address, heartbeat=0.1).publish("s1", first).publish("s2", second):
        wait_for_object(broker, "s1")
        wait_for_object(broker, "s2")
        client.request("move", [1.0], object_id="s1")
        client.request("move", [2.0], object_id="s2")
        assert (first.position, second.position) == (1.0, 2.0)
        # Objects do not wait for each other: s2 answers while s1 is in a long call.
        client.send("s1", {"jsonrpc": "2.0", "id": 1, "method": "settle", "params": [1.0]})
        started = time.monotonic()
        assert result(client.request("where", object_id="s2", id_=2)) == [2.0, 0.0]
        assert time.monotonic() - started < 0.8
        assert wire.decode(client.receive())["result"] == "settled"


def test_the_server_registers_again_after_a_broker_restart(stage, broker, client):
    assert result(client.request("move", [1.0])) == 1.0
    broker.restart()
    wait_for_object(broker, "stage")
    c2 = RawClient(broker)
    try:
        assert result(c2.request("move", [2.0])) == 2.0
    finally:
        c2.close()


def test_a_refused_ready_is_logged_once_and_other_objects_still_serve(broker, client, caplog):
    caplog.set_level(logging.DEBUG, logger="roc")
    with roc.Server(broker.address, heartbeat=0.1).publish("mmi.mine", Stage()).publish("stage", Stage()):
        wait_for_object(broker, "stage")
        time.sleep(2.5)  # refused at once, again after 1 s, again after 2 s
        assert result(client.request("rpc.ping")) == "pong"
    refusals = [r for r in caplog.records if "refused to register" in r.getMessage()]
    assert len(refusals) == 1 and "reserved" in refusals[0].getMessage()
    assert sum("refused again" in r.getMessage() for r in caplog.records) >= 1


def test_stop_makes_the_broker_forget_the_worker_at_once(broker):
    server = roc.Server(broker.address, heartbeat=0.1).publish("stage", Stage()).start()
    wait_for_object(broker, "stage")
    server.stop()
    assert not server.running
    # The DISCONNECT and the closed connection reach the broker together; whichever it reads
    # first removes the worker (test_server_worker checks the DISCONNECT itself).
    broker.process.wait_for(r"worker .* of 'stage' removed \(it (disconnected|lost its connection)", timeout=5)


def test_publish_refuses_bad_ids_and_twice_the_same(broker):
    server = roc.Server(broker.address)
    with pytest.raises(ValueError):
        server.publish("", Stage())
    with pytest.raises(ValueError):
        server.publish("a\nb", Stage())
    server.publish("x", Stage())
    with pytest.raises(ValueError, match="published already"):
        server.publish("x", Stage())


def test_a_server_with_certificates_serves_through_a_curve_broker(make_broker, tmp_path, spawn):
    from conftest import program
    import subprocess
    for name in ("broker", "lab"):
        subprocess.run([program("roc"), "keygen", str(tmp_path / name)], check=True, capture_output=True, timeout=20)
    secure = make_broker(["--cert", str(tmp_path / "broker.key_secret")])
    endpoints = roc.Endpoints(secure.address, cert=str(tmp_path / "lab.key_secret"),
                              broker_cert=str(tmp_path / "broker.key"))
    with roc.Server(endpoints, heartbeat=0.1).publish("stage", Stage()):
        wait_for_object(secure, "stage", endpoints=endpoints)
        done = subprocess.run([program("roc"), "--broker", secure.address, "--broker-cert", str(tmp_path / "broker.key"),
                               "--cert", str(tmp_path / "lab.key_secret"), "call", "stage", "move", "[2.5]"],
                              capture_output=True, text=True, timeout=20)
        assert done.returncode == 0 and done.stdout.strip() == "2.5", done.stderr
    # A plaintext server gets nothing from it: it never registers.
    with roc.Server(secure.address, heartbeat=0.1).publish("plain", Stage()) as plain:
        assert not plain.wait_registered(1.0)


def test_stop_from_inside_a_call_returns_and_the_server_stops(broker, client):
    class Stoppable:
        def quit(self) -> str:
            server.stop()
            return "bye"

    server = roc.Server(broker.address, heartbeat=0.1).publish("s", Stoppable()).start()
    wait_for_object(broker, "s")
    assert result(client.request("quit", object_id="s")) == "bye"
    deadline = time.monotonic() + 3
    while server.running and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not server.running


def test_a_worker_keeps_up_with_a_broker_that_heartbeats_faster(broker, client, caplog):
    # The fixture's broker heartbeats every 250 ms and drops a worker silent for 750 ms; this
    # server was told 2.5 s (the default), so it must follow the broker or be dropped again and again.
    caplog.set_level(logging.INFO, logger="roc")
    with roc.Server(broker.address).publish("stage", Stage()):
        wait_for_object(broker, "stage")
        time.sleep(2.0)
        assert result(client.request("rpc.ping")) == "pong"
    assert "fell silent" not in broker.process.output
    assert "heartbeats every" in caplog.text
