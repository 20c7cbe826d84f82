"""Calling roc objects from asyncio: `roc.aio.Client`.

    async with roc.aio.Client("lab-pc") as c:
        cam = c["vnir"]
        lines = await cam.grab(100)               # typed by the object's rpc.describe
        fps = await cam.get("fps")
        await cam.set("fps", 20.0)
        results = await asyncio.gather(*(cam.temperature() for _ in range(64)))

One DEALER socket per client, owned by the event loop it was first used in; one reader task
matches replies to calls by JSON-RPC id, so any number of calls may be in flight at once.
Everything else (how arguments and results are typed, errors) is as in roc.Client.
"""
from __future__ import annotations

import asyncio
import collections
import itertools
import logging
import math
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, Iterable, List, Optional, Union

import zmq
import zmq.asyncio

from . import types as idl
from . import wire
from .client import (EVENT, PROGRESS_QUEUE, Interface, MethodSpec, Progress, call_params, cancel_frames,
                     check_signature, encode_request, mmi_objects_result, result_of, route_reply, timeout_error)
from .endpoints import Endpoints
from .errors import CANCELLED, METHOD_NOT_FOUND, BrokerUnreachable, Cancelled, RemoteError, RocError, Timeout
from .link import FAILED, LOST, LOST_IN_FLIGHT, LinkMonitor

__all__ = ["Client", "ObjectProxy", "RemoteMethod", "Call"]

log = logging.getLogger("roc.aio")

_EVENTS, _POLLIN = int(zmq.EVENTS), int(zmq.POLLIN)


def _fail(future: "asyncio.Future", error: Exception) -> None:
    if not future.done():
        future.set_exception(error)


