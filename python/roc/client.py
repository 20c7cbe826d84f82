"""Calling roc objects: `Client`, the typed `ObjectProxy` built from `rpc.describe`, `RemoteMethod`.

    with roc.Client("lab-pc:5555") as client:
        cam = client["vnir"]
        cam.open_shutter()
        frame = cam.frame()              # (768, 1024) uint16 numpy array, sent as an attachment
        cam.fps = 20.0                   # rpc.set

ZeroMQ sockets are not thread-safe, so one I/O thread owns the DEALER socket to the broker.
Callers encode their request in their own thread, hand the frames over through a queue (waking
the I/O thread through a pipe) and wait on a lock with the call's timeout; the I/O thread matches
replies to calls by JSON-RPC id, since replies may overtake each other (idl/PROTOCOL.md §2.1).
Any number of threads may call at once through one Client.
"""
from __future__ import annotations

import collections
import heapq
import inspect
import itertools
import json
import logging
import math
import os
import threading
import time
import weakref
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, NamedTuple, Optional, Tuple, Union

import zmq

from . import types as idl
from . import wire
from .endpoints import Endpoints
from .errors import (METHOD_NOT_FOUND, BrokerUnreachable, NotSupported, ProtocolError, RemoteError, RocError,
                     SignatureMismatch, Timeout, remote_error)
from .link import FAILED, LOST, LOST_IN_FLIGHT, LinkMonitor

__all__ = ["Client", "ObjectProxy", "RemoteMethod", "Call", "Progress"]

log = logging.getLogger("roc.client")

_NO_DESCRIBE = object()   # cache marker: the object answered rpc.describe with -32601


def _not_plain(value: Any) -> Any:
    raise TypeError("not a plain JSON value")


_plain_json = json.JSONEncoder(ensure_ascii=False, allow_nan=False, check_circular=False,
                               separators=(",", ":"), default=_not_plain)


def encode_request(message: dict, min_bytes: int) -> List[Any]:
    """The body and attachment frames of a request. Most calls carry only plain JSON values,
    which the json module's C encoder writes at once; anything else (numpy arrays and scalars,
    bytes, non-finite floats) goes through wire.encode, which makes attachments."""
    try:
        return [_plain_json.encode(message).encode("utf-8")]
    except (TypeError, ValueError):
        return wire.encode(message, attach=True, min_bytes=min_bytes)


# --- what a reply means, shared with roc.aio ------------------------------------------------

class Progress(NamedTuple):
    """One progress event of a long call (idl/PROTOCOL.md §2.6): how much is done, from 0 to 1
    (None: unknown), a short message for a person, and any JSON value the method added (None:
    none)."""
    fraction: Optional[float] = None
    message: str = ""
    data: Any = None


# Progress events a started call keeps for its reader; when it reads slower than they come the
# oldest go (the newest tells most).
PROGRESS_QUEUE = 1024
EVENT = object()   # route_reply's `problem` for a progress event rather than a reply


def progress_of(body: Any) -> Optional[Progress]:
    """The Progress in an event's body, or None when the body is not one."""
    try:
        event = wire.decode([body])
    except ProtocolError:
        return None
    if type(event) is not dict:
        return None
    fraction, message = event.get("fraction"), event.get("message", "")
    if fraction is not None and (isinstance(fraction, bool) or not isinstance(fraction, (int, float))):
        return None
    if not isinstance(message, str):
        return None
    return Progress(None if fraction is None else float(fraction), message, event.get("data"))

def result_of(message: Any, object_id: str) -> Any:
    """The result of a decoded JSON-RPC response; raises the RemoteError it carries, or
    ProtocolError when it is no response (as the C++ client's check_response)."""
    if type(message) is not dict:
        raise ProtocolError(f"object '{object_id}' answered with something that is not a JSON-RPC response")
    if "result" in message:
        return message["result"]
    error = message.get("error")
    if error is None:
        raise ProtocolError(f"object '{object_id}' answered with neither a result nor an error")
    if (type(error) is not dict or type(error.get("code")) is not int
            or not isinstance(error.get("message"), str)):
        raise ProtocolError(f"object '{object_id}' answered with a malformed error object")
    raise remote_error(error["code"], error["message"], error.get("data"))


def read_reply(frames: List[Any]) -> Tuple[Optional[int], Any, Optional[Exception]]:
    """(id, message, problem) of a reply's body and attachment frames. `id` is None when no id
    can be recovered (the reply is then dropped); `problem` is the ProtocolError of a reply whose
    id is known but whose attachments do not fit, to be raised in that call alone."""
    try:
        message = wire.decode(frames)
    except wire.BadAttachment as error:
        try:
            message = wire.loads(frames[0])
        except ProtocolError:
            return None, None, None
        call_id = message.get("id") if type(message) is dict else None
        return (call_id if type(call_id) is int else None), None, ProtocolError(
            f"the reply's attachments cannot be read: {error}")
    except ProtocolError:
        return None, None, None
    call_id = message.get("id") if type(message) is dict else None
    return (call_id if type(call_id) is int else None), message, None


