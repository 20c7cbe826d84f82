"""`roc.CallContext`: what a served method can learn about, and tell, the call it is running — how
long the caller still waits, whether it cancelled, and how far the call has got (idl/PROTOCOL.md
§2.5, §2.6). The Python twin of runtime/include/roc/call_context.hpp.

    class Camera:
        def exposure_series(self, frames: int, seconds: float, ctx: roc.CallContext) -> list[float]:
            means = []
            for i in range(frames):
                if ctx.wait_cancelled(seconds):          # instead of sleeping: a cancel ends the wait
                    raise roc.Cancelled()
                means.append(self.grab_one())
                ctx.progress((i + 1) / frames, f"frame {i + 1} of {frames}")
            return means

A parameter annotated `roc.CallContext` is filled in by the server: it is not a wire parameter,
not in rpc.describe's params, and marks the method `"progress": true, "cancellable": true`.
"""
from __future__ import annotations

import logging
import math
import threading
import time
from typing import Any, Callable, List, Optional

from . import wire
from .errors import CANCELLED, Cancelled

__all__ = ["CallContext"]

log = logging.getLogger("roc")

_local = threading.local()


class CallContext:
    """The context of one call. Every member may be called from any thread while the call runs
    (a method may hand it to a helper thread). Outside a call (`CallContext()`, or `current()`
    outside one) it is empty: no object, no deadline, never cancelled, progress goes nowhere —
    so code that takes one also runs outside roc, in unit tests or a script."""

    __slots__ = ("object_id", "_deadline", "_cancelled", "_callbacks", "_lock", "_ended", "_report")

    def __init__(self, object_id: str = "", deadline: Optional[float] = None, *,
                 report: Optional[Callable[[bytes], None]] = None) -> None:
        self.object_id = object_id          # the id the call was addressed to; "" outside a call
        self._deadline = deadline           # time.monotonic() when the caller stops waiting
        self._cancelled = threading.Event()
        self._callbacks: List[Callable[[], Any]] = []
        self._lock = threading.Lock()
        self._ended = False
        self._report = report               # set only when the caller asked for progress

    @staticmethod
    def current() -> "CallContext":
        """The context of the call running on this thread; an empty one outside a call."""
        context = getattr(_local, "context", None)
        return context if context is not None else CallContext()

    # -- the deadline (§2.5)

    @property
    def deadline(self) -> Optional[float]:
        """When the caller stops waiting, on `time.monotonic()`'s clock (counted from when this
        server received the request); None when the caller sent no timeout."""
        return self._deadline

    def remaining(self) -> Optional[float]:
        """Seconds left until the deadline, 0 once it has passed; None without a deadline."""
        if self._deadline is None:
            return None
        return max(0.0, self._deadline - time.monotonic())

    def expired(self) -> bool:
        """Whether the deadline has passed: the caller stopped waiting; the reply will be dropped."""
        return self._deadline is not None and time.monotonic() >= self._deadline

    # -- cancellation (§2.6)

    def cancelled(self) -> bool:
        """Whether the caller cancelled the call. Cheap: poll it between the steps of a long
        operation."""
        return self._cancelled.is_set()

    def throw_if_cancelled(self) -> None:
        """Raises roc.Cancelled (the caller gets -32008) when the call was cancelled."""
        if self._cancelled.is_set():
            raise Cancelled(CANCELLED, f"cancelled: the call to '{self.object_id}' was cancelled while it ran")

    def wait_cancelled(self, seconds: Optional[float]) -> bool:
        """Waits up to `seconds` (None: for ever) for a cancel; True as soon as the call is
        cancelled, False when the time ran out. A method that waits on hardware waits here
        instead of sleeping, and so reacts to a cancel at once."""
        return self._cancelled.wait(seconds)

    def on_cancel(self, callback: Callable[[], Any]) -> None:
        """Runs `callback` once when the call is cancelled — at once if it is already, else on
        roc's thread that received the cancel, so keep it short (tell the hardware to stop) — or
        never: it is dropped when the call ends. An exception it raises is logged."""
        with self._lock:
            if not self._cancelled.is_set():
                if not self._ended:
                    self._callbacks.append(callback)
                return
        _run(callback, self.object_id)

    # -- progress (§2.6)

    def wants_progress(self) -> bool:
        """Whether the caller asked for progress events. Reporting costs nothing when it did not."""
        return self._report is not None

    def progress(self, fraction: Optional[float] = None, message: str = "", data: Any = None) -> None:
        """Reports how far the call has got: `fraction` from 0 to 1 (None: unknown), a short
        message, and optionally any JSON value (an intermediate result; numpy arrays as lists).
        Events reach the caller in order and before the reply; when they come faster than the
        broker takes them, some are dropped (never the reply). A no-op when the caller did not
        ask for progress; never waits."""
        report = self._report
        if report is None:
            return
        event: dict = {}
        if fraction is not None:
            fraction = float(fraction)
            if not math.isnan(fraction):
                event["fraction"] = min(max(fraction, 0.0), 1.0)
        if message:
            event["message"] = str(message)
        if data is not None:
            event["data"] = data
        report(wire.dumps(event))

    # -- the server's side

    def _cancel(self) -> None:
        """The caller cancelled: set the flag, wake wait_cancelled, run the callbacks once."""
        with self._lock:
            if self._cancelled.is_set():
                return
            self._cancelled.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            _run(callback, self.object_id)

    def _end(self) -> None:
        """The call is over: callbacks are dropped and progress goes nowhere."""
        with self._lock:
            self._ended = True
            self._callbacks = []
        self._report = None

    def __repr__(self) -> str:
        remaining = self.remaining()
        return (f"<roc.CallContext '{self.object_id}'"
                f"{'' if remaining is None else f', {remaining:.3f} s left'}"
                f"{', cancelled' if self.cancelled() else ''}{', progress' if self.wants_progress() else ''}>")


def _run(callback: Callable[[], Any], object_id: str) -> None:
    try:
        callback()
    except Exception:  # noqa: BLE001 — a callback must not take the server's thread down
        log.exception("roc server '%s': an on_cancel callback raised", object_id)


class _Scope:
    """Makes `context` the current one on this thread while the call runs."""

    __slots__ = ("context", "previous")

    def __init__(self, context: CallContext) -> None:
        self.context = context

    def __enter__(self) -> CallContext:
        self.previous = getattr(_local, "context", None)
        _local.context = self.context
        return self.context

    def __exit__(self, *exc: Any) -> None:
        _local.context = self.previous
