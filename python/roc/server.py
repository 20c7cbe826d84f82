"""Publish ordinary Python objects as roc objects (idl/PROTOCOL.md §2.2–§3).

    server = roc.Server("localhost:5555").publish("stage", Stage())
    server.run()                       # until SIGINT/SIGTERM or server.stop()

Threads. One I/O thread owns every worker socket (ZeroMQ sockets are not thread-safe): it
registers, heartbeats, reconnects, stamps each request as it arrives and sends the replies. Calls
run on one executor thread per object, so calls on one object run one at a time in the order
the broker sent them, a long call never stops the heartbeats, and a call whose caller stopped
waiting while it sat in the queue is answered -32006 without running. The dispatcher
(`Dispatcher.handle`) is the one error boundary: whatever a request holds and whatever a method
raises becomes a JSON-RPC error for that request, never a dead worker.
"""
from __future__ import annotations

import collections
import dataclasses
import datetime
import enum
import errno
import logging
import math
import os
import platform
import queue
import signal
import threading
import time
import types as _pytypes
import typing
from typing import Any, Callable, Deque, Dict, List, Optional, Sequence, Tuple

import numpy as np
import zmq

from . import types as idl_types
from . import wire
from .context import CallContext, _Scope
from .describe import Interface, describe, method
from .endpoints import Endpoints
from .errors import (APPLICATION_ERROR, CANCELLED, DEADLINE_EXPIRED, INTERNAL_ERROR, INVALID_PARAMS,
                     INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR, READ_ONLY, Cancelled)

__all__ = ["Server", "Dispatcher", "method", "describe", "CREDIT"]

log = logging.getLogger("roc")

CREDIT = 16               # requests the broker may keep in flight at one worker (§2.3)
LIVENESS = 3              # heartbeats the broker may miss before it is presumed gone
RECONNECT_DELAY = 0.25    # pause before reconnecting after the broker fell silent
FIRST_REFUSAL_PAUSE, LAST_REFUSAL_PAUSE = 1.0, 30.0
PENDING_SLACK = 16        # requests taken beyond the credit before the socket is left unread
MIN_INTERVAL = 0.02       # the shortest broker heartbeat period a worker keeps up with
MAX_POLL = 0.1            # bound on one poll, so stop() and timers are noticed promptly
FEATURES = wire.FEATURES


def _worker_info_frame() -> bytes:
    """Who this process is, for the broker's listings (§2.3 worker info; display only). Made once
    per process: the pid changes only in a fork."""
    global _worker_info
    if _worker_info is None or _worker_info[0] != os.getpid():  # a fork is another process
        from .logs import program_name
        _worker_info = (os.getpid(), wire.worker_info(platform.node(), os.getpid(), program_name()))
    return _worker_info[1]


_worker_info: Optional[Tuple[int, bytes]] = None
# Progress events waiting for the I/O thread, per object: a method that reports faster than the
# broker takes them loses the newest ones rather than wait or fill the memory (PROTOCOL §2.6).
PROGRESS_QUEUE = 256
MAX_PROGRESS_BYTES = 65536   # the broker drops bigger events (PROTOCOL §2.6): not worth sending
_INT_RANGES = {"int8": (-2 ** 7, 2 ** 7 - 1), "int16": (-2 ** 15, 2 ** 15 - 1), "int32": (-2 ** 31, 2 ** 31 - 1),
               "int64": (-2 ** 63, 2 ** 63 - 1), "uint8": (0, 2 ** 8 - 1), "uint16": (0, 2 ** 16 - 1),
               "uint32": (0, 2 ** 32 - 1), "uint64": (0, 2 ** 64 - 1)}
_UnionType = getattr(_pytypes, "UnionType", None)  # int | None (3.10+)
_SYSTEM = "rpc.ping, rpc.describe, rpc.get, rpc.set, rpc.signature"


def _text(value: Any) -> str:
    """str(value) that is valid UTF-8 whatever the object made (lone surrogates replaced)."""
    try:
        text = str(value)
    except Exception as error:  # a __str__ that raises
        text = f"<unprintable: {type(error).__name__}>"
    return text.encode("utf-8", "replace").decode("utf-8")


class CallError(Exception):
    """One JSON-RPC error object for one request."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code, self.message, self.data = code, _text(message), data


# --- converting parameters by their hints ----------------------------------------------------

def _inner(hint: Any, index: int = 0) -> Any:
    """The `index`th type argument of a hint (`list[int]` → int), or Any."""
    args = typing.get_args(hint)
    return args[index] if index < len(args) and args[index] is not Ellipsis else Any


def _unoptional(hint: Any) -> Any:
    """`Optional[T]` → T; other hints unchanged (`x: float = None` is optional<double>)."""
    if typing.get_origin(hint) is typing.Union or (_UnionType is not None and isinstance(hint, _UnionType)):
        rest = [a for a in typing.get_args(hint) if a is not type(None)]
        return rest[0] if len(rest) == 1 else Any
    return hint


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, np.ndarray):
        return f"an attachment of {value.dtype.name} elements"
    return type(value).__name__


class _Bad(ValueError):
    """A value that does not have its parameter's type."""


