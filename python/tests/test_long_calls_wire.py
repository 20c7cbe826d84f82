"""The codec of long calls (idl/PROTOCOL.md §2.6): the call header's call=, progress=, cancel= and
event= fields, as strict as the C++ codec (runtime/src/wire/mdp.cpp), and roc.Cancelled."""
import pytest

import roc
from roc import errors, wire


def test_every_call_header_names_its_call_and_a_started_one_asks_for_progress():
    assert wire.call_header(1.5, True, 17) == b"roc/1 timeout-ms=1500 attach=1 call=17"
    assert wire.call_header(30.0, True, 17, True) == b"roc/1 timeout-ms=30000 attach=1 call=17 progress=1"
    assert wire.call_header(None, True, 2 ** 64 - 1) == b"roc/1 attach=1 call=18446744073709551615"
    assert wire.call_header(1.0, True) == b"roc/1 timeout-ms=1000 attach=1"   # a notification: no name
    assert wire.cancel_header(17) == b"roc/1 cancel=17"
    assert wire.event_header(17) == b"roc/1 call=17 event=progress"


def test_the_header_fields_read_back_as_written():
    assert wire.parse_call_header(b"roc/1 timeout-ms=30000 attach=1 call=17 progress=1") == {
        "timeout": 30.0, "attach": True, "call": 17, "progress": True, "cancel": 0, "event": None}
    assert wire.parse_call_header(wire.cancel_header(9))["cancel"] == 9
    event = wire.parse_call_header(wire.event_header(18446744073709551615))
    assert (event["call"], event["event"]) == (2 ** 64 - 1, "progress")
    assert wire.parse_call_header(b"roc/1 call=3 event=finished")["event"] == "unknown"
    assert wire.parse_call_header(b"roc/1 call=3 later=x progress=0")["progress"] is False


@pytest.mark.parametrize("header", [
    b"roc/1 call=0", b"roc/1 call=-1", b"roc/1 call=+1", b"roc/1 call=", b"roc/1 call",
    b"roc/1 call=18446744073709551616", b"roc/1 call=1x", b"roc/1 call=0x10", b"roc/1 call=1.0",
    b"roc/1 cancel=0", b"roc/1 cancel=99999999999999999999999", b"roc/1 progress=2", b"roc/1 progress=",
    b"roc/1 progress=yes", "roc/1 call=\u0661".encode(),   # an Arabic-Indic digit is no decimal here
])
def test_a_known_field_with_a_bad_value_makes_the_header_malformed(header):
    with pytest.raises(roc.ProtocolError):
        wire.parse_call_header(header)


def test_a_call_is_named_by_decimal_digits_from_1_to_2_to_the_64_minus_1():
    assert wire.parse_call(b"1") == 1
    assert wire.parse_call(b"0018") == 18   # from_chars reads leading zeros too
    assert wire.parse_call(b"18446744073709551615") == 2 ** 64 - 1
    for bad in (b"0", b"", b" 1", b"1 ", b"18446744073709551616", b"-5"):
        with pytest.raises(roc.ProtocolError):
            wire.parse_call(bad)


def test_workers_say_they_take_cancels_and_report_progress():
    assert wire.FEATURES.split() == [b"attachments", b"cancel", b"progress"]
    assert (wire.PROGRESS, wire.CANCEL) == (b"\x06", b"\x07")


def test_minus_32008_is_roc_cancelled_a_remote_error():
    error = errors.remote_error(-32008, "cancelled: the call to 'vnir' was cancelled while it ran")
    assert type(error) is roc.Cancelled and isinstance(error, roc.RemoteError)
    assert error.code == errors.CANCELLED == -32008
    with pytest.raises(roc.Cancelled):
        errors.raise_remote_error(-32008, "cancelled")
    assert roc.Cancelled().code == -32008   # what a method raises to stop on a cancel
