"""The foundation every part shares: endpoints, certificates, the wire codec, IDL types."""
import numpy as np
import pytest

import roc
from roc import types, wire


def test_an_address_gives_three_endpoints_as_the_cxx_runtime_parses_them():
    assert roc.Endpoints("tcp://example:7000").subscribe == "tcp://example:7002"
    assert roc.Endpoints("[::1]:6000").publish == "tcp://[::1]:6001"
    assert roc.Endpoints("ipc:///run/roc").subscribe == "ipc:///run/roc.sub"
    assert roc.Endpoints("localhost", 6000).calls == "tcp://localhost:6000"


def test_the_broker_address_comes_from_roc_broker_when_none_is_given(monkeypatch):
    monkeypatch.setenv("ROC_BROKER", "lab-pc:7000")
    assert roc.Endpoints().address == "lab-pc:7000"


@pytest.mark.parametrize("bad", ["", "host:notaport", "host:65535", "udp://x:1", "[::1"])
def test_a_bad_address_is_refused_naming_it(bad):
    with pytest.raises(ValueError, match="bad broker address"):
        roc.Endpoints(bad)


def test_a_certificate_of_this_program_without_the_brokers_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("ROC_BROKER_CERT", raising=False)
    with pytest.raises(roc.CertificateError, match="CURVE needs both"):
        roc.Endpoints("x", cert=str(tmp_path / "me.key_secret"))


def test_a_missing_certificate_file_is_named(tmp_path):
    missing = tmp_path / "nope.key"
    with pytest.raises(roc.CertificateError, match="nope.key"):
        roc.Endpoints("x", broker_cert=str(missing))


def test_big_arrays_travel_as_attachments_and_come_back_as_views():
    frame = np.arange(768 * 1024, dtype=np.uint16).reshape(768, 1024)
    frames = wire.encode({"id": 1, "result": {"frame": frame, "small": np.arange(3)}}, attach=True)
    assert len(frames) == 2
    assert b'"small":[0,1,2]' in frames[0]
    back = wire.decode(frames)["result"]["frame"]
    assert back.shape == (768, 1024) and back.dtype == np.uint16 and (back == frame).all()


def test_without_attach_every_value_is_plain_json():
    frames = wire.encode({"b": b"\x00" * 2000, "a": np.ones(1000)}, attach=False)
    assert len(frames) == 1
    message = wire.loads(frames[0])
    assert isinstance(message["b"], str) and message["a"][:2] == [1.0, 1.0]


def test_non_finite_numbers_are_written_as_strings_and_read_back_by_type():
    body = wire.dumps([float("inf"), float("-inf"), float("nan")])
    assert body == b'["Infinity","-Infinity","NaN"]'
    back = types.from_wire(wire.loads(body), types.parse("array<double>"))
    assert np.isinf(back[0]) and np.isnan(back[2])


@pytest.mark.parametrize("frames, problem", [
    ([b'{"a":{"$attachment":1,"type":"uint16","order":"little","shape":[1]}}', b"12"], "carries 1"),
    ([b'{"a":{"$attachment":0,"type":"uint16","order":"little","shape":[2]}}', b"123"], "not shape"),
    ([b'{"a":{"$attachment":0,"type":"quad","order":"little","shape":[1]}}', b"12"], "unknown element"),
    ([b'{"a":1}', b"12"], "no reference names"),
])
def test_a_reference_that_does_not_fit_its_frames_is_refused(frames, problem):
    with pytest.raises(wire.BadAttachment, match=problem):
        wire.decode(frames)


def test_hostile_json_is_a_protocol_error_not_a_crash():
    for body in [b"[" * 100000, b"[" * 257 + b"]" * 257, b'{"a":NaN}', b"\xff", b"{} {}"]:
        with pytest.raises(roc.ProtocolError):
            wire.decode([body])


def test_idl_types_round_trip_their_canonical_spelling():
    for text in ["array<int32,3>", "map<optional<string>>", "tuple<int32,double>", "duration<int64,ms>",
                 "ndarray<float>", "lab::Roi"]:
        assert str(types.parse(text)) == text
    with pytest.raises(ValueError):
        types.parse("ndarray<string>")


def test_the_fixture_broker_answers_mmi(broker):
    import zmq
    socket = zmq.Context.instance().socket(zmq.DEALER)
    socket.linger = 0
    socket.connect(broker.endpoints.calls)
    socket.send_multipart([b"", wire.MDPC, b"mmi.service", b"vnir"])
    assert socket.poll(2000)
    assert socket.recv_multipart()[-1] == b"404"
    socket.close()