class Converter:
    """Turns received JSON (references already resolved to numpy arrays) into the Python values a
    method's hints ask for, and results into what the peer decodes for their IDL type."""

    def __init__(self, interface: Interface) -> None:
        self.classes = interface.classes
        self.idl_types = interface.idl_types

    def incoming(self, value: Any, type_: idl_types.Type, hint: Any) -> Any:
        kind = type_.kind
        if kind == "json":
            return value
        if kind == "optional":
            return None if value is None else self.incoming(value, type_.args[0], _unoptional(hint))
        if kind in ("float", "double"):
            if value is None:
                return math.nan  # §3: null reads as NaN
            if isinstance(value, str) and value in idl_types.NON_FINITE:
                return idl_types.NON_FINITE[value]
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                try:
                    return float(value)
                except OverflowError:
                    raise _Bad(f"{str(value)[:20]}... is out of the range of {kind}") from None
            raise _Bad(f"expected a number ({kind}), got {_kind(value)}")
        if value is None:
            raise _Bad(f"expected {type_}, got null")
        if kind == "bool":
            if isinstance(value, bool):
                return value
            raise _Bad(f"expected a boolean, got {_kind(value)}")
        if kind in _INT_RANGES:
            if not isinstance(value, int) or isinstance(value, bool):
                raise _Bad(f"expected an integer ({kind}), got {_kind(value)}")
            low, high = _INT_RANGES[kind]
            if not low <= value <= high:
                raise _Bad(f"{value} is out of the range of {kind}")
            return value
        if kind == "string":
            if isinstance(value, str):
                return value
            raise _Bad(f"expected a string, got {_kind(value)}")
        if kind == "bytes":
            if isinstance(value, np.ndarray) and value.dtype != np.uint8:
                raise _Bad(f"expected bytes, got {_kind(value)}")
            result = idl_types.from_wire(value, type_)
            if not isinstance(result, bytes):
                raise _Bad(f"expected bytes (base64 text or an attachment), got {_kind(value)}")
            return result
        if type_.numeric_array:
            return self._array(value, type_)
        if kind == "array":
            if not isinstance(value, list):
                raise _Bad(f"expected an array, got {_kind(value)}")
            if type_.size is not None and len(value) != type_.size:
                raise _Bad(f"expected {type_.size} elements, got {len(value)}")
            element = _inner(hint)
            return [self._item(item, type_.args[0], element, f"element {i}") for i, item in enumerate(value)]
        if kind == "tuple":
            if not isinstance(value, list) or len(value) != len(type_.args):
                raise _Bad(f"expected an array of {len(type_.args)} elements, got {_kind(value)}")
            return tuple(self._item(item, arg, _inner(hint, i), f"element {i}")
                         for i, (item, arg) in enumerate(zip(value, type_.args)))
        if kind == "map":
            if not isinstance(value, dict):
                raise _Bad(f"expected an object, got {_kind(value)}")
            element = _inner(hint, 1)
            return {key: self._item(item, type_.args[0], element, f"member '{key}'") for key, item in value.items()}
        if kind == "duration":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise _Bad(f"expected a number of {type_.name}, got {_kind(value)}")
            if hint is datetime.timedelta:
                try:
                    return datetime.timedelta(seconds=value * idl_types.UNITS[type_.name])
                except (OverflowError, ValueError):
                    raise _Bad(f"{value} {type_.name} is out of the range of a timedelta") from None
            return value
        if kind == "named":
            return self._named(value, type_.name)
        return value

    def _item(self, value: Any, type_: idl_types.Type, hint: Any, where: str) -> Any:
        try:
            return self.incoming(value, type_, hint)
        except _Bad as error:
            raise _Bad(f"{where}: {error}") from None

    def _array(self, value: Any, type_: idl_types.Type) -> np.ndarray:
        element = type_.args[0].kind
        if isinstance(value, np.ndarray):
            sent = wire.idl_name(value.dtype)
            if sent != element:
                raise _Bad(f"an attachment of {sent or value.dtype.name} elements, but the type is {type_}")
            if type_.kind == "array" and value.ndim != 1:
                raise _Bad(f"an attachment of {value.ndim} dimensions for the flat {type_}")
            return value
        if not isinstance(value, list):
            raise _Bad(f"expected an array of numbers ({type_}), got {_kind(value)}")
        try:
            with np.errstate(all="raise"):
                numbers = idl_types.numbers(value)
                if element in _INT_RANGES:
                    low, high = _INT_RANGES[element]
                    flat = np.asarray(numbers, dtype=object).ravel()
                    if any(isinstance(n, bool) or not isinstance(n, int) or not low <= n <= high for n in flat):
                        raise _Bad(f"expected integers in the range of {element}")
                elif any(isinstance(n, bool) or not isinstance(n, (int, float))
                         for n in np.asarray(numbers, dtype=object).ravel()):
                    raise _Bad(f"expected numbers ({type_})")
                array = np.array(numbers, dtype=wire.DTYPES[element])
        except _Bad:
            raise
        except (TypeError, ValueError, OverflowError, FloatingPointError) as error:
            raise _Bad(f"not an array of {element} ({error})") from None
        if type_.kind == "array" and array.ndim != 1:
            raise _Bad(f"expected a flat array, got {array.ndim} dimensions")
        if type_.size is not None and array.size != type_.size:
            raise _Bad(f"expected {type_.size} elements, got {array.size}")
        return array

    def _named(self, value: Any, name: str) -> Any:
        cls = self.classes.get(name)
        declared = self.idl_types.get(name, {})
        if declared.get("kind") == "enum":
            names = [v["name"] for v in declared["values"]]
            if not isinstance(value, str) or value not in names:
                raise _Bad(f"expected one of {', '.join(names)} ({name}), got "
                           f"{wire.dumps(value).decode()[:60] if not isinstance(value, np.ndarray) else _kind(value)}")
            return cls[value] if cls is not None else value
        if declared.get("kind") == "struct":
            if not isinstance(value, dict):
                raise _Bad(f"expected an object ({name}), got {_kind(value)}")
            from .describe import _hints
            hints = _hints(cls) if cls is not None else {}
            out = {}
            for field in declared["fields"]:
                field_type = idl_types.parse(field["type"])
                if field["name"] not in value:
                    if field_type.kind == "optional":
                        out[field["name"]] = None
                        continue
                    fields = dataclasses.fields(cls) if cls is not None else ()
                    dc_field = next((f for f in fields if f.name == field["name"]), None)
                    if dc_field is not None and (dc_field.default is not dataclasses.MISSING or
                                                 dc_field.default_factory is not dataclasses.MISSING):
                        continue
                    raise _Bad(f"member '{field['name']}' of {name} is missing")
                out[field["name"]] = self._item(value[field["name"]], field_type, hints.get(field["name"], Any),
                                                f"member '{field['name']}'")
            try:
                return cls(**out) if cls is not None else out
            except Exception as error:  # the dataclass's own checks (__post_init__)
                raise _Bad(f"not a valid {name}: {_text(error)}") from None
        return value

    def outgoing(self, value: Any, type_: idl_types.Type) -> Any:
        if type_.kind == "json":
            return _plain(value, 0)
        return idl_types.to_wire(value, type_, self.idl_types)