class Client:
    """An asyncio connection to a roc broker; the constructor is roc.Client's. Use it as
    `async with`, or call `await close()`. One client serves one event loop."""

    def __init__(self, endpoints: Union[Endpoints, str, None] = None, timeout: float = 2.0, *,
                 ctx: Optional[zmq.Context] = None, attachment_min_bytes: int = 1024) -> None:
        self.endpoints = Endpoints.of(endpoints)
        self.timeout = float(timeout)
        self.attachment_min_bytes = int(attachment_min_bytes)
        self.dropped = 0
        # A plain zmq socket read through loop.add_reader: pyzmq's zmq.asyncio sockets cost several
        # times more per message, which is what limits calls/s with many in flight.
        if ctx is None:
            ctx = zmq.Context.instance()
        self._ctx = ctx if not isinstance(ctx, zmq.asyncio.Context) else zmq.Context.shadow(ctx.underlying)
        self._ids = itertools.count(1)
        self._pending: Dict[int, tuple] = {}
        self._mmi: Dict[bytes, collections.deque] = {}
        self._interfaces: Dict[str, "asyncio.Future"] = {}
        self._socket: Optional[zmq.Socket] = None
        self._fd: Optional[int] = None
        self._link: Optional[LinkMonitor] = None
        self._link_fd: Optional[int] = None
        self._unsent: set = set()   # the `until` futures of sends waiting for a connection
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._closed = False

    # -- public API ------------------------------------------------------------------------

    async def __aenter__(self) -> "Client":
        self._start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    def __getitem__(self, object_id: str) -> "ObjectProxy":
        return ObjectProxy(self, object_id)

    async def get(self, object_id: str, signature: Optional[str] = None,
                  timeout: Optional[float] = None) -> "ObjectProxy":
        """A proxy for `object_id`; with `signature`, the interface is checked now (SignatureMismatch)."""
        proxy = ObjectProxy(self, object_id, timeout)
        if signature is not None:
            interface = await self.interface(object_id, timeout)
            served = interface.signature if interface else None
            if served is None:
                try:
                    served = await self.call(object_id, "rpc.signature", timeout=timeout)
                except RemoteError as error:
                    if error.code != METHOD_NOT_FOUND:
                        raise
            check_signature(object_id, interface, served, signature)
        return proxy

    async def call(self, object_id: str, method: str, *args: Any, timeout: Optional[float] = None,
                   **kwargs: Any) -> Any:
        """Calls `method` untyped, params by position or by name (not both)."""
        return await self._call(object_id, method, call_params(None, args, kwargs),
                                self.timeout if timeout is None else timeout)

    def start(self, object_id: str, method: str, *args: Any, on_progress: Optional[Callable[[Progress], Any]] = None,
              timeout: Optional[float] = None, **kwargs: Any) -> "Call":
        """Starts a call that asks for progress and returns its roc.aio.Call at once (call it in
        the client's event loop): `await call` for the result, `async for p in call.progress()`,
        `call.cancel()`. `timeout` (default the client's) is how long the call may take; then it
        is cancelled. `on_progress(roc.Progress)` runs in the event loop for each event."""
        params = call_params(None, args, kwargs)

        async def prepare() -> tuple:
            return params, None
        return self._begin(object_id, method, prepare, self.timeout if timeout is None else timeout, on_progress)

    async def notify(self, object_id: str, method: str, *args: Any, **kwargs: Any) -> None:
        """A one-way call: sent, never answered."""
        await self._notify(object_id, method, call_params(None, args, kwargs), self.timeout)

    async def objects(self) -> List[dict]:
        """[{"id", "workers"}, ...] from mmi.objects; NotSupported from a broker without it."""
        self._start()
        future = self._loop.create_future()
        # One bound for the send (which waits for a connection) and the answer.
        timer = self._loop.call_later(self.timeout, _fail, future,
                                      Timeout(f"the broker did not answer mmi.objects within {self.timeout:g} s"))
        self._mmi.setdefault(b"mmi.objects", collections.deque()).append(future)
        try:
            await self._send([b"", wire.MDPC, b"mmi.objects", b""], future, copy=True)
            body = await future
        finally:
            timer.cancel()
        return mmi_objects_result(body)

    async def close(self) -> None:
        """Closes the socket; calls still waiting fail with RocError."""
        if self._closed:
            return
        self._closed = True
        if self._fd is not None:
            self._loop.remove_reader(self._fd)
            self._loop.remove_reader(self._link_fd)
        self._fail_all("the client was closed while the call was waiting for its reply")
        if self._socket is not None:
            self._link.close()
            self._socket.close(linger=0)

    async def interface(self, object_id: str, timeout: Optional[float] = None) -> Optional[Interface]:
        """The object's interface from rpc.describe, fetched once (None: no rpc.describe)."""
        cached = self._interfaces.get(object_id)
        if cached is None:
            cached = self._interfaces[object_id] = asyncio.ensure_future(self._describe(object_id, timeout))
        try:
            return await asyncio.shield(cached)
        except BaseException:
            if cached.done() and self._interfaces.get(object_id) is cached:
                del self._interfaces[object_id]   # fetch again next time
            raise

    def cached_interface(self, object_id: str) -> Optional[Interface]:
        cached = self._interfaces.get(object_id)
        if cached is not None and cached.done() and not cached.cancelled() and cached.exception() is None:
            return cached.result()
        return None

    def forget(self, object_id: Optional[str] = None) -> None:
        if object_id is None:
            self._interfaces.clear()
        else:
            self._interfaces.pop(object_id, None)

    def __repr__(self) -> str:
        return f"roc.aio.Client({self.endpoints!r}{', closed' if self._closed else ''})"

    # -- calls -----------------------------------------------------------------------------

    def _start(self) -> None:
        if self._closed:
            raise RocError("the client is closed")
        if self._socket is None:
            self._loop = asyncio.get_running_loop()
            self._socket = self.endpoints.socket(self._ctx, zmq.DEALER)
            # Requests go only into a connection that is up (see roc.Client): one sent during an
            # outage would run after the broker is back, long after its caller was told it failed.
            self._socket.immediate = 1
            self._link = LinkMonitor(self._socket, self.endpoints.calls)
            self._socket.connect(self.endpoints.calls)
            self._fd = self._socket.getsockopt(zmq.FD)
            self._loop.add_reader(self._fd, self._readable)
            self._link_fd = self._link.socket.getsockopt(zmq.FD)
            self._loop.add_reader(self._link_fd, self._link_events)
            self._loop.call_soon(self._link_events)   # the fd signals edges: one may have passed
        else:
            # Events the loop has not read yet (it may have been blocked) came before the call that
            # starts now: a drop among them must not fail it.
            self._link_events()

    async def _describe(self, object_id: str, timeout: Optional[float]) -> Optional[Interface]:
        try:
            document = await self._call(object_id, "rpc.describe", None,
                                        self.timeout if timeout is None else timeout)
        except RemoteError as error:
            if error.code != METHOD_NOT_FOUND:
                raise
            return None
        return Interface(document) if isinstance(document, dict) else None

    async def _call(self, object_id: str, method: str, params: Any, timeout: float) -> Any:
        self._start()
        call_id = next(self._ids)
        message = {"jsonrpc": "2.0", "id": call_id, "method": method}
        if params is not None:
            message["params"] = params
        frames = encode_request(message, self.attachment_min_bytes)
        loop = self._loop
        future = loop.create_future()
        self._pending[call_id] = (future, object_id, method, None)
        forever = timeout == math.inf
        timer = None if forever else loop.call_later(max(timeout, 0.0), self._expire, call_id, timeout)
        try:
            await self._send([b"", wire.MDPC, object_id.encode(),
                              wire.call_header(None if forever else timeout, True, call_id)] + frames, future, copy=False)
            message = await future
        except asyncio.CancelledError:
            # The awaiting task was cancelled (asyncio.wait_for, a TaskGroup): nobody waits any more.
            if self._pending.get(call_id) is not None and not self._closed:
                self._cancel(object_id, call_id, future)
            raise
        finally:
            if timer is not None:
                timer.cancel()
            self._pending.pop(call_id, None)
        return result_of(message, object_id)

    def _begin(self, object_id: str, method: str, prepare: Callable[[], Awaitable[tuple]], timeout: float,
               on_progress: Optional[Callable[[Progress], Any]]) -> "Call":
        self._start()
        call = Call(self, object_id, method, timeout, on_progress)
        call._task = self._loop.create_task(self._run(call, prepare))
        return call

    async def _run(self, call: "Call", prepare: Callable[[], Awaitable[tuple]]) -> None:
        """Sends a started call once its params are known (a typed proxy may fetch the interface
        first); the reader settles it."""
        future = call._future
        try:
            params, call._convert = await prepare()
            if call._cancelled:   # cancelled before it went out: never sent
                future.set_exception(Cancelled(CANCELLED, f"cancelled: the call to '{call.object_id}' was "
                                                          "cancelled before it was sent"))
                return
            if self._closed:
                raise RocError(f"the client is closed: cannot call '{call.method}' on object '{call.object_id}'")
            call.id = call_id = next(self._ids)
            message = {"jsonrpc": "2.0", "id": call_id, "method": call.method}
            if params is not None:
                message["params"] = params
            frames = encode_request(message, self.attachment_min_bytes)
            timeout = call.timeout
            forever = timeout == math.inf
            self._pending[call_id] = (future, call.object_id, call.method, call)
            if not forever:
                timer = self._loop.call_later(max(timeout, 0.0), self._expire, call_id, timeout)
                future.add_done_callback(lambda _: timer.cancel())
            future.add_done_callback(lambda _: self._pending.pop(call_id, None))
            await self._send([b"", wire.MDPC, call.object_id.encode(),
                              wire.call_header(None if forever else timeout, True, call_id, True)] + frames,
                             future, copy=True)
        except BaseException as error:  # noqa: B036 — the call's awaiter must hear of it
            if not future.done():
                future.set_exception(error if isinstance(error, Exception) else RocError(str(error)))
            if not isinstance(error, Exception):
                raise

    def _cancel(self, object_id: str, call_id: int, until: "asyncio.Future") -> None:
        """Sends the cancel of a call on this client's socket (the broker matches it by
        connection); retried while the socket is full, until the call's outcome is there."""
        frames = cancel_frames(object_id, call_id)
        try:
            wire.send_frames(self._socket, frames, True)
        except zmq.Again:
            self._loop.create_task(self._send(frames, until, copy=True))

    async def _notify(self, object_id: str, method: str, params: Any, timeout: float) -> None:
        self._start()
        message = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        frames = wire.encode(message, attach=True, min_bytes=self.attachment_min_bytes)
        # Copied: the caller may change its arrays once this returns, before libzmq sent them.
        deadline = self._loop.create_future()
        forever = timeout == math.inf
        timer = None if forever else self._loop.call_later(max(timeout, 0.0), deadline.set_result, None)
        try:
            await self._send([b"", wire.MDPC, object_id.encode(),
                              wire.call_header(None if forever else timeout, True)] + frames, deadline, copy=True)
            if deadline.done() and not deadline.cancelled() and deadline.exception() is not None:
                raise deadline.exception()
        finally:
            if timer is not None:
                timer.cancel()

    def _expire(self, call_id: int, timeout: float) -> None:
        entry = self._pending.pop(call_id, None)
        if entry is not None and not entry[0].done():
            # Cancelled remotely, so that it neither runs on nor holds up the calls behind it.
            if not self._closed:
                self._cancel(entry[1], call_id, entry[0])
            entry[0].set_exception(timeout_error(entry[1], entry[2], timeout))

    async def _send(self, frames: List[Any], until: "asyncio.Future", copy: bool) -> None:
        """Sends at once when the socket takes it (always, unless its queue to the broker is
        full); else retries until `until` is done (the call timed out)."""
        socket = self._socket
        delay = 0.0005
        while True:
            try:
                wire.send_frames(socket, frames, copy)
                break
            except zmq.Again:
                if until.done():
                    return
                self._link_events()
                if self._link.failure:   # the last attempt failed: no waiting for the next
                    _fail(until, BrokerUnreachable(self._link.endpoint, self._link.failure))
                    return
                # Without a connection, _link_events fails `until` when an attempt to connect fails.
                self._unsent.add(until)
                try:
                    await asyncio.sleep(delay)
                finally:
                    self._unsent.discard(until)
                delay = min(delay * 2, 0.05)
        # The socket's fd signals edges, and a send may take one a reply brought: look now.
        if socket.getsockopt(_EVENTS) & _POLLIN:
            self._loop.call_soon(self._readable)

    def _readable(self) -> None:
        socket, pending = self._socket, self._pending
        if socket is None or self._closed:
            return
        try:
            while socket.getsockopt(_EVENTS) & _POLLIN:
                while True:
                    try:
                        frames = wire.recv_frames(socket)
                    except zmq.Again:
                        break
                    self._reply(frames, pending)
        except Exception as error:  # noqa: BLE001 (waiting calls must hear of it)
            log.exception("roc.aio client: reading replies failed")
            self._fail_all(f"the client's reader failed ({error})")

    def _link_events(self) -> None:
        """Fails the calls sent when the connection drops, and those waiting to be sent when an
        attempt to connect fails (the socket takes requests only while it is up)."""
        if self._closed:
            return
        self._readable()   # first: a reply that came before a drop is not failed for it
        while self._link.socket.getsockopt(_EVENTS) & _POLLIN:   # as _readable: the fd signals edges
            self._take_link_events()

    def _take_link_events(self) -> None:
        for kind, reason in self._link.events():
            if kind == LOST:
                error = BrokerUnreachable(self._link.endpoint, LOST_IN_FLIGHT)
                for future, *_ in list(self._pending.values()):
                    if future not in self._unsent and not future.done():
                        future.set_exception(error)
                # Answers to what was sent will not come: only the requests not sent yet stay in line.
                for service, waiting in self._mmi.items():
                    for future in waiting:
                        if future not in self._unsent and not future.done():
                            future.set_exception(error)
                    self._mmi[service] = collections.deque(f for f in waiting if f in self._unsent)
            elif kind == FAILED:
                error = BrokerUnreachable(self._link.endpoint, reason)
                failed = set(self._unsent)
                for until in failed:
                    if not until.done():
                        until.set_exception(error)
                for service, waiting in self._mmi.items():   # never sent: no answer to wait in line for
                    self._mmi[service] = collections.deque(f for f in waiting if f not in failed)

    def _reply(self, frames: List[Any], pending: Dict[int, tuple]) -> None:
        waiter, payload, problem, dropped = route_reply(frames, pending, self._mmi)
        if dropped:
            self._drop(dropped)
            return
        if problem is EVENT:
            if waiter is not None and waiter[3] is not None:
                waiter[3]._event(payload)
            return
        future = waiter[0] if isinstance(waiter, tuple) else waiter   # a call's entry, or an MMI future
        if future is None or future.done():
            return
        if problem is not None:
            future.set_exception(problem)
        else:
            future.set_result(payload)

    def _fail_all(self, why: str) -> None:
        for call_id in list(self._pending):
            future, object_id, method, _ = self._pending.pop(call_id)
            if not future.done():
                future.set_exception(RocError(f"{why} (object '{object_id}', method '{method}')"))
        for waiting in self._mmi.values():
            while waiting:
                future = waiting.popleft()
                if not future.done():
                    future.set_exception(RocError(why))

    def _drop(self, why: str) -> None:
        self.dropped += 1
        if self.dropped == 1 or self.dropped % 1000 == 0:
            log.warning("roc.aio client: dropped %s (%d dropped so far)", why, self.dropped)


