"""Frames and bodies as roc puts them on the wire (idl/PROTOCOL.md §2, §3).

One implementation of the rules every Python peer follows: 7/MDP command frames, the call header,
strict JSON (non-finite numbers as strings, at most 256 levels deep), and binary attachments —
numpy arrays and bytes travel as frames after the JSON body, referenced from the JSON (§3.3).
"""
from __future__ import annotations

import base64
import json
import math
from typing import Any, List, Optional, Sequence

import numpy as np
import zmq

from .errors import ProtocolError

__all__ = [
    "MDPC", "MDPW", "READY", "REQUEST", "REPLY", "HEARTBEAT", "DISCONNECT", "PROGRESS", "CANCEL",
    "MAX_DEPTH", "FEATURES", "MAX_CALL", "MAX_WORKER_INFO", "worker_info", "call_header", "cancel_header", "event_header", "parse_call",
    "parse_call_header", "is_call_header", "encode", "decode", "dumps", "loads", "depth",
    "BadAttachment", "DTYPES", "idl_name", "resolve", "send_frames", "recv_frames",
]

MDPC = b"MDPC01"
MDPW = b"MDPW01"
READY, REQUEST, REPLY, HEARTBEAT, DISCONNECT = b"\x01", b"\x02", b"\x03", b"\x04", b"\x05"
PROGRESS, CANCEL = b"\x06", b"\x07"   # roc's long calls (§2.6)
# What a roc worker says it has in its READY (§2.3): attachments (§3.3), cancels and progress (§2.6).
FEATURES = b"attachments cancel progress"
MAX_CALL = 2 ** 64 - 1   # a call's name (§2.6) is decimal from 1 to this
MAX_WORKER_INFO = 1024   # bytes of the READY's worker info frame (§2.3); a longer one is set aside

MAX_DEPTH = 256
HEADER_PREFIX = b"roc/1"

# IDL numeric scalar → numpy element type (little-endian; the reference's `order` overrides).
DTYPES = {
    "int8": np.dtype("i1"), "uint8": np.dtype("u1"), "int16": np.dtype("<i2"), "uint16": np.dtype("<u2"),
    "int32": np.dtype("<i4"), "uint32": np.dtype("<u4"), "int64": np.dtype("<i8"), "uint64": np.dtype("<u8"),
    "float": np.dtype("<f4"), "double": np.dtype("<f8"),
}
_IDL_NAME = {(dt.kind, dt.itemsize): name for name, dt in DTYPES.items()}


class BadAttachment(ValueError):
    """A reference that does not fit the message's frames (a worker answers -32602), or frames
    that no reference names (`unreferenced`; -32600)."""

    def __init__(self, message: str, unreferenced: bool = False) -> None:
        super().__init__(message)
        self.unreferenced = unreferenced


# --- call header (§2.5) ---------------------------------------------------------------------

def call_header(timeout: Optional[float], attach: bool = True, call: int = 0, progress: bool = False) -> bytes:
    """`roc/1 [timeout-ms=N] [attach=1] [call=N] [progress=1]`: how long the caller waits
    (seconds; None: no deadline), whether it reads attachments, its name for the call (0: none)
    and whether it wants progress events (§2.5, §2.6). Every call formats one: kept to one
    %-format for the common case."""
    if timeout is not None and attach and call and not progress:
        return b"roc/1 timeout-ms=%d attach=1 call=%d" % (min(max(int(timeout * 1000), 0), 4294967295), call)
    fields = [HEADER_PREFIX]
    if timeout is not None:
        fields.append(b"timeout-ms=%d" % min(max(int(timeout * 1000), 0), 4294967295))
    if attach:
        fields.append(b"attach=1")
    if call:
        fields.append(b"call=%d" % call)
    if progress:
        fields.append(b"progress=1")
    return b" ".join(fields)


def cancel_header(call: int) -> bytes:
    """The one frame of a cancel, client → broker (§2.6): `roc/1 cancel=N`."""
    return b"roc/1 cancel=%d" % call


def event_header(call: int) -> bytes:
    """The first frame of a progress event, broker → client (§2.6)."""
    return b"roc/1 call=%d event=progress" % call