def _plain(value: Any, depth: int) -> Any:
    """A `json` result made of what the wire codec writes: enums by name, dataclasses as dicts,
    timedeltas in seconds, sets and tuples as arrays."""
    if value is None or isinstance(value, (bool, int, float, str, np.ndarray, np.generic, bytes)):
        return value
    if depth > wire.MAX_DEPTH:
        raise ValueError(f"value nested deeper than {wire.MAX_DEPTH} levels")
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, dict):
        return {key: _plain(item, depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(item, depth + 1) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name), depth + 1) for f in dataclasses.fields(value)}
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    return value


# --- dispatch ----------------------------------------------------------------------------------

def _valid_id(request: dict) -> bool:
    id_ = request["id"]
    if id_ is None or isinstance(id_, str):
        return True
    return isinstance(id_, int) and not isinstance(id_, bool) and -2 ** 63 <= id_ <= 2 ** 64 - 1


def _error(id_: Any, code: int, message: str, data: Any = None) -> dict:
    error: dict = {"code": code, "message": _text(message)}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": "2.0", "id": id_, "error": error}


def _references(message: Any) -> set:
    """The attachment indices the message's references name (iteratively: no recursion)."""
    found = set()
    stack = [message]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(item for item in value if isinstance(item, (list, dict)))
        elif isinstance(value, dict):
            index = value.get("$attachment")
            if isinstance(index, int) and not isinstance(index, bool):
                found.add(index)
            stack.extend(item for item in value.values() if isinstance(item, (list, dict)))
    return found


def _ids(message: Any) -> List[Any]:
    """The ids to answer in a message (requests with a valid id; an invalid one answers null)."""
    items = message if isinstance(message, list) else [message]
    ids = []
    for item in items:
        if isinstance(item, dict) and "id" in item:
            ids.append(item["id"] if _valid_id(item) else None)
        elif not isinstance(item, dict):
            ids.append(None)
    return ids


def error_body(body: Any, code: int, text: str) -> bytes:
    """One error per request id of `body` (an array for a batch, empty for notifications only)."""
    try:
        message = wire.loads(body)
    except Exception:
        return wire.dumps(_error(None, code, text))
    errors = [_error(id_, code, text) for id_ in _ids(message)]
    if isinstance(message, list) and message:
        return wire.dumps(errors) if errors else b""
    return wire.dumps(errors[0]) if errors else b""