class ObjectProxy:
    """A remote object for asyncio: `await cam.grab(100)`, `await cam.get("fps")`,
    `await cam.set("fps", 20.0)`, `await cam.describe()`. `dir(cam)` lists the members once the
    interface has been fetched (by any call, or `await cam.describe()`)."""

    def __init__(self, client: Client, object_id: str, timeout: Optional[float] = None) -> None:
        self._client = client
        self._id = object_id
        self._timeout = client.timeout if timeout is None else float(timeout)
        self._methods: Dict[str, RemoteMethod] = {}

    async def describe(self) -> dict:
        """The object's IDL document; {} when it does not describe itself."""
        interface = await self._client.interface(self._id, self._timeout)
        return dict(interface.document) if interface else {}

    async def get(self, name: str) -> Any:
        """Reads a property (rpc.get), typed by the IDL."""
        value = await self._client._call(self._id, "rpc.get", {"name": name}, self._timeout)
        interface = await self._client.interface(self._id, self._timeout)
        if interface is not None and name in interface.property_types:
            return idl.from_wire(value, interface.property_types[name], interface.types)
        return value

    async def set(self, name: str, value: Any) -> None:
        """Writes a property (rpc.set); a read-only one fails with RemoteError -32003."""
        interface = await self._client.interface(self._id, self._timeout)
        if interface is not None and name in interface.property_types:
            value = idl.to_wire(value, interface.property_types[name], interface.types)
        await self._client._call(self._id, "rpc.set", {"name": name, "value": value}, self._timeout)

    def with_timeout(self, timeout: float) -> "ObjectProxy":
        return ObjectProxy(self._client, self._id, timeout)

    def __getattr__(self, name: str) -> "RemoteMethod":
        if name.startswith("_"):
            raise AttributeError(name)
        method = self._methods.get(name)
        if method is None:
            interface = self._client.cached_interface(self._id)
            if interface is not None and name not in interface.methods:
                raise AttributeError(f"object '{self._id}' ({interface.name}) has no method '{name}' "
                                     f"({interface.members()}; properties: await proxy.get(name))")
            method = RemoteMethod(self, name)
            if interface is not None:   # keep only methods that carry their doc and signature
                self._methods[name] = method
        return method

    def __dir__(self) -> Iterable[str]:
        names = ["describe", "get", "set", "with_timeout"]
        interface = self._client.cached_interface(self._id)
        if interface is not None:
            names += list(interface.methods)
        return sorted(set(names))

    def __repr__(self) -> str:
        return f"<roc.aio proxy '{self._id}' via {self._client.endpoints.address}>"