def route_reply(frames: List[Any], pending: Dict[int, Any], mmi: Dict[bytes, collections.deque]) -> tuple:
    """Whom one message from the broker answers: (waiter, payload, problem, dropped). The waiter is
    the pending call its JSON-RPC id names (popped; payload the decoded message, problem a
    ProtocolError for that call alone) or the oldest 8/MMI request to its service (payload the
    body); None for a notification's empty acknowledgement or a call that timed out. A progress
    event (§2.6) comes back as (its call or None, Progress, EVENT, None), its call not popped.
    `dropped` says why a message was dropped, to be counted."""
    if len(frames) < 4 or frames[0].bytes != b"" or frames[1].bytes != wire.MDPC:
        return None, None, None, "not a 7/MDP client reply"
    service = frames[2].bytes
    if service.startswith(b"mmi."):
        waiting = mmi.get(service)
        if not waiting:
            return None, None, None, f"an answer from {service.decode(errors='replace')} nobody asked for"
        return waiting.popleft(), frames[3].bytes, None, None
    body = frames[3:]
    if len(body[0]) == 0:
        return None, None, None, None   # the acknowledgement of a notification
    if body[0].bytes[:1] == b"r":   # a call header, so an event, not a reply (no JSON body starts so)
        return route_event(frames, pending)
    call_id, message, problem = read_reply(body)
    if call_id is None:
        return None, None, None, "a reply whose id cannot be read"
    return pending.pop(call_id, None), message, problem, None   # None: its call timed out


def route_event(frames: List[Any], pending: Dict[int, Any]) -> tuple:
    """(waiter, Progress, EVENT, dropped) of an event from the broker (§2.6); the waiter (not
    popped) is None for a call that has ended or never was, whose events are dropped unseen."""
    try:
        header = wire.parse_call_header(frames[3].bytes)
    except ProtocolError as error:
        return None, None, None, f"an event with a bad call header ({error})"
    if header["event"] != "progress" or not header["call"] or len(frames) != 5:
        return None, None, None, None   # a kind of event this version does not know
    progress = progress_of(frames[4])
    if progress is None:
        return None, None, None, "a progress event whose body is not a JSON object of fraction, message, data"
    return pending.get(header["call"]), progress, EVENT, None


def cancel_frames(object_id: str, call_id: int) -> List[bytes]:
    """A cancel of call `call_id` to `object_id` (§2.6): the broker matches it by connection, so it
    goes out on the socket the call went out on."""
    return [b"", wire.MDPC, object_id.encode(), wire.cancel_header(call_id)]