class Dispatcher:
    """JSON-RPC 2.0 for one published object: validation, lookup, parameters by position or name
    converted by the IDL types of the method's hints, results converted back, and every failure
    mapped to its code (PROTOCOL §3.1)."""

    def __init__(self, object_id: str, interface: Interface, attachment_min_bytes: int = 1024) -> None:
        self.object_id = object_id
        self.interface = interface
        self.min_bytes = attachment_min_bytes
        self.convert = Converter(interface)
        self._params = {name: [(p, idl_types.parse(p.type)) for p in m.params]
                        for name, m in interface.methods.items()}
        self._returns = {name: idl_types.parse(m.returns) for name, m in interface.methods.items()}
        self._property_types = {name: idl_types.parse(p.type) for name, p in interface.properties.items()}

    # The body frames of the reply to one request message (body + attachment frames).
    def handle(self, frames: Sequence[Any], attach: bool = False,
               context: Optional[CallContext] = None) -> List[Any]:
        """`context` goes to methods that take a roc.CallContext (an empty one when None)."""
        try:
            return self._handle(frames, attach, context)
        except Exception as error:  # a fault in roc itself: still one valid reply
            log.exception("roc server '%s': internal error while dispatching", self.object_id)
            return [error_body(frames[0] if frames else b"", INTERNAL_ERROR, f"internal error: {_text(error)}")]

    def _handle(self, frames: Sequence[Any], attach: bool, context: Optional[CallContext]) -> List[Any]:
        body = frames[0]
        try:
            message = wire.loads(body)  # strict, and at most 256 levels deep (§3)
        except wire.ProtocolError as error:
            return [wire.dumps(_error(None, PARSE_ERROR, f"the request body cannot be read: {error}"))]
        buffers = [f.buffer if hasattr(f, "buffer") else memoryview(f) for f in frames[1:]]
        if buffers:
            named = _references(message)
            unused = [i for i in range(len(buffers)) if i not in named]
            if unused:
                text = (f"invalid JSON-RPC 2.0 request: the message carries {len(buffers)} attachments but no "
                        f"reference names attachment {unused[0]}")
                return [error_body(body, INVALID_REQUEST, text)]
        if isinstance(message, list):
            if not message:
                return [wire.dumps(_error(None, INVALID_REQUEST, "invalid JSON-RPC 2.0 request: an empty batch"))]
            responses = [r for r in (self._one(item, buffers, context) for item in message) if r is not None]
            return self._encode(responses, attach, batch=True) if responses else [b""]
        response = self._one(message, buffers, context)
        return self._encode([response], attach, batch=False) if response is not None else [b""]

    def _encode(self, responses: List[dict], attach: bool, batch: bool) -> List[Any]:
        whole = responses if batch else responses[0]
        try:
            return wire.encode(whole, attach=attach, min_bytes=self.min_bytes)
        except (TypeError, ValueError) as first:
            log.debug("roc server '%s': a result cannot be written: %s", self.object_id, first)
        # Find the responses that cannot be written; they alone become -32603 (§3).
        for i, response in enumerate(responses):
            try:
                wire.encode(response, attach=True, min_bytes=0)
            except (TypeError, ValueError) as error:
                responses[i] = _error(response.get("id"), INTERNAL_ERROR,
                                      f"the result cannot be written as JSON: {_text(error)}")
        whole = responses if batch else responses[0]
        return wire.encode(whole, attach=attach, min_bytes=self.min_bytes)

    def _one(self, request: Any, buffers: list, context: Optional[CallContext]) -> Optional[dict]:
        """The response to one request, or None for a notification."""
        if not isinstance(request, dict):
            return _error(None, INVALID_REQUEST,
                          f"invalid JSON-RPC 2.0 request: expected an object, got {_kind(request)}")
        notification = "id" not in request
        if not notification and not _valid_id(request):
            return _error(None, INVALID_REQUEST, "invalid JSON-RPC 2.0 request: 'id' must be a string, an "
                          "integer that fits in 64 bits or null, not " + _kind(request["id"]))
        id_ = request.get("id")
        why = None
        if request.get("jsonrpc") != "2.0":
            why = "'jsonrpc' must be \"2.0\""
        elif not isinstance(request.get("method"), str):
            why = "'method' must be a string"
        elif "params" in request and not isinstance(request["params"], (list, dict)):
            why = "'params' must be an array or an object"
        if why:
            return None if notification else _error(id_, INVALID_REQUEST, "invalid JSON-RPC 2.0 request: " + why)
        name = request["method"]
        try:
            result = self._call(name, request.get("params"), buffers, context)
        except CallError as error:
            return None if notification else _error(id_, error.code, error.message, error.data)
        except Exception as error:  # noqa: BLE001 — the boundary: a fault in roc, not the method
            log.exception("roc server '%s': internal error in '%s'", self.object_id, name)
            return None if notification else _error(id_, INTERNAL_ERROR, f"internal error: {_text(error)}")
        if notification:
            return None
        return {"jsonrpc": "2.0", "id": id_, "result": result}

    def _resolve(self, value: Any, buffers: list, what: str) -> Any:
        if not buffers:
            return value
        try:
            return wire.resolve(value, buffers)
        except wire.BadAttachment as error:
            raise CallError(INVALID_PARAMS, f"{what}: {error}") from None

    def _guarded(self, what: str, body: Callable[[], Any]) -> Any:
        try:
            return body()
        except CallError:
            raise
        except Cancelled as error:  # the method stopped on a cancel (PROTOCOL §2.6)
            raise CallError(CANCELLED, error.message if error.message.startswith("cancelled") else
                            f"cancelled: '{what}' stopped on a cancel: {error.message}") from None
        except BaseException as error:  # noqa: B036 — whatever the object raises goes to the caller
            if isinstance(error, (KeyboardInterrupt,)):
                raise
            type_name = type(error).__name__
            what_text = _text(error)
            raise CallError(APPLICATION_ERROR, f"'{what}' threw {type_name}: {what_text}",
                            {"type": type_name, "what": what_text}) from None

    def _call(self, name: str, params: Any, buffers: list, context: Optional[CallContext] = None) -> Any:
        if name.startswith("rpc."):
            return self._system(name, params, buffers)
        entry = self.interface.methods.get(name)
        if entry is None:
            raise CallError(METHOD_NOT_FOUND,
                            f"object '{self.object_id}' ({self.interface.name}) has no method '{name}'")
        declared = self._params[name]
        args: List[Any] = []
        kwargs: Dict[str, Any] = {}
        given: Dict[str, Any] = {}
        if isinstance(params, list):
            if len(params) > len(declared):
                raise CallError(INVALID_PARAMS, f"method '{name}' takes {len(declared)} parameter"
                                f"{'' if len(declared) == 1 else 's'}, got {len(params)}")
            for (param, _), value in zip(declared, params):
                given[param.name] = value
        elif isinstance(params, dict):
            names = [p.name for p, _ in declared]
            for key in params:
                if key not in names:
                    raise CallError(INVALID_PARAMS, f"method '{name}' has no parameter '{key}' (its parameters: "
                                    f"{', '.join(names) or 'none'})")
            given = params
        positional_only = True
        for param, type_ in declared:
            if param.kind != param.kind.POSITIONAL_ONLY:
                positional_only = False
            if param.name in given:
                raw = self._resolve(given[param.name], buffers, f"parameter '{param.name}' of '{name}'")
                try:
                    value = self.convert.incoming(raw, type_, param.hint)
                except _Bad as error:
                    raise CallError(INVALID_PARAMS, f"parameter '{param.name}' of '{name}': {error}") from None
            elif param.has_default:
                if positional_only:
                    args.append(param.default)
                continue
            elif type_.kind == "optional":
                value = None
            else:
                raise CallError(INVALID_PARAMS, f"method '{name}' needs parameter '{param.name}'")
            if positional_only:
                args.append(value)
            else:
                kwargs[param.name] = value
        if entry.context is not None:
            kwargs[entry.context] = context if context is not None else CallContext(self.object_id)
        result = self._guarded(name, lambda: entry.function(*args, **kwargs))
        return self._out(result, self._returns[name], f"the result of '{name}'")

    def _out(self, value: Any, type_: idl_types.Type, what: str) -> Any:
        if type_.kind == "void":
            return None
        try:
            return self.convert.outgoing(value, type_)
        except (TypeError, ValueError, KeyError, AttributeError) as error:
            raise CallError(INTERNAL_ERROR, f"{what} cannot be written as {type_}: {_text(error)}") from None

    def _system(self, name: str, params: Any, buffers: list) -> Any:
        if name == "rpc.ping":
            return "pong"
        if name == "rpc.describe":
            return self.interface.document
        if name == "rpc.signature":
            return self.interface.signature
        if name in ("rpc.get", "rpc.set"):
            prop_name = self._system_param(params, 0, "name", name)
            prop = self.interface.properties.get(prop_name)
            if prop is None:
                raise CallError(INVALID_PARAMS, f"object '{self.object_id}' ({self.interface.name}) has no "
                                f"property '{prop_name}'")
            type_ = self._property_types[prop_name]
            if name == "rpc.get":
                value = self._guarded(prop_name, prop.getter)
                return self._out(value, type_, f"property '{prop_name}'")
            if prop.readonly or prop.setter is None:
                raise CallError(READ_ONLY, f"property '{prop_name}' of object '{self.object_id}' is read-only")
            if isinstance(params, list) and len(params) >= 2:
                raw = params[1]
            elif isinstance(params, dict) and "value" in params:
                raw = params["value"]
            else:
                raise CallError(INVALID_PARAMS, f"{name} needs parameter 'value'")
            raw = self._resolve(raw, buffers, f"value of property '{prop_name}'")
            try:
                value = self.convert.incoming(raw, type_, prop.hint)
            except _Bad as error:
                raise CallError(INVALID_PARAMS, f"value of property '{prop_name}': {error}") from None
            self._guarded(prop_name, lambda: prop.setter(value))
            return None
        raise CallError(METHOD_NOT_FOUND, f"'{name}' is not a system method ({_SYSTEM})")

    @staticmethod
    def _system_param(params: Any, index: int, key: str, method_name: str) -> str:
        value = None
        if isinstance(params, list) and index < len(params):
            value = params[index]
        elif isinstance(params, dict) and key in params:
            value = params[key]
        else:
            raise CallError(INVALID_PARAMS, f"{method_name} needs parameter '{key}'")
        if not isinstance(value, str):
            raise CallError(INVALID_PARAMS, f"parameter '{key}' of {method_name} must be a string, got {_kind(value)}")
        return value


