"""The exceptions roc raises; they mirror the C++ runtime's (runtime/include/roc/error.hpp)."""
from __future__ import annotations

import json
from typing import Any, NoReturn

__all__ = [
    "RocError", "RemoteError", "ObjectNotFound", "SignatureMismatch", "ObjectBusy", "NotAllowed",
    "Cancelled", "Timeout", "BrokerUnreachable", "ProtocolError", "NotSupported", "CertificateError",
    "raise_remote_error",
    "PARSE_ERROR", "INVALID_REQUEST", "METHOD_NOT_FOUND", "INVALID_PARAMS", "INTERNAL_ERROR",
    "APPLICATION_ERROR", "OBJECT_NOT_FOUND", "WORKER_LOST", "READ_ONLY", "SIGNATURE_MISMATCH",
    "OBJECT_BUSY", "DEADLINE_EXPIRED", "NOT_ALLOWED", "CANCELLED",
]

# JSON-RPC error codes (idl/PROTOCOL.md §3.1).
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
APPLICATION_ERROR = -32000   # the method raised; data: {"type", "what"}
OBJECT_NOT_FOUND = -32001
WORKER_LOST = -32002
READ_ONLY = -32003
SIGNATURE_MISMATCH = -32004
OBJECT_BUSY = -32005
DEADLINE_EXPIRED = -32006
NOT_ALLOWED = -32007
CANCELLED = -32008           # the caller cancelled the call (§2.6)


class RocError(Exception):
    """Base of every exception roc raises."""


class RemoteError(RocError):
    """The remote side answered with a JSON-RPC error object."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(code, message, data)
        self.code = code
        self.message = message
        self.data = data

    def __str__(self) -> str:
        text = f"error {self.code}: {self.message}"
        if self.data is not None:
            text += f" ({json.dumps(self.data, ensure_ascii=False)})"
        return text


class ObjectNotFound(RemoteError):
    """-32001: nobody serves the object id the call named."""


class SignatureMismatch(RemoteError):
    """-32004: the proxy expected another version of the object's interface."""


class ObjectBusy(RemoteError):
    """-32005: the broker holds as many calls for the object as it allows; nothing was run."""


class NotAllowed(RemoteError):
    """-32007: the caller's key has no right to this call (docs/security.md)."""


class Cancelled(RemoteError):
    """-32008: the call was cancelled (`Call.cancel()`, or its timeout passed), before it ran or
    while it ran. A method raises it to stop on a cancel (`CallContext.throw_if_cancelled()`);
    `roc.Cancelled()` without arguments is that."""

    def __init__(self, code: int = CANCELLED, message: str = "cancelled: the caller cancelled the call",
                 data: Any = None) -> None:
        super().__init__(code, message, data)


class Timeout(RocError, TimeoutError):
    """No reply arrived within the call's timeout (the call may still run remotely)."""


class BrokerUnreachable(RocError):
    """The broker cannot be reached: nothing listens at its address ("connection refused"), its
    host name does not resolve ("unknown host 'x'"), or the connection dropped while the call was
    in flight ("lost the connection; the call may have run"). Unlike Timeout, it says nothing of
    the object. `endpoint` is where the broker was looked for, `reason` why it was not reached."""

    def __init__(self, endpoint: str, reason: str) -> None:
        super().__init__(f"broker unreachable at {endpoint} ({reason})")
        self.endpoint = endpoint
        self.reason = reason


class ProtocolError(RocError):
    """A peer sent something that does not follow the protocol (bad frames, bad JSON)."""


class NotSupported(ProtocolError):
    """The broker does not offer a service roc asked for (an 8/MMI query answered 501)."""


class CertificateError(RocError):
    """A certificate file cannot be used; the message names the file."""


_BY_CODE = {
    OBJECT_NOT_FOUND: ObjectNotFound,
    SIGNATURE_MISMATCH: SignatureMismatch,
    OBJECT_BUSY: ObjectBusy,
    NOT_ALLOWED: NotAllowed,
    CANCELLED: Cancelled,
}


def remote_error(code: int, message: str, data: Any = None) -> RemoteError:
    """The RemoteError subclass that matches `code`."""
    return _BY_CODE.get(code, RemoteError)(code, message, data)


def raise_remote_error(code: int, message: str, data: Any = None) -> NoReturn:
    raise remote_error(code, message, data)