def call_params(spec: Optional["MethodSpec"], args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
    """The JSON-RPC params of a call: converted by the method's IDL when it is known, else as
    given, by position or by name (not both); None for a call without arguments."""
    if spec is not None:
        return spec.params_of(args, kwargs) or None
    if args and kwargs:
        raise TypeError("give a call's arguments by position or by name, not both")
    return kwargs if kwargs else (list(args) if args else None)


def timeout_error(object_id: str, method: str, timeout: float) -> Timeout:
    return Timeout(f"no reply from object '{object_id}' to '{method}' within {timeout:g} s; the call "
                   "was cancelled, though a worker that takes no cancels may still be running it "
                   "(raise the timeout: client.call(..., timeout=s) or proxy.with_timeout(s))")


def mmi_objects_result(body: bytes) -> List[dict]:
    if body == b"501":
        raise NotSupported("the broker does not support mmi.objects (a plain Majordomo broker?)")
    try:
        objects = wire.loads(body)
    except ProtocolError as error:
        raise ProtocolError(f"mmi.objects answered with something that is not JSON: {error}") from None
    if not isinstance(objects, list):
        raise ProtocolError("mmi.objects answered with something that is not a JSON array")
    return objects


# --- the interface an object describes ------------------------------------------------------

class _Param:
    __slots__ = ("name", "type", "inout", "has_default", "default")

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.name: str = spec["name"]
        self.type = idl.parse(spec["type"])
        self.inout = bool(spec.get("inout"))
        self.has_default = "default" in spec
        self.default = spec.get("default")


class MethodSpec:
    """One method of an IDL document: how to send its arguments and read its result."""

    def __init__(self, spec: Mapping[str, Any], types: Mapping[str, dict]) -> None:
        self.name: str = spec["name"]
        self.params = [_Param(p) for p in spec.get("params", [])]
        self.by_name = {p.name: p for p in self.params}
        self.returns = idl.parse(spec.get("returns", "json"))
        self.returns_self = bool(spec.get("returns_self"))
        self.doc: str = spec.get("doc") or ""
        self.inout = [p for p in self.params if p.inout]
        self.types = types
        self.signature = self._signature()

    def params_of(self, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> Any:
        """The JSON-RPC params for a call, each argument converted by its IDL type (so a list
        for an `array<uint16>` becomes a uint16 numpy array, which may travel as an attachment).
        Raises TypeError as Python does for a call that does not fit the parameters."""
        params = self.params
        if len(args) > len(params):
            raise TypeError(f"{self.name}() takes {len(params)} argument{'s' if len(params) != 1 else ''} "
                            f"but {len(args)} were given")
        types = self.types
        if not kwargs:
            return [idl.to_wire(value, param.type, types) for value, param in zip(args, params)]
        named = {}
        for value, param in zip(args, params):
            named[param.name] = idl.to_wire(value, param.type, types)
        for key, value in kwargs.items():
            param = self.by_name.get(key)
            if param is None:
                raise TypeError(f"{self.name}() got an unexpected keyword argument '{key}' "
                                f"(parameters: {', '.join(p.name for p in params) or 'none'})")
            if key in named:
                raise TypeError(f"{self.name}() got multiple values for argument '{key}'")
            named[key] = idl.to_wire(value, param.type, types)
        return named

    def result_of(self, result: Any, proxy: Any) -> Any:
        """The Python form of the wire result: the proxy itself for a builder, a dict
        {"return", <in/out name>...} for a method with in/out parameters, else the value."""
        if self.returns_self:
            return proxy
        if self.inout and type(result) is dict:
            out = {"return": idl.from_wire(result.get("return"), self.returns, self.types)}
            for param in self.inout:
                if param.name in result:
                    out[param.name] = idl.from_wire(result[param.name], param.type, self.types)
            return out
        return idl.from_wire(result, self.returns, self.types)

    def _signature(self) -> Optional[inspect.Signature]:
        # Defaults only on a trailing run, as in C++: a trailing optional<T> without one gets None
        # (the worker reads a left-out trailing optional as empty).
        defaults: List[Any] = [inspect.Parameter.empty] * len(self.params)
        for index in range(len(self.params) - 1, -1, -1):
            param = self.params[index]
            if param.inout:
                break
            if param.has_default:
                defaults[index] = idl.from_wire(param.default, param.type, self.types)
            elif param.type.kind == "optional":
                defaults[index] = None
            else:
                break
        if self.inout:
            returns = "{" + ", ".join([f"return: {self.returns}"] + [f"{p.name}: {p.type}" for p in self.inout]) + "}"
        else:
            returns = "self" if self.returns_self else str(self.returns)
        try:
            return inspect.Signature(
                [inspect.Parameter(p.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default,
                                   annotation=("inout " if p.inout else "") + str(p.type))
                 for p, default in zip(self.params, defaults)],
                return_annotation=returns)
        except ValueError:   # a parameter name Python cannot spell (a keyword): no signature
            return None

    def docstring(self, object_id: str) -> str:
        """The method's doc, then its parameters and result with their IDL types (structs and
        enums spelled out), as help() and IPython's `?` show it under the signature."""
        lines = [self.doc or f"A method of the remote object '{object_id}'."]
        if self.params:
            lines += ["", "Parameters:"]
            for p in self.params:
                extra = ", in/out" if p.inout else (f", default {json.dumps(p.default)}" if p.has_default else "")
                lines.append(f"    {p.name} ({p.type}{extra}){self._named(p.type)}")
        if self.returns_self:
            lines += ["", "Returns the proxy itself (a builder), so calls chain as on the device."]
        elif self.inout:
            lines += ["", "Returns a dict: 'return' (" + str(self.returns) + ")" + "".join(
                f", '{p.name}' (its value after the call)" for p in self.inout) + "."]
        elif self.returns.kind != "void":
            lines += ["", f"Returns {self.returns}{self._named(self.returns)}"]
        return "\n".join(lines)

    def _named(self, type_: idl.Type) -> str:
        """': struct {x: uint32, ...}' or ': one of a | b' for a named type in the document."""
        while type_.kind in ("array", "optional", "map") and type_.args:
            type_ = type_.args[0]
        described = self.types.get(type_.name) if type_.kind == "named" else None
        if not described:
            return ""
        if described.get("kind") == "struct":
            return ": struct {" + ", ".join(f"{f['name']}: {f['type']}" for f in described.get("fields", [])) + "}"
        if described.get("kind") == "enum":
            return ": one of " + " | ".join(repr(v["name"]) for v in described.get("values", []))
        return ""


class Interface:
    """An object's `rpc.describe` document, read once: its methods, properties and types."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        objects = document.get("objects") or [{}]
        obj = objects[0]
        self.name: str = obj.get("name", "")
        self.signature: Optional[str] = obj.get("signature")
        self.doc: str = obj.get("doc") or ""
        self.types = idl.types_by_name(document)
        self.methods = {m["name"]: MethodSpec(m, self.types) for m in obj.get("methods", [])}
        self.properties = {p["name"]: p for p in obj.get("properties", [])}
        self.property_types = {name: idl.parse(p["type"]) for name, p in self.properties.items()}

    def members(self) -> str:
        return (f"methods: {', '.join(sorted(self.methods)) or 'none'}; "
                f"properties: {', '.join(sorted(self.properties)) or 'none'}")


def check_signature(object_id: str, interface: Optional[Interface], served: Optional[str],
                    expected: str) -> None:
    if served is None:
        raise SignatureMismatch(
            -32004, f"object '{object_id}' does not state its interface's signature (no rpc.describe "
            f"or rpc.signature), so it cannot be checked against '{expected}'")
    if served != expected:
        name = f" ({interface.name})" if interface and interface.name else ""
        raise SignatureMismatch(
            -32004, f"object '{object_id}'{name} has interface signature '{served}', but this proxy "
            f"expects '{expected}': the object was built from another version of its interface")


# --- the sync client ------------------------------------------------------------------------

class _Call:
    """A call waiting for its reply: the I/O thread fills it and releases the lock."""

    __slots__ = ("lock", "message", "error", "object_id", "method")
    wants_progress = False

    def __init__(self, object_id: str, method: str) -> None:
        self.lock = threading.Lock()
        self.lock.acquire()
        self.message: Any = None
        self.error: Optional[Exception] = None
        self.object_id = object_id
        self.method = method

    def settle(self, message: Any, error: Optional[Exception]) -> None:
        self.message = message
        self.error = error
        self.lock.release()


class Call:
    """A started call (`client.start(...)`, `proxy.method.start(...)`): its result when it comes,
    its progress events while it runs, and a way to cancel it (idl/PROTOCOL.md §2.6).

        call = cam.exposure_series.start(10, 1.0, timeout=60)
        for p in call.progress():          # ends when the call ends
            print(f"{p.fraction:.0%} {p.message}")
        means = call.result()

    Progress events are kept for `progress()` (the oldest dropped beyond 1024) and, when the call
    was started with `on_progress`, handed to that callback on the client's I/O thread (keep it
    short). When the call's timeout passes it is cancelled and its result raises roc.Timeout.
    """

    wants_progress = True

    def __init__(self, client: "Client", object_id: str, method: str, call_id: int, timeout: float,
                 on_progress: Optional[Callable[[Progress], Any]], convert: Optional[Callable[[Any], Any]]) -> None:
        self.object_id = object_id
        self.method = method
        self.id = call_id                  # the JSON-RPC id, also the call's name on the wire
        self.timeout = timeout
        self.message: Any = None
        self.error: Optional[Exception] = None
        self.dropped_progress = 0          # events dropped because progress() read too slowly
        self._client = client
        self._on_progress = on_progress
        self._convert = convert
        self._events: collections.deque = collections.deque()
        self._changed = threading.Condition(threading.Lock())
        self._done = threading.Event()
        self._cancelled = False

    def result(self, timeout: Optional[float] = None) -> Any:
        """The call's result, waiting up to `timeout` seconds (None: until the outcome, which
        comes by the call's own timeout at the latest). Raises what the call raised: roc.Cancelled
        after cancel(), roc.Timeout when the call's timeout passed; roc.Timeout also when this
        wait ends first, while the call goes on."""
        if not self._done.wait(timeout):
            raise Timeout(f"no result of '{self.method}' on object '{self.object_id}' within {timeout:g} s "
                          "of waiting; the call goes on (cancel() stops it)")
        if self.error is not None:
            raise self.error
        result = result_of(self.message, self.object_id)
        return result if self._convert is None else self._convert(result)

    def exception(self, timeout: Optional[float] = None) -> Optional[BaseException]:
        """What result() would raise (None when it returns), waiting as result() does."""
        try:
            self.result(timeout)
        except Timeout as error:
            if not self._done.is_set():
                raise
            return error
        except RocError as error:
            return error
        return None

    def done(self) -> bool:
        """Whether the outcome (result or error) is there."""
        return self._done.is_set()

    def cancel(self) -> None:
        """Cancels the call: the broker answers it with -32008 at once (result() raises
        roc.Cancelled) and removes it from its queue or tells the method, which may stop. A
        cancel racing the result has exactly one outcome: the result, or Cancelled. Idempotent;
        nothing happens once the outcome is there."""
        if self._cancelled or self._done.is_set():
            return
        self._cancelled = True
        self._client._cancel(self.object_id, self.id)

    def progress(self, timeout: Optional[float] = None) -> Iterator[Optional[Progress]]:
        """The call's progress events, in order, until the call ends (those that came before its
        result included). With `timeout`, yields None whenever no event came within that many
        seconds, so a loop can do other things in between."""
        changed, events = self._changed, self._events
        while True:
            with changed:
                if not events and not self._done.is_set():
                    changed.wait(timeout)
                if events:
                    event = events.popleft()
                elif self._done.is_set():
                    return
                else:
                    event = None
            yield event

    def __iter__(self) -> Iterator[Optional[Progress]]:
        return self.progress()

    def __repr__(self) -> str:
        state = "done" if self.done() else ("cancelling" if self._cancelled else "running")
        return f"<roc.Call {self.object_id}.{self.method} id {self.id}, {state}>"

    # -- the client's I/O thread

    def settle(self, message: Any, error: Optional[Exception]) -> None:
        self.message = message
        self.error = error
        with self._changed:
            self._done.set()
            self._changed.notify_all()

    def event(self, progress: Progress) -> None:
        if self._on_progress is not None:
            try:
                self._on_progress(progress)
            except Exception:  # noqa: BLE001 — a callback must not stop the client's I/O thread
                log.exception("roc client: the on_progress callback of '%s' raised", self.method)
        with self._changed:
            if len(self._events) >= PROGRESS_QUEUE:
                self._events.popleft()
                self.dropped_progress += 1
            self._events.append(progress)
            self._changed.notify_all()


class _IO:
    """The I/O thread and everything it shares with callers: the socket (used by this thread
    alone), the calls waiting for replies, and the outbox of requests to send."""

    def __init__(self, endpoints: Endpoints, ctx: zmq.Context) -> None:
        self.pending: Dict[int, _Call] = {}
        self.mmi: Dict[bytes, collections.deque] = {}
        self.outbox: collections.deque = collections.deque()
        # (deadline, call id) of started calls, which nobody may be waiting on when their
        # timeout passes: the I/O thread cancels them then.
        self.deadlines: List[Tuple[float, int]] = []
        self.deadlines_lock = threading.Lock()
        self.wake_pending = False
        self.closed = False
        self.dropped = 0
        self.wake_read, self.wake_write = os.pipe()
        os.set_blocking(self.wake_read, False)
        os.set_blocking(self.wake_write, False)
        self.socket = endpoints.socket(ctx, zmq.DEALER)
        # Requests go only into a connection that is up: one sent during an outage would wait in
        # the socket and run after the broker is back, long after its caller was told it failed.
        self.socket.immediate = 1
        self.link = LinkMonitor(self.socket, endpoints.calls)
        self.socket.connect(endpoints.calls)
        self.thread = threading.Thread(target=self.run, name=f"roc-client {endpoints.address}", daemon=True)
        self.thread.start()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.wake()
        if threading.current_thread() is not self.thread:
            self.thread.join(5.0)

    def __del__(self) -> None:
        for fd in (self.wake_read, self.wake_write):
            try:
                os.close(fd)
            except OSError:
                pass

    def wake(self) -> None:
        self.wake_pending = True
        try:
            os.write(self.wake_write, b"\0")
        except (BlockingIOError, OSError):
            pass  # the pipe is full (the I/O thread will look) or closed (the client is)

    def run(self) -> None:
        socket, pending, outbox = self.socket, self.pending, self.outbox
        poller = zmq.Poller()
        poller.register(socket, zmq.POLLIN)
        poller.register(self.wake_read, zmq.POLLIN)
        poller.register(self.link.socket, zmq.POLLIN)
        backlog: collections.deque = collections.deque()   # requests the socket would not take yet
        try:
            while not self.closed:
                wait = 100 if backlog else None
                if self.deadlines:
                    wait = self.expire(wait)
                events = dict(poller.poll(wait))
                if self.wake_read in events:
                    # Read, then clear, then take the outbox: a caller that finds the flag set
                    # after this has its byte still in the pipe, so no request waits unseen.
                    try:
                        os.read(self.wake_read, 65536)
                    except BlockingIOError:
                        pass
                    self.wake_pending = False
                while outbox:
                    backlog.append(outbox.popleft())
                if socket in events:
                    while True:
                        try:
                            frames = wire.recv_frames(socket)
                        except zmq.Again:
                            break
                        self.reply(frames, pending)
                # After the replies: one that came before a drop is not failed for it.
                if self.link.socket in events:
                    self.link_events(backlog)
                if backlog and self.link.failure:   # the last attempt failed: no waiting for the next
                    self.fail_unsent(backlog, BrokerUnreachable(self.link.endpoint, self.link.failure))
                while backlog:
                    call_id, mmi, frames = backlog[0]
                    if (call_id is not None and call_id not in pending) or (mmi and mmi[1].error):
                        backlog.popleft()   # its caller gave up: never send a call nobody waits for
                        continue
                    try:
                        wire.send_frames(socket, frames)
                    except zmq.Again:
                        break
                    backlog.popleft()
                    if mmi:
                        self.mmi.setdefault(mmi[0], collections.deque()).append(mmi[1])
        except Exception:  # noqa: BLE001 (the thread must fail the waiting calls, not vanish)
            log.exception("roc client: the I/O thread failed")
        finally:
            self.closed = True
            failure = "the client was closed while the call was waiting for its reply"
            for call_id in list(pending):
                call = pending.pop(call_id, None)
                if call is not None:
                    call.settle(None, RocError(f"{failure} (object '{call.object_id}', method '{call.method}')"))
            for waiting in self.mmi.values():
                for call in waiting:
                    call.settle(None, RocError(f"{failure} ({call.method})"))
            for _, mmi, _ in list(backlog) + list(outbox):
                if mmi and mmi[1].error is None:
                    mmi[1].error = RocError(f"{failure} ({mmi[1].method})")
                    mmi[1].lock.release()
            self.link.close()
            socket.close(linger=0)   # the pipe stays open until __del__: a late wake() must not
                                     # write into a descriptor number the process has reused

    def link_events(self, backlog: collections.deque) -> None:
        """Fails the calls sent when the connection drops, and those waiting to be sent when an
        attempt to connect fails (the socket takes requests only while it is up)."""
        for kind, reason in self.link.events():
            if kind == LOST:
                error = BrokerUnreachable(self.link.endpoint, LOST_IN_FLIGHT)
                unsent = {entry[0] for entry in backlog} | {entry[0] for entry in list(self.outbox)}
                for call_id in [i for i in list(self.pending) if i not in unsent]:
                    call = self.pending.pop(call_id, None)
                    if call is not None:
                        call.settle(None, error)
                for waiting in self.mmi.values():
                    while waiting:
                        waiting.popleft().settle(None, error)
            elif kind == FAILED:
                self.fail_unsent(backlog, BrokerUnreachable(self.link.endpoint, reason))

    def fail_unsent(self, backlog: collections.deque, error: BrokerUnreachable) -> None:
        while backlog:   # notifications and cancels too: nobody waits for them
            call_id, mmi, _ = backlog.popleft()
            call = self.pending.pop(call_id, None) if call_id is not None else None
            if call is not None:
                call.settle(None, error)
            if mmi and mmi[1].error is None:
                mmi[1].error = error
                mmi[1].lock.release()

    def reply(self, frames: List[zmq.Frame], pending: Dict[int, _Call]) -> None:
        call, payload, problem, dropped = route_reply(frames, pending, self.mmi)
        if dropped:
            self.drop(dropped)
        elif call is not None:
            if problem is EVENT:
                if call.wants_progress:
                    call.event(payload)
            else:
                call.settle(payload, problem)

    def expire(self, wait: Optional[int]) -> Optional[int]:
        """Cancels the started calls whose timeout has passed (their result raises Timeout);
        the poll's wait in ms until the next deadline."""
        now = time.monotonic()
        with self.deadlines_lock:
            deadlines = self.deadlines
            while deadlines and deadlines[0][0] <= now:
                _, call_id = heapq.heappop(deadlines)
                call = self.pending.pop(call_id, None)
                if call is not None:
                    self.outbox.append((None, None, cancel_frames(call.object_id, call_id)))
                    call.settle(None, timeout_error(call.object_id, call.method, call.timeout))
            if deadlines:
                until = max(1, math.ceil((deadlines[0][0] - now) * 1000))
                wait = until if wait is None else min(wait, until)
        if self.outbox:
            self.wake()
        return wait

    def drop(self, why: str) -> None:
        self.dropped += 1
        if self.dropped == 1 or self.dropped % 1000 == 0:
            log.warning("roc client: dropped %s (%d dropped so far)", why, self.dropped)