# --- the worker side of 7/MDP ---------------------------------------------------------------

@dataclasses.dataclass
class _Job:
    generation: int
    client: bytes
    frames: List[Any]           # body + attachments
    attach: bool
    timeout: Optional[float]    # seconds the caller still waited when the request arrived
    arrived: float              # monotonic
    problem: Optional[str] = None  # a malformed request: answered with this, not run
    call: int = 0               # the caller's name for the call (PROTOCOL §2.6); 0: none
    context: Optional[CallContext] = None


class _Executor:
    """One thread running one object's calls, one at a time, in arrival order."""

    def __init__(self, worker: "_Worker") -> None:
        self.worker = worker
        self.jobs: "queue.SimpleQueue[Optional[_Job]]" = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name=f"roc-call-{worker.object_id}", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        worker = self.worker
        while True:
            job = self.jobs.get()
            if job is None:
                return
            context = job.context
            try:
                if job.problem is not None:
                    reply = [error_body(job.frames[0], INVALID_REQUEST, job.problem)]
                elif context.cancelled():
                    # Still answered, in order: the reply returns the broker's credit (§2.6).
                    reply = [error_body(job.frames[0], CANCELLED, f"cancelled: the call to '{worker.object_id}' "
                                        "was cancelled before it ran")]
                elif job.timeout is not None and time.monotonic() >= job.arrived + job.timeout:
                    log.debug("roc server '%s': skipped a call whose caller's %d ms timeout passed while it "
                              "was queued", worker.object_id, job.timeout * 1000)
                    reply = [error_body(job.frames[0], DEADLINE_EXPIRED,
                                        f"deadline expired: the caller's timeout of {round(job.timeout * 1000)} ms "
                                        f"passed before '{worker.object_id}' could run the call")]
                else:
                    with _Scope(context):
                        reply = worker.dispatcher.handle(job.frames, job.attach, context)
            except BaseException as error:  # noqa: B036 — the credit must come back whatever happens
                log.exception("roc server '%s': dispatch failed", worker.object_id)
                reply = [error_body(job.frames[0], INTERNAL_ERROR, f"internal error: {_text(error)}")]
            job.frames = []  # free the request's buffers now
            context._end()
            worker.server._deliver(worker, job, reply)


