"""Where the broker is, and how every socket to it is secured (idl/PROTOCOL.md §1, §6.1).

One broker address gives three endpoints: calls (7/MDP) on the base port, publish (logs and
status in) on +1 and subscribe (logs and status out) on +2. The names of the original ROC
(`rocBroker`, `generalXSUB`, `generalXPUB`) are kept as aliases.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional, Union

import zmq
import zmq.auth

from .errors import CertificateError

__all__ = ["Endpoints", "Credentials", "DEFAULT_PORT"]

DEFAULT_PORT = 5555
DEFAULT_HOST = "localhost"


@dataclass(frozen=True)
class Credentials:
    """The CURVE keys a program presents: none (plaintext), or the broker's public key plus this
    program's own pair (a fresh pair per process when only the broker's key is given)."""

    broker_public: Optional[bytes] = None
    public: Optional[bytes] = None
    secret: Optional[bytes] = None

    @property
    def secure(self) -> bool:
        return self.broker_public is not None

    @staticmethod
    def load(cert: Optional[str], broker_cert: Optional[str]) -> "Credentials":
        """Reads the files `roc keygen` writes: `cert` is this program's `.key_secret`,
        `broker_cert` the broker's `.key`. Raises CertificateError naming a file that cannot be
        used."""
        if not broker_cert:
            if cert:
                raise CertificateError(
                    f"a certificate of this program is set ('{cert}') but not the broker's public "
                    "certificate: CURVE needs both (ROC_BROKER_CERT / broker_cert)")
            return Credentials()
        broker_public, _ = _load_certificate(broker_cert)
        if not cert:
            public, secret = zmq.curve_keypair()
            return Credentials(broker_public, public, secret)
        public, secret = _load_certificate(cert)
        if secret is None:
            raise CertificateError(
                f"'{cert}' holds no secret key: give this program its .key_secret file, the .key "
                "file is the public half")
        return Credentials(broker_public, public, secret)

    def apply(self, socket: zmq.Socket) -> None:
        """Sets the CURVE options; call before connect."""
        if not self.secure:
            return
        socket.curve_serverkey = self.broker_public
        socket.curve_publickey = self.public
        socket.curve_secretkey = self.secret


def _load_certificate(path: str) -> tuple:
    try:
        public, secret = zmq.auth.load_certificate(path)
    except (OSError, ValueError) as error:
        raise CertificateError(f"cannot use certificate '{path}': {error}") from None
    if public is None or len(public) != 40:
        raise CertificateError(f"cannot use certificate '{path}': it holds no curve/public-key")
    return public, secret


class Endpoints:
    """The three endpoints of one broker, and the credentials every socket to it uses.

    `broker` is `host`, `host:port`, `tcp://host:port`, `[::1]:port` or `ipc://path`; None means
    `$ROC_BROKER`, else localhost:5555. `cert` / `broker_cert` default to `$ROC_CERT` /
    `$ROC_BROKER_CERT` (plaintext when neither is set). The original ROC's signature,
    `Endpoints(brokerAddress, brokerBasePort=5555, transport='tcp')`, is accepted positionally.
    """

    def __init__(self, broker: Optional[str] = None, base_port: Optional[int] = None,
                 transport: str = "tcp", *, cert: Optional[str] = None,
                 broker_cert: Optional[str] = None) -> None:
        if broker is None:
            broker = os.environ.get("ROC_BROKER") or DEFAULT_HOST
        if transport not in ("tcp", "ipc"):
            raise ValueError(f"bad transport '{transport}': only 'tcp' and 'ipc' are supported")
        if transport == "ipc" and not broker.startswith("ipc://"):
            broker = "ipc://" + broker
        self._parse(broker, base_port)
        self.credentials = Credentials.load(
            cert if cert is not None else os.environ.get("ROC_CERT"),
            broker_cert if broker_cert is not None else os.environ.get("ROC_BROKER_CERT"))

    def _parse(self, address: str, base_port: Optional[int]) -> None:
        def bad(why: str) -> ValueError:
            return ValueError(f"bad broker address '{address}': {why}")

        if not address:
            raise bad("it is empty")
        if address.startswith("ipc://"):
            if address == "ipc://":
                raise bad("no path after ipc://")
            self.address, self.host, self.port = address, "", 0
            self.calls, self.publish, self.subscribe = address, address + ".pub", address + ".sub"
            return
        rest = address[len("tcp://"):] if address.startswith("tcp://") else address
        if "://" in rest:
            raise bad("only tcp:// and ipc:// are supported")
        host, port_text = rest, ""
        if rest.startswith("["):
            close = rest.find("]")
            if close < 0:
                raise bad("missing ']' after an IPv6 address")
            host, after = rest[:close + 1], rest[close + 1:]
            if after:
                if not after.startswith(":"):
                    raise bad("expected ':' after ']'")
                port_text = after[1:]
        elif ":" in rest:
            host, _, port_text = rest.rpartition(":")
        if not host:
            raise bad("no host name")
        if port_text:
            if not port_text.isdigit() or int(port_text) > 65533:
                raise bad(f"port '{port_text}' is not a number from 0 to 65533")
            port = int(port_text)
        else:
            port = DEFAULT_PORT if base_port is None else int(base_port)
        self.host, self.port = host, port
        self.address = f"{host}:{port}"
        self.calls = f"tcp://{host}:{port}"
        self.publish = f"tcp://{host}:{port + 1}"
        self.subscribe = f"tcp://{host}:{port + 2}"

    # The original ROC's names.
    @property
    def rocBroker(self) -> str:  # noqa: N802 (the original ROC's spelling)
        """The calls endpoint (7/MDP)."""
        return self.calls

    @property
    def generalXSUB(self) -> str:  # noqa: N802
        """Where logs and status are dropped (the broker's XSUB)."""
        return self.publish

    @property
    def generalXPUB(self) -> str:  # noqa: N802
        """Where logs and status are received (the broker's XPUB)."""
        return self.subscribe

    @classmethod
    def of(cls, where: Union["Endpoints", str, None]) -> "Endpoints":
        """Endpoints from what a user passed: Endpoints, an address string, or None ($ROC_BROKER)."""
        return where if isinstance(where, Endpoints) else cls(where)

    def secure(self, socket: zmq.Socket) -> zmq.Socket:
        """Applies this broker's credentials to `socket` (before connect) and returns it."""
        self.credentials.apply(socket)
        return socket

    def socket(self, ctx: zmq.Context, kind: int) -> zmq.Socket:
        """A socket of `kind` with the credentials applied and linger bounded, not yet connected."""
        socket = ctx.socket(kind)
        socket.linger = 0 if kind in (zmq.DEALER, zmq.SUB, zmq.XSUB) else 1000
        return self.secure(socket)

    def __repr__(self) -> str:
        mode = "CURVE" if self.credentials.secure else "plaintext"
        return f"Endpoints('{self.address}', {mode})"