class Client:
    """A connection to a roc broker, shared by any number of threads.

    `endpoints` is an Endpoints, an address (`host`, `host:port`, `tcp://…`, `ipc://…`) or None
    ($ROC_BROKER, else localhost:5555; $ROC_CERT / $ROC_BROKER_CERT turn on CURVE). `timeout` is
    the default time a call waits for its reply, in seconds. Arrays and bytes of at least
    `attachment_min_bytes` travel as binary attachments instead of JSON. A timeout of
    `math.inf` waits for ever (and the request carries no deadline).
    """

    def __init__(self, endpoints: Union[Endpoints, str, None] = None, timeout: float = 2.0, *,
                 ctx: Optional[zmq.Context] = None, attachment_min_bytes: int = 1024) -> None:
        self.endpoints = Endpoints.of(endpoints)
        self.timeout = float(timeout)
        self.attachment_min_bytes = int(attachment_min_bytes)
        self._ids = itertools.count(1)
        self._interfaces: Dict[str, Any] = {}
        self._interfaces_lock = threading.Lock()
        # The I/O thread holds only _IO, never the Client: a client nobody references any more
        # is collected, and its finalizer stops the thread and closes the socket.
        self._io = _IO(self.endpoints, ctx or zmq.Context.instance())
        weakref.finalize(self, self._io.close)

    @property
    def dropped(self) -> int:
        """Replies dropped because no call could be found for them (no readable id)."""
        return self._io.dropped

    @property
    def _closed(self) -> bool:
        return self._io.closed

    # -- public API ------------------------------------------------------------------------

    def __getitem__(self, object_id: str) -> "ObjectProxy":
        return ObjectProxy(self, object_id)

    def _ipython_key_completions_(self) -> List[str]:
        """`client["<TAB>` in IPython and Jupyter: the objects the broker knows, or none when it
        cannot say within a second (completion must never hang the prompt)."""
        try:
            reply = self._mmi_request(b"mmi.objects", b"", min(self.timeout, 1.0))
            return [entry["id"] for entry in mmi_objects_result(reply)]
        except RocError:
            return []

    def get(self, object_id: str, signature: Optional[str] = None,
            timeout: Optional[float] = None) -> "ObjectProxy":
        """A proxy for `object_id`. With `signature` (16 hex digits, from `roc describe` or a
        generated proxy) the object's interface is checked now, raising SignatureMismatch naming
        the object when it differs."""
        proxy = ObjectProxy(self, object_id, timeout)
        if signature is not None:
            interface = proxy._interface()
            served = interface.signature if interface else None
            if served is None:
                try:
                    served = self.call(object_id, "rpc.signature", timeout=timeout)
                except RemoteError as error:
                    if error.code != METHOD_NOT_FOUND:
                        raise
            check_signature(object_id, interface, served, signature)
        return proxy

    def call(self, object_id: str, method: str, *args: Any, timeout: Optional[float] = None,
             **kwargs: Any) -> Any:
        """Calls `method` on `object_id` with positional or keyword params (not both), untyped:
        the result as the wire gives it (JSON values; numpy arrays for attachments)."""
        return self._call(object_id, method, call_params(None, args, kwargs),
                          self.timeout if timeout is None else timeout)

    def start(self, object_id: str, method: str, *args: Any, on_progress: Optional[Callable[[Progress], Any]] = None,
              timeout: Optional[float] = None, **kwargs: Any) -> Call:
        """Starts a call without waiting for it, asking for progress events: a roc.Call to read
        its result, progress and to cancel it. `timeout` (default the client's) is how long the
        call may take; then it is cancelled. `on_progress(roc.Progress)` runs on the client's I/O
        thread for each event."""
        return self._start(object_id, method, call_params(None, args, kwargs),
                           self.timeout if timeout is None else timeout, on_progress, None)

    def notify(self, object_id: str, method: str, *args: Any, **kwargs: Any) -> None:
        """A one-way call: sent, not waited for; its result and errors are never seen."""
        self._notify(object_id, method, call_params(None, args, kwargs), self.timeout)

    def objects(self) -> List[dict]:
        """The objects registered with the broker: [{"id": "vnir", "workers": 1}, ...] (mmi.objects).
        Raises NotSupported from a broker without the service."""
        return mmi_objects_result(self._mmi_request(b"mmi.objects", b"", self.timeout))

    def workers(self, object_id: Optional[str] = None) -> List[dict]:
        """The objects registered with the broker and their workers (mmi.workers, §4), sorted by
        id: [{"id": "vnir", "workers": [{"host", "pid", "program", "uptime_s", "calls",
        "in_flight"}, ...]}]; only `object_id`'s when given ([] when nobody serves it). Raises
        NotSupported from a broker without the service (objects() may still work there)."""
        from .presence import read_workers
        body = (object_id or "").encode("utf-8")
        return read_workers(self._mmi_request(b"mmi.workers", body, self.timeout))

    def close(self) -> None:
        """Stops the I/O thread and closes the socket; calls still waiting fail with RocError."""
        self._io.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"roc.Client({self.endpoints!r}{', closed' if self._closed else ''})"

    # -- calls -----------------------------------------------------------------------------

    def _request(self, object_id: str, method: str, params: Any) -> Tuple[int, List[Any]]:
        """A new call id and the frames of its request (body, then attachments)."""
        if self._closed:
            raise RocError(f"the client is closed: cannot call '{method}' on object '{object_id}'")
        call_id = next(self._ids)
        message = {"jsonrpc": "2.0", "id": call_id, "method": method}
        if params is not None:
            message["params"] = params
        return call_id, encode_request(message, self.attachment_min_bytes)

    def _call(self, object_id: str, method: str, params: Any, timeout: float) -> Any:
        """Sends one request and waits for its result (raising the error it carries)."""
        call_id, frames = self._request(object_id, method, params)
        call = _Call(object_id, method)
        io = self._io
        io.pending[call_id] = call
        forever = timeout == math.inf
        io.outbox.append((call_id, None, [b"", wire.MDPC, object_id.encode(),
                                          wire.call_header(None if forever else timeout, True, call_id)] + frames))
        if not io.wake_pending:
            io.wake()
        if io.closed and io.pending.pop(call_id, None) is not None:   # closed while we queued
            raise RocError(f"the client is closed: cannot call '{method}' on object '{object_id}'")
        if not call.lock.acquire(timeout=-1 if forever else max(timeout, 0.0)):
            if io.pending.pop(call_id, None) is not None:
                # Cancelled remotely, so that it neither runs on nor holds up the calls behind it.
                self._cancel(object_id, call_id)
                raise timeout_error(object_id, method, timeout)
            call.lock.acquire()   # the reply came as the wait ended: the I/O thread is filling it in
        if call.error is not None:
            raise call.error
        return result_of(call.message, object_id)

    def _start(self, object_id: str, method: str, params: Any, timeout: float,
               on_progress: Optional[Callable[[Progress], Any]], convert: Optional[Callable[[Any], Any]]) -> Call:
        """Sends one request that asks for progress and returns its Call at once."""
        call_id, frames = self._request(object_id, method, params)
        # Copied: the caller may change its arrays as soon as this returns, before the I/O thread
        # has sent them.
        frames = [bytes(f) if not isinstance(f, bytes) else f for f in frames]
        forever = timeout == math.inf
        call = Call(self, object_id, method, call_id, timeout, on_progress, convert)
        io = self._io
        io.pending[call_id] = call
        if not forever:
            with io.deadlines_lock:
                heapq.heappush(io.deadlines, (time.monotonic() + max(timeout, 0.0), call_id))
        io.outbox.append((call_id, None, [b"", wire.MDPC, object_id.encode(),
                                          wire.call_header(None if forever else timeout, True, call_id, True)]
                          + frames))
        io.wake()
        if io.closed and io.pending.pop(call_id, None) is not None:   # closed while we queued
            raise RocError(f"the client is closed: cannot call '{method}' on object '{object_id}'")
        return call

    def _cancel(self, object_id: str, call_id: int) -> None:
        """Sends the cancel of a call, on the socket the call went out on."""
        self._io.outbox.append((None, None, cancel_frames(object_id, call_id)))
        self._io.wake()

    def _notify(self, object_id: str, method: str, params: Any, timeout: float) -> None:
        if self._closed:
            raise RocError(f"the client is closed: cannot notify '{method}' on object '{object_id}'")
        message = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        # Copied: the caller may change its arrays as soon as this returns, before the I/O thread
        # has sent them.
        frames = [bytes(f) if not isinstance(f, bytes) else f
                  for f in wire.encode(message, attach=True, min_bytes=self.attachment_min_bytes)]
        header = wire.call_header(None if timeout == math.inf else timeout, True)
        self._io.outbox.append((None, None, [b"", wire.MDPC, object_id.encode(), header] + frames))
        self._io.wake()

    def _mmi_request(self, service: bytes, body: bytes, timeout: float) -> bytes:
        if self._closed:
            raise RocError(f"the client is closed: cannot ask the broker {service.decode()}")
        call = _Call(service.decode(), service.decode())
        self._io.outbox.append((None, (service, call), [b"", wire.MDPC, service, body]))
        self._io.wake()
        if not call.lock.acquire(timeout=timeout):
            call.error = Timeout(f"the broker did not answer {service.decode()} within {timeout:g} s")
            raise call.error
        if call.error is not None:
            raise call.error
        return call.message

    # -- interfaces (rpc.describe), cached per object id ------------------------------------

    def interface(self, object_id: str, timeout: Optional[float] = None) -> Optional[Interface]:
        """The object's interface from `rpc.describe`, fetched once; None for an object that has
        no rpc.describe (a third-party worker): its proxy makes untyped calls."""
        cached = self._interfaces.get(object_id)
        if cached is None:
            with self._interfaces_lock:
                cached = self._interfaces.get(object_id)
                if cached is None:
                    try:
                        document = self._call(object_id, "rpc.describe", None,
                                              self.timeout if timeout is None else timeout)
                        cached = Interface(document) if isinstance(document, dict) else _NO_DESCRIBE
                    except RemoteError as error:
                        if error.code != METHOD_NOT_FOUND:
                            raise
                        cached = _NO_DESCRIBE
                    self._interfaces[object_id] = cached
        return None if cached is _NO_DESCRIBE else cached

    def forget(self, object_id: Optional[str] = None) -> None:
        """Drops the cached interface of `object_id` (all when None), e.g. after a server upgrade."""
        with self._interfaces_lock:
            if object_id is None:
                self._interfaces.clear()
            else:
                self._interfaces.pop(object_id, None)