class _Worker:
    """One object id's socket and its registration state. Used by the I/O thread only, except
    `outbox` and `outstanding`, which the executor shares under the server's lock."""

    def __init__(self, server: "Server", object_id: str, interface: Interface) -> None:
        self.server = server
        self.object_id = object_id
        self.dispatcher = Dispatcher(object_id, interface, server.attachment_min_bytes)
        self.executor: Optional[_Executor] = None
        self.socket: Optional[zmq.Socket] = None
        self.generation = 0
        self.last_sent = self.last_heard = 0.0
        self.interval = server.heartbeat   # heartbeat period in use: ours, or the broker's if shorter
        self.broker_beat: Optional[float] = None  # when the broker's last HEARTBEAT came
        self.heard_since_ready = False
        self.refusals = 0
        self.last_refusal: Optional[str] = None
        self.retry_at: Optional[float] = None
        self.outstanding = 0               # requests handed to the executor, not yet replied
        self.outbox: Deque[Tuple[_Job, List[Any]]] = collections.deque()
        # Progress events of running calls, for the I/O thread (shared under the server's lock).
        self.progress: Deque[Tuple[_Job, bytes]] = collections.deque()
        self.progress_dropped = 0
        # The contexts of calls taken and not yet answered, by (client address, call), for CANCEL.
        self.calls: Dict[Tuple[bytes, int], CallContext] = {}