class RemoteMethod:
    """A method of a remote object; calling it gives a coroutine. `.notify(...)` is one-way."""

    def __init__(self, proxy: ObjectProxy, name: str) -> None:
        self._proxy = proxy
        self.__name__ = self.__qualname__ = name
        interface = proxy._client.cached_interface(proxy._id)
        spec = interface.methods.get(name) if interface is not None else None
        if spec is not None:
            self.__doc__ = spec.docstring(proxy._id)
            if spec.signature is not None:
                self.__signature__ = spec.signature

    async def _spec(self) -> Optional[MethodSpec]:
        proxy = self._proxy
        interface = proxy._client.cached_interface(proxy._id)
        if interface is None:
            interface = await proxy._client.interface(proxy._id, proxy._timeout)
        if interface is None:
            return None
        spec = interface.methods.get(self.__name__)
        if spec is None:
            raise AttributeError(f"object '{proxy._id}' ({interface.name}) has no method '{self.__name__}' "
                                 f"({interface.members()})")
        return spec

    async def __call__(self, *args: Any, **kwargs: Any) -> Any:
        proxy = self._proxy
        spec = await self._spec()
        result = await proxy._client._call(proxy._id, self.__name__, call_params(spec, args, kwargs), proxy._timeout)
        return result if spec is None else spec.result_of(result, proxy)

    def start(self, *args: Any, on_progress: Optional[Callable[[Progress], Any]] = None,
              timeout: Optional[float] = None, **kwargs: Any) -> "Call":
        """Starts the call without waiting (in the client's event loop): a roc.aio.Call to await,
        to read progress from (`async for p in call.progress()`) and to cancel."""
        proxy = self._proxy

        async def prepare() -> tuple:
            spec = await self._spec()
            convert = None if spec is None else (lambda result: spec.result_of(result, proxy))
            return call_params(spec, args, kwargs), convert
        return proxy._client._begin(proxy._id, self.__name__, prepare,
                                    proxy._timeout if timeout is None else timeout, on_progress)

    async def notify(self, *args: Any, **kwargs: Any) -> None:
        proxy = self._proxy
        spec = await self._spec()
        params = call_params(spec, args, kwargs)
        await proxy._client._notify(proxy._id, self.__name__, params, proxy._timeout)

    def __get__(self, instance: Any, owner: Any = None) -> "RemoteMethod":
        return self

    def __repr__(self) -> str:
        return f"<roc.aio remote method {self._proxy._id}.{self.__name__}>"