# --- proxies --------------------------------------------------------------------------------

_OWN = ("describe", "with_timeout")


class ObjectProxy:
    """A remote object: its methods and properties as attributes, typed by its `rpc.describe`.

    `cam.grab(100)` calls; `cam.fps` reads and `cam.fps = 20.0` writes a property; `dir(cam)`
    and `help(cam.grab)` show the interface. The proxy's own names (`describe`, `with_timeout`)
    shadow remote members of the same name; call those with `client.call(id, name, ...)`.
    """

    def __init__(self, client: Client, object_id: str, timeout: Optional[float] = None) -> None:
        object.__setattr__(self, "_client", client)
        object.__setattr__(self, "_id", object_id)
        object.__setattr__(self, "_timeout", client.timeout if timeout is None else float(timeout))
        object.__setattr__(self, "_methods", {})

    def _interface(self) -> Optional[Interface]:
        return self._client.interface(self._id, self._timeout)

    def describe(self) -> dict:
        """The object's interface as an IDL document (idl/README.md); {} when it has none."""
        interface = self._interface()
        return dict(interface.document) if interface else {}

    def with_timeout(self, timeout: float) -> "ObjectProxy":
        """The same object, with calls that wait up to `timeout` seconds."""
        return ObjectProxy(self._client, self._id, timeout)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):   # Python's and IPython's probes (_repr_html_, __wrapped__…)
            raise AttributeError(name)
        method = self._methods.get(name)
        if method is not None:
            return method
        interface = self._interface()
        if interface is None:
            method = RemoteMethod(self, name, None)
        elif name in interface.methods:
            method = RemoteMethod(self, name, interface.methods[name])
        elif name in interface.properties:
            value = self._client._call(self._id, "rpc.get", {"name": name}, self._timeout)
            return idl.from_wire(value, interface.property_types[name], interface.types)
        else:
            raise AttributeError(f"object '{self._id}'{_named(interface)} has no member '{name}' "
                                 f"({interface.members()})")
        self._methods[name] = method
        return method

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            object.__setattr__(self, name, value)
            return
        interface = self._interface()
        if interface is not None:
            if name in interface.methods:
                raise AttributeError(f"'{name}' is a method of object '{self._id}', not a property")
            if name not in interface.properties:
                raise AttributeError(f"object '{self._id}'{_named(interface)} has no property '{name}' "
                                     f"({interface.members()})")
            value = idl.to_wire(value, interface.property_types[name], interface.types)
        # A read-only property is the worker's to refuse (-32003), as it says why.
        self._client._call(self._id, "rpc.set", {"name": name, "value": value}, self._timeout)

    def __dir__(self) -> Iterable[str]:
        try:
            interface = self._interface()
        except RocError:
            interface = None
        names = list(_OWN)
        if interface is not None:
            names += list(interface.methods) + list(interface.properties)
        return sorted(set(names))

    def __repr__(self) -> str:
        cached = self._client._interfaces.get(self._id)
        name = f" ({cached.name})" if isinstance(cached, Interface) and cached.name else ""
        return f"<roc proxy '{self._id}'{name} via {self._client.endpoints.address}>"