class Server:
    """Publishes Python objects through a roc broker, one worker socket per object id.

    `endpoints`: Endpoints, an address string, or None ($ROC_BROKER, else localhost:5555).
    `heartbeat`: seconds between heartbeats (the broker is presumed gone after three silent
    intervals while no call runs). `attachment_min_bytes`: results at least this big travel as
    binary attachments to callers that read them (PROTOCOL §3.3).
    """

    def __init__(self, endpoints: Any = None, *, ctx: Optional[zmq.Context] = None, heartbeat: float = 2.5,
                 attachment_min_bytes: int = 1024, credit: int = CREDIT) -> None:
        if heartbeat <= 0:
            raise ValueError("heartbeat must be a positive number of seconds")
        if not 1 <= credit <= 1048576:
            raise ValueError("credit must be from 1 to 1048576")
        self.endpoints = Endpoints.of(endpoints)
        # A context of its own unless given one: terminating it at stop() waits (up to the
        # sockets' linger) until the last DISCONNECT has left, even when the process exits next.
        self._own_ctx = ctx is None
        self.ctx = ctx
        self.heartbeat = float(heartbeat)
        self.attachment_min_bytes = attachment_min_bytes
        self.credit = credit
        self._workers: Dict[str, _Worker] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._running = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)

    # -- public API

    def publish(self, object_id: str, obj: Any, *, methods: Optional[Sequence[str]] = None,
                properties: Optional[Sequence[str]] = None) -> "Server":
        """Serves `obj` as `object_id` (its interface from roc.describe; `methods` / `properties`
        narrow what is exported). May be called before or while the server runs."""
        if not isinstance(object_id, str) or not object_id:
            raise ValueError("an object id is a non-empty string")
        encoded = object_id.encode("utf-8")
        if len(encoded) > 255 or any(ord(c) < 32 or ord(c) == 127 for c in object_id):
            raise ValueError(f"object id {object_id!r} is longer than 255 bytes or holds control characters")
        interface = Interface(obj, methods, properties)
        with self._lock:
            if object_id in self._workers:
                raise ValueError(f"object id '{object_id}' is published already")
            self._workers[object_id] = _Worker(self, object_id, interface)
        log.info("roc server: publishing '%s' (%s: %d methods, %d properties, signature %s)", object_id,
                 interface.name, len(interface.methods), len(interface.properties), interface.signature)
        self._wake()
        return self

    def run(self) -> None:
        """Serves until SIGINT/SIGTERM (handlers installed when called on the main thread) or stop()."""
        self._stopping.clear()
        previous = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                previous[sig] = signal.signal(sig, self._on_signal)
        try:
            self._loop()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def start(self) -> "Server":
        """Serves in a background thread; returns at once."""
        if self._thread is not None and self._thread.is_alive():
            return self
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name="roc-server", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Says goodbye to the broker (DISCONNECT) and stops; waits up to `timeout` seconds for
        the background thread and calls still running."""
        self._stopping.set()
        self._wake()
        thread = self._thread
        current = threading.current_thread()
        if current.name.startswith("roc-call-"):
            return  # stop() from inside a call: the I/O thread waits for this call, not the reverse
        if thread is not None and thread is not current:
            thread.join(timeout)

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._running.is_set()

    def wait_registered(self, timeout: float = 5.0) -> bool:
        """Waits until every published object has heard from the broker since its READY."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                workers = list(self._workers.values())
            if workers and all(w.heard_since_ready and w.socket is not None for w in workers):
                return True
            time.sleep(0.01)
        return False

    # -- plumbing

    def _on_signal(self, signum: int, frame: Any) -> None:
        log.info("roc server: %s received; stopping", signal.Signals(signum).name)
        self._stopping.set()
        self._wake()

    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"!")
        except BlockingIOError:
            pass  # full: the I/O thread is woken anyway
        except OSError as error:
            if error.errno != errno.EBADF:
                raise

    def _deliver(self, worker: _Worker, job: _Job, reply: List[Any]) -> None:
        with self._lock:
            worker.outbox.append((job, reply))
        self._wake()

    def _report(self, worker: _Worker, job: _Job, event: bytes) -> None:
        """A progress event from the method's thread, handed to the I/O thread (which alone may
        touch the socket); dropped, never waited for, when too many wait already."""
        if len(event) > MAX_PROGRESS_BYTES:
            log.debug("roc server '%s': dropped a progress event of %d bytes (at most %d travel)",
                      worker.object_id, len(event), MAX_PROGRESS_BYTES)
            return
        with self._lock:
            if len(worker.progress) >= PROGRESS_QUEUE:
                worker.progress_dropped += 1
                dropped = worker.progress_dropped
            else:
                worker.progress.append((job, event))
                dropped = 0
        if dropped:
            # Expected of a method that reports faster than anyone can read: said once.
            if dropped == 1:
                log.info("roc server '%s': dropping progress events: %d wait to be sent already",
                         worker.object_id, PROGRESS_QUEUE)
            return
        self._wake()

    def _loop(self) -> None:
        if self._running.is_set():
            raise RuntimeError("this roc.Server runs already")
        self._running.set()
        try:
            self._serve()
        finally:
            self._running.clear()

    def _serve(self) -> None:
        if self._own_ctx:
            self.ctx = zmq.Context()
        log.info("roc server: serving at %s", self.endpoints.calls)
        while not self._stopping.is_set():
            now = time.monotonic()
            with self._lock:
                workers = list(self._workers.values())
            for worker in workers:
                if worker.executor is None:
                    worker.executor = _Executor(worker)
                    self._connect(worker, now)
            items: List[Tuple[Any, int]] = [(self._wake_r, zmq.POLLIN)]
            readable: Dict[Any, _Worker] = {}
            wait = MAX_POLL
            for worker in workers:
                if worker.socket is not None:
                    if worker.outstanding < self.credit + PENDING_SLACK:
                        items.append((worker.socket, zmq.POLLIN))
                        readable[worker.socket] = worker
                    wait = min(wait, worker.last_sent + worker.interval - now)
                elif worker.retry_at is not None:
                    wait = min(wait, worker.retry_at - now)
            try:
                events = dict(zmq.zmq_poll(items, max(0, int(wait * 1000))))
            except zmq.ZMQError as error:
                if error.errno == errno.EINTR:
                    continue
                raise
            if self._wake_r in events:
                try:
                    while os.read(self._wake_r, 4096):
                        pass
                except BlockingIOError:
                    pass
            now = time.monotonic()
            for worker in workers:
                self._send_replies(worker, now)
            for socket, worker in readable.items():
                if events.get(socket) and worker.socket is socket:
                    self._receive(worker)
            now = time.monotonic()
            for worker in workers:
                self._timers(worker, now)
        self._shutdown()

    def _shutdown(self) -> None:
        with self._lock:
            workers = list(self._workers.values())
        for worker in workers:
            if worker.executor is not None:
                worker.executor.jobs.put(None)
        deadline = time.monotonic() + 5.0
        for worker in workers:
            if worker.executor is not None:
                worker.executor.thread.join(max(0.0, deadline - time.monotonic()))
                if worker.executor.thread.is_alive():
                    log.warning("roc server '%s': a call still runs; not waiting for it", worker.object_id)
            self._send_replies(worker, time.monotonic())  # replies of calls that finished meanwhile
            self._abandon(worker)
            worker.executor = None
        if self._own_ctx:
            self.ctx.term()
        log.info("roc server: stopped")

    def _send(self, worker: _Worker, frames: List[Any]) -> bool:
        try:
            wire.send_frames(worker.socket, [b"", wire.MDPW] + frames)
        except zmq.Again:
            log.warning("roc worker '%s': the broker does not take messages (queue full); dropped one",
                        worker.object_id)
            return False
        worker.last_sent = time.monotonic()
        return True

    def _connect(self, worker: _Worker, now: float) -> None:
        socket = self.endpoints.socket(self.ctx, zmq.DEALER)
        socket.linger = 100  # time to deliver a last DISCONNECT
        socket.connect(self.endpoints.calls)
        worker.socket = socket
        worker.generation += 1
        worker.calls = {}   # calls of the old connection: the broker answered them already
        worker.heard_since_ready = False
        worker.retry_at = None
        self._send(worker, [wire.READY, worker.object_id.encode("utf-8"), str(self.credit).encode(), FEATURES,
                            _worker_info_frame()])
        worker.last_sent = worker.last_heard = now
        worker.broker_beat = None

    def _abandon(self, worker: _Worker) -> None:
        """DISCONNECT (so the broker stops routing calls to this identity), then close."""
        if worker.socket is None:
            return
        self._send(worker, [wire.DISCONNECT])
        worker.socket.close()
        worker.socket = None
        worker.generation += 1

    def _drop_socket(self, worker: _Worker) -> None:
        if worker.socket is not None:
            worker.socket.close(linger=0)
            worker.socket = None
            worker.generation += 1

    def _send_replies(self, worker: _Worker, now: float) -> None:
        with self._lock:
            # Both at once: a call's progress events, taken with its reply, go out before it.
            progress = list(worker.progress) if worker.progress else ()
            worker.progress.clear()
            done = list(worker.outbox)
            worker.outbox.clear()
            worker.outstanding -= len(done)
        for job, event in progress:
            if worker.socket is None or job.generation != worker.generation:
                continue
            try:   # never wait: progress is worth less than the calls behind it
                wire.send_frames(worker.socket, [b"", wire.MDPW, wire.PROGRESS, job.client, b"",
                                                 b"%d" % job.call, event])
            except zmq.Again:
                worker.progress_dropped += 1
        for job, reply in done:
            if job.call:
                worker.calls.pop((job.client, job.call), None)
            if worker.socket is None or job.generation != worker.generation:
                continue  # the connection it came on is gone; the broker answered -32002 already
            self._send(worker, [wire.REPLY, job.client, b""] + reply)
        if done and worker.outstanding == 0:
            worker.last_heard = max(worker.last_heard, now)  # idle again: silence counts from here

    def _receive(self, worker: _Worker) -> None:
        for _ in range(self.credit + PENDING_SLACK):
            if worker.socket is None or worker.outstanding >= self.credit + PENDING_SLACK:
                return
            try:
                frames = wire.recv_frames(worker.socket)
            except zmq.Again:
                return
            now = time.monotonic()
            worker.last_heard = now
            self._handle(worker, frames, now)

    def _malformed(self, worker: _Worker, why: str) -> None:
        log.warning("roc worker '%s': dropped a malformed message from the broker: %s", worker.object_id, why)

    def _handle(self, worker: _Worker, frames: List[Any], now: float) -> None:
        if len(frames) < 3 or frames[0].bytes != b"" or frames[1].bytes != wire.MDPW:
            return self._malformed(worker, "not a 7/MDP worker message")
        command = frames[2].bytes
        if command == wire.REQUEST:
            worker.heard_since_ready = True
            worker.refusals = 0
            if len(frames) < 6 or frames[4].bytes != b"":
                return self._malformed(worker, "a REQUEST without client address, delimiter and body")
            client, rest = frames[3].bytes, list(frames[5:])
            header = {"timeout": None, "attach": False, "call": 0, "progress": False}
            problem = None
            if wire.is_call_header(rest[0].buffer):
                try:
                    header = wire.parse_call_header(rest[0].bytes)
                except wire.ProtocolError as error:
                    # Not run, but answered: the reply returns the broker's credit.
                    self._malformed(worker, str(error))
                    problem = f"invalid request: a malformed call header ({error})"
                rest = rest[1:]
                if not rest:
                    return self._malformed(worker, "a REQUEST with a call header but no body")
            job = _Job(worker.generation, client, rest, header["attach"], header["timeout"], now, problem,
                       header["call"])
            deadline = None if header["timeout"] is None else now + header["timeout"]
            report = None
            if header["progress"] and job.call:
                server = self
                report = lambda event: server._report(worker, job, event)  # noqa: E731
            job.context = CallContext(worker.object_id, deadline, report=report)
            if job.call:
                worker.calls[(client, job.call)] = job.context
            with self._lock:
                worker.outstanding += 1
            worker.executor.jobs.put(job)
        elif command == wire.CANCEL:
            # A call taken and not answered yet: a queued one is answered -32008 when its turn
            # comes, a running one is told; anything else (answered already) means nothing.
            if len(frames) != 6 or frames[4].bytes != b"":
                return self._malformed(worker, "a CANCEL without client address, delimiter and call")
            try:
                call = wire.parse_call(frames[5].bytes)
            except wire.ProtocolError as error:
                return self._malformed(worker, f"CANCEL: {error}")
            context = worker.calls.get((frames[3].bytes, call))
            if context is not None:
                context._cancel()
        elif command == wire.HEARTBEAT:
            worker.heard_since_ready = True
            # A broker that heartbeats faster than we do also expires us sooner (after three of
            # its intervals): keep up with it, whatever `heartbeat` said.
            if worker.broker_beat is not None:
                gap = now - worker.broker_beat
                if MIN_INTERVAL <= gap < worker.interval * 0.9:
                    log.info("roc worker '%s': the broker heartbeats every %d ms; doing the same",
                             worker.object_id, gap * 1000)
                    worker.interval = gap
            worker.broker_beat = now
        elif command == wire.DISCONNECT:
            reason = frames[3].bytes.decode("utf-8", "replace") if len(frames) > 3 else ""
            self._on_disconnect(worker, reason[:512], now)
        else:
            self._malformed(worker, f"unexpected command {command[:4]!r}")

    def _on_disconnect(self, worker: _Worker, reason: str, now: float) -> None:
        # A DISCONNECT answering our READY is a refusal: registering again at once would be
        # refused again, forever. roc's broker says why; without a reason one DISCONNECT may be a
        # broker restarting, two in a row are not (PROTOCOL §2.2).
        refused = not worker.heard_since_ready and (bool(reason) or worker.refusals >= 1)
        worker.refusals = 0 if worker.heard_since_ready else worker.refusals + 1
        self._drop_socket(worker)  # the broker forgot this identity already: no DISCONNECT back
        if not refused:
            worker.last_refusal = None
            log.info("roc worker '%s': the broker asked to reconnect; registering again", worker.object_id)
            self._connect(worker, now)
            return
        doublings = min(worker.refusals - (2 if not reason else 1), 5)
        delay = min(FIRST_REFUSAL_PAUSE * (1 << max(doublings, 0)), LAST_REFUSAL_PAUSE)
        why = reason or "it gave no reason"
        if why != worker.last_refusal:
            log.warning("roc worker '%s': the broker at %s refused to register it (%s); trying again after "
                        "pauses of %g s doubling up to %g s", worker.object_id, self.endpoints.calls, why,
                        FIRST_REFUSAL_PAUSE, LAST_REFUSAL_PAUSE)
            worker.last_refusal = why
        else:
            log.debug("roc worker '%s': refused again (%s); next try in %g s", worker.object_id, why, delay)
        worker.retry_at = now + delay

    def _timers(self, worker: _Worker, now: float) -> None:
        if worker.socket is None:
            if worker.retry_at is not None and now >= worker.retry_at:
                self._connect(worker, now)
            return
        # Silence counts only while idle (PROTOCOL §2.2): a broker need not heartbeat busy workers.
        if worker.outstanding == 0 and now - worker.last_heard > worker.interval * LIVENESS:
            log.warning("roc worker '%s': no word from the broker at %s for %d ms; reconnecting",
                        worker.object_id, self.endpoints.calls, worker.interval * LIVENESS * 1000)
            self._abandon(worker)
            worker.retry_at = now + RECONNECT_DELAY
            return
        if now - worker.last_sent >= worker.interval:
            self._send(worker, [wire.HEARTBEAT])

    def __del__(self) -> None:
        for fd in (getattr(self, "_wake_r", None), getattr(self, "_wake_w", None)):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