def worker_info(host: str, pid: int, program: str) -> bytes:
    """The READY's worker info frame (§2.3): who this worker is, for operators' listings. Texts
    are cut to 255 bytes and control characters dropped, so the broker never sets it aside."""
    def printable(text: str) -> str:
        text = "".join(c for c in text if ord(c) >= 0x20 and ord(c) != 0x7f)
        return text.encode("utf-8")[:255].decode("utf-8", "ignore")
    return json.dumps({"host": printable(host), "pid": int(pid), "program": printable(program)},
                      ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def is_call_header(frame: bytes) -> bool:
    return frame[:1] == b"r"  # a JSON body never starts with 'r' (§2.5)


def parse_call(value: bytes) -> int:
    """A call's name (§2.6): decimal from 1 to 2^64-1, nothing else; ProtocolError otherwise."""
    value = bytes(value)
    # isdigit on bytes is ASCII digits only: no sign, no spaces, no other scripts' digits.
    if not value.isdigit() or len(value) > 20 or not 1 <= int(value) <= MAX_CALL:
        raise ProtocolError(f"a call must be a number from 1 to 2^64-1, not {value[:32]!r}")
    return int(value)


def parse_call_header(frame: bytes) -> dict:
    """The header's fields: `timeout` (seconds, or None), `attach` and `progress` (bool), `call`
    and `cancel` (the call's name, 0: none) and `event` (None, "progress", or "unknown" for a
    kind this version does not know). Unknown keys are ignored; a known key with a bad value
    raises ProtocolError (the message is malformed), as the C++ codec does (runtime/src/wire/mdp.cpp)."""
    words = bytes(frame).split(b" ")
    if words[0] != HEADER_PREFIX:
        raise ProtocolError(f"not a roc/1 call header: {bytes(frame)[:40]!r}")
    fields: dict = {"timeout": None, "attach": False, "call": 0, "progress": False, "cancel": 0, "event": None}
    for word in words[1:]:
        key, _, value = word.partition(b"=")
        if key == b"timeout-ms":
            if not value.isdigit() or int(value) > 4294967295:
                raise ProtocolError(f"bad timeout-ms in call header: {value[:20]!r}")
            fields["timeout"] = int(value) / 1000.0
        elif key == b"attach" or key == b"progress":
            if value not in (b"0", b"1"):
                raise ProtocolError(f"bad {key.decode()} in call header: {value[:20]!r}")
            fields[key.decode()] = value == b"1"
        elif key == b"call" or key == b"cancel":
            try:
                fields[key.decode()] = parse_call(value)
            except ProtocolError:
                raise ProtocolError(f"bad {key.decode()} in call header: {value[:20]!r} (a number from 1 "
                                    "to 2^64-1)") from None
        elif key == b"event":
            fields["event"] = "progress" if value == b"progress" else "unknown"
    return fields


# --- frames in and out -----------------------------------------------------------------------
# pyzmq's send_multipart/recv_multipart cost several times more than the sends and receives they
# make (flag enums on every frame); these are the hot path of every call, client and server.

_MORE = int(zmq.SNDMORE) | int(zmq.NOBLOCK)
_LAST = int(zmq.NOBLOCK)
# Below this size copying a frame costs less than pinning its buffer until ZeroMQ has sent it.
ZERO_COPY_MIN = 16384


def send_frames(socket: zmq.Socket, frames: List[Any], copy: bool = False) -> None:
    """Sends one message without blocking (zmq.Again when the socket will not take it: a refused
    message fails on its first frame, and ZeroMQ then takes all of it). Big frames (attachments)
    go without a copy unless `copy`: ZeroMQ reads the caller's buffers while it sends."""
    send = socket.send
    last = len(frames) - 1
    for index, frame in enumerate(frames):
        small = copy or (isinstance(frame, bytes) and len(frame) < ZERO_COPY_MIN)
        send(frame, _MORE if index < last else _LAST, copy=small)


def recv_frames(socket: zmq.Socket) -> List[Any]:
    """One message as zmq.Frames (attachments viewed in place); zmq.Again when none waits."""
    recv = socket.recv
    frames = [recv(_LAST, copy=False)]
    while frames[-1].more:
        frames.append(recv(_LAST, copy=False))
    return frames


# --- strict JSON ----------------------------------------------------------------------------

def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (roc writes non-finite numbers as strings)")


_decoder = json.JSONDecoder(parse_constant=_refuse_constant)
_encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def loads(body: Any) -> Any:
    """Parses one strict JSON body (bytes, str or a zmq Frame). Raises ProtocolError."""
    try:
        if isinstance(body, zmq.Frame):
            body = body.bytes   # cached by the frame: a reply's first frame is read this way twice
        text = bytes(body).decode("utf-8") if not isinstance(body, str) else body
        value, end = _decoder.raw_decode(text)
        if text[end:].strip(" \t\r\n"):
            raise ValueError(f"text after the JSON value at offset {end}")
    except RecursionError:
        raise ProtocolError(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except (UnicodeDecodeError, ValueError) as error:
        raise ProtocolError(f"invalid JSON: {error}") from None
    # Python's parser stops only at its recursion limit (about 1000 levels); roc's limit is 256
    # (§3). A text shorter than 2 × 256 characters cannot be that deep, so short bodies skip this.
    if len(text) > 2 * MAX_DEPTH and depth(value) > MAX_DEPTH:
        raise ProtocolError(f"JSON nested deeper than {MAX_DEPTH} levels")
    return value


def depth(value: Any) -> int:
    """How deeply arrays and objects nest in `value` (a scalar is 0), without recursion."""
    deepest = 0
    stack = [(value, 1)] if isinstance(value, (list, dict)) else []
    while stack:
        container, level = stack.pop()
        deepest = max(deepest, level)
        items = container.values() if isinstance(container, dict) else container
        kinds = set(map(type, items))  # in C: a flat array of a million numbers costs little
        if list in kinds or dict in kinds:
            stack.extend((item, level + 1) for item in items if isinstance(item, (list, dict)))
    return deepest



def dumps(value: Any) -> bytes:
    """Strict JSON of a value made of JSON types, numpy values and bytes (as base64)."""
    return _encoder.encode(_Encoder(None, 0).walk(value, 0)).encode("utf-8")


# --- bodies with attachments (§3.3) ---------------------------------------------------------

class _Encoder:
    """Turns a message into JSON-ready values, moving big arrays and bytes into frames."""

    def __init__(self, frames: Optional[list], min_bytes: int) -> None:
        self.frames = frames  # None: no attachments, everything as plain JSON
        self.min_bytes = min_bytes

    def walk(self, value: Any, depth: int) -> Any:
        if value is None or value is True or value is False or isinstance(value, (str, int)):
            if isinstance(value, int) and not isinstance(value, bool) and type(value) is not int:
                return int(value)  # IntEnum and friends
            return value
        if depth > MAX_DEPTH:
            raise ValueError(f"value nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, float):
            return value if math.isfinite(value) else ("NaN" if value != value else
                                                       ("Infinity" if value > 0 else "-Infinity"))
        if isinstance(value, dict):
            out = {}
            for key, item in value.items():
                if not isinstance(key, str):
                    raise TypeError(f"JSON object keys are strings, not {type(key).__name__} ({key!r})")
                out[key] = self.walk(item, depth + 1)
            return out
        if isinstance(value, (list, tuple)):
            return [self.walk(item, depth + 1) for item in value]
        if isinstance(value, np.ndarray):
            return self.array(value, depth)
        if isinstance(value, np.generic):
            return self.walk(value.item(), depth)
        if isinstance(value, (bytes, bytearray, memoryview)):
            data = memoryview(value).cast("B")
            if self.frames is not None and data.nbytes >= self.min_bytes:
                return self.attach(data, "uint8", "little", [data.nbytes])
            return base64.b64encode(data).decode("ascii")
        raise TypeError(f"cannot send a {type(value).__name__} ({value!r:.60}): give a JSON type, "
                        "a numpy array or bytes")

    def array(self, array: np.ndarray, depth: int) -> Any:
        name = idl_name(array.dtype)
        if self.frames is None or name is None or array.nbytes < self.min_bytes or array.ndim == 0:
            return self.walk(array.tolist(), depth)
        order = "big" if array.dtype.byteorder == ">" or (
            array.dtype.byteorder == "=" and np.little_endian is False) else "little"
        return self.attach(np.ascontiguousarray(array), name, order, list(array.shape))

    def attach(self, data: Any, type_name: str, order: str, shape: list) -> dict:
        self.frames.append(data)
        return {"$attachment": len(self.frames) - 1, "type": type_name, "order": order, "shape": shape}


def encode(message: Any, *, attach: bool, min_bytes: int = 1024) -> List[Any]:
    """The body frame and attachment frames of `message` (a JSON-RPC request/response or batch).

    With `attach`, numpy arrays of numbers and bytes of at least `min_bytes` become attachments,
    sent without a copy (the frames are the arrays' own buffers); otherwise they are written as
    JSON: nested lists, and base64 for bytes.
    """
    attachments: List[Any] = []
    body = _Encoder(attachments if attach else None, min_bytes).walk(message, 0)
    return [_encoder.encode(body).encode("utf-8")] + attachments


def decode(frames: Sequence[Any]) -> Any:
    """The message in `frames` (body first), references replaced by numpy arrays that view the
    frames without copying (read-only). Raises ProtocolError for a body that is not JSON and
    BadAttachment for references that do not fit."""
    message = loads(frames[0])
    if len(frames) == 1:
        return message
    buffers = [frame.buffer if hasattr(frame, "buffer") else memoryview(frame) for frame in frames[1:]]
    used = [False] * len(buffers)
    message = _resolve(message, buffers, used, 0)
    if not all(used):
        unused = [str(i) for i, u in enumerate(used) if not u]
        raise BadAttachment(f"the message carries attachment frames no reference names ({', '.join(unused)})",
                            unreferenced=True)
    return message


def idl_name(dtype: np.dtype) -> Optional[str]:
    """The IDL numeric scalar name of a numpy element type (`uint16`), or None for other types."""
    return _IDL_NAME.get((dtype.kind, dtype.itemsize))


def resolve(value: Any, buffers: Sequence[Any]) -> Any:
    """`value` (part of a decoded body) with its references replaced by views of `buffers`; for a
    receiver that resolves each parameter alone, so that an error can name it. Raises
    BadAttachment."""
    return _resolve(value, buffers, [False] * len(buffers), 0)


def _resolve(value: Any, buffers: list, used: list, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise ProtocolError(f"JSON nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, list):
        return [_resolve(item, buffers, used, depth + 1) for item in value]
    if isinstance(value, dict):
        if "$attachment" in value:
            return _array(value, buffers, used)
        return {key: _resolve(item, buffers, used, depth + 1) for key, item in value.items()}
    return value


def _array(reference: dict, buffers: list, used: list) -> np.ndarray:
    index, type_name = reference.get("$attachment"), reference.get("type")
    order, shape = reference.get("order", "little"), reference.get("shape")
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise BadAttachment(f"'$attachment' must be a frame index, not {json.dumps(index)}")
    if index >= len(buffers):
        raise BadAttachment(f"a reference to attachment {index}, but the message carries {len(buffers)}")
    if not isinstance(type_name, str) or type_name not in DTYPES:
        raise BadAttachment(f"an attachment of unknown element type {json.dumps(type_name)}")
    if order not in ("little", "big"):
        raise BadAttachment(f"an attachment of byte order {json.dumps(order)}, not \"little\" or \"big\"")
    if not isinstance(shape, list) or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0
                                              for n in shape):
        raise BadAttachment(f"an attachment's shape must be a list of sizes, not {json.dumps(shape)}")
    dtype = DTYPES[type_name].newbyteorder("<" if order == "little" else ">")
    buffer = buffers[index]
    count = math.prod(shape)
    if count * dtype.itemsize != buffer.nbytes:
        raise BadAttachment(f"an attachment of {buffer.nbytes} bytes, which is not shape {shape} of "
                            f"{type_name} elements of {dtype.itemsize} bytes")
    used[index] = True
    return np.frombuffer(buffer, dtype=dtype, count=count).reshape(shape)