def _named(interface: Optional[Interface]) -> str:
    return f" ({interface.name})" if interface is not None and interface.name else ""


class RemoteMethod:
    """A method of a remote object: call it, or `.notify(...)` it one-way. Typed methods convert
    their arguments and result by the IDL and carry the IDL's `__signature__` and doc."""

    def __init__(self, proxy: ObjectProxy, name: str, spec: Optional[MethodSpec]) -> None:
        self._proxy = proxy
        self._spec = spec
        self.__name__ = self.__qualname__ = name
        if spec is not None:
            self.__doc__ = spec.docstring(proxy._id)
            if spec.signature is not None:
                self.__signature__ = spec.signature
        else:
            self.__doc__ = f"{name}(...): a method of the remote object '{proxy._id}' (untyped)."

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        proxy, spec = self._proxy, self._spec
        result = proxy._client._call(proxy._id, self.__name__, call_params(spec, args, kwargs), proxy._timeout)
        return result if spec is None else spec.result_of(result, proxy)

    def start(self, *args: Any, on_progress: Optional[Callable[[Progress], Any]] = None,
              timeout: Optional[float] = None, **kwargs: Any) -> Call:
        """Starts the call without waiting: a roc.Call with result(), progress(), cancel().
        `timeout` (default the proxy's) is how long the call may take before it is cancelled;
        `on_progress(roc.Progress)` runs on the client's I/O thread for each event."""
        proxy, spec = self._proxy, self._spec
        convert = None if spec is None else (lambda result: spec.result_of(result, proxy))
        return proxy._client._start(proxy._id, self.__name__, call_params(spec, args, kwargs),
                                    proxy._timeout if timeout is None else timeout, on_progress, convert)

    def notify(self, *args: Any, **kwargs: Any) -> None:
        """Calls the method one-way: nothing is waited for, no result and no error comes back."""
        proxy, spec = self._proxy, self._spec
        params = call_params(spec, args, kwargs)
        proxy._client._notify(proxy._id, self.__name__, params, proxy._timeout)

    # A descriptor, so that pydoc and IPython treat it as a routine (help() shows its signature).
    def __get__(self, instance: Any, owner: Any = None) -> "RemoteMethod":
        return self

    def __repr__(self) -> str:
        sig = self._spec.signature if self._spec is not None and self._spec.signature else "(...)"
        return f"<remote method {self._proxy._id}.{self.__name__}{sig}>"