class Call:
    """A started call in asyncio (`client.start(...)`, `proxy.method.start(...)`): `await call`
    gives its result, `async for p in call.progress()` its progress events (ending when the call
    ends), `call.cancel()` cancels it. Everything runs in the client's event loop. When the
    call's timeout passes it is cancelled and awaiting it raises roc.Timeout."""

    def __init__(self, client: Client, object_id: str, method: str, timeout: float,
                 on_progress: Optional[Callable[[Progress], Any]]) -> None:
        self.object_id = object_id
        self.method = method
        self.timeout = timeout
        self.id: Optional[int] = None      # the JSON-RPC id, once sent
        self.dropped_progress = 0
        self._client = client
        self._on_progress = on_progress
        self._convert: Optional[Callable[[Any], Any]] = None
        self._future: asyncio.Future = client._loop.create_future()
        self._future.add_done_callback(self._wake)
        self._events: collections.deque = collections.deque()
        self._waiter: Optional[asyncio.Future] = None
        self._cancelled = False
        self._task: Optional[asyncio.Task] = None

    def __await__(self):
        return self.result().__await__()

    async def result(self, timeout: Optional[float] = None) -> Any:
        """The result (raising what the call raised: roc.Cancelled after cancel(), roc.Timeout
        when its timeout passed); with `timeout`, roc.Timeout when this wait ends first, while
        the call goes on."""
        try:
            message = await asyncio.wait_for(asyncio.shield(self._future), timeout)
        except asyncio.TimeoutError:
            if self._future.done():
                raise
            raise Timeout(f"no result of '{self.method}' on object '{self.object_id}' within {timeout:g} s "
                          "of waiting; the call goes on (cancel() stops it)") from None
        result = result_of(message, self.object_id)
        return result if self._convert is None else self._convert(result)

    def done(self) -> bool:
        return self._future.done()

    def cancel(self) -> None:
        """Cancels the call: the broker answers -32008 at once (awaiting raises roc.Cancelled)
        and removes it from its queue or tells the method. A cancel racing the result has
        exactly one outcome. Idempotent; nothing happens once the outcome is there."""
        if self._cancelled or self._future.done():
            return
        self._cancelled = True
        if self.id is not None and not self._client._closed:
            self._client._cancel(self.object_id, self.id, self._future)

    async def progress(self, timeout: Optional[float] = None) -> AsyncIterator[Optional[Progress]]:
        """The progress events, in order, until the call ends; with `timeout`, None whenever no
        event came within that many seconds."""
        events = self._events
        while True:
            if events:
                yield events.popleft()
                continue
            if self._future.done():
                return
            waiter = self._waiter
            if waiter is None or waiter.done():   # shared by every reader waiting at once
                waiter = self._waiter = self._client._loop.create_future()
            done, _ = await asyncio.wait([waiter], timeout=timeout)
            if not done:
                yield None

    def __aiter__(self) -> AsyncIterator[Optional[Progress]]:
        return self.progress()

    def __repr__(self) -> str:
        state = "done" if self.done() else ("cancelling" if self._cancelled else "running")
        return f"<roc.aio.Call {self.object_id}.{self.method} id {self.id}, {state}>"

    def _event(self, progress: Progress) -> None:
        if self._on_progress is not None:
            try:
                self._on_progress(progress)
            except Exception:  # noqa: BLE001 — a callback must not stop the client's reader
                log.exception("roc.aio client: the on_progress callback of '%s' raised", self.method)
        if len(self._events) >= PROGRESS_QUEUE:
            self._events.popleft()
            self.dropped_progress += 1
        self._events.append(progress)
        self._wake()

    def _wake(self, *_: Any) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
