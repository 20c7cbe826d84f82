"""The original ROC's names (runmacs' ROC, roc's Python ancestor), so its users keep their scripts.

    ep = Endpoints('localhost')          # calls on 5555, logs/status in on 5556, out on 5557
    c = RocClient(ep)
    vnir = c['vnir']
    vnir.open_shutter()
    vnir.fps

Each name is a thin layer over the package's own API (Client, Server, LogHandler, StatusUpdater,
StatusSubscription); `Endpoints` is the package's own class, which takes the original signature.
"""
from __future__ import annotations

from typing import Any, Optional, Union

import zmq

from .client import Client
from .endpoints import Endpoints
from .logs import RocLogger, initRocLogging
from .server import Server
from .status import RocStatusUpdater, statusUpdateIterator

__all__ = ["Endpoints", "RocClient", "RocServer", "run_simple_server", "RocLogger", "initRocLogging",
           "RocStatusUpdater", "statusUpdateIterator"]


def _endpoints(where: Union[Endpoints, str, None]) -> Endpoints:
    """The original passed Endpoints or one endpoint string (`tcp://host:port` of the broker)."""
    return Endpoints.of(where)


class RocClient(Client):
    """`RocClient(broker_addr, ctx=None, timeout=2.0)`; `client['vnir']` is a proxy."""

    def __init__(self, broker_addr: Union[Endpoints, str, None] = None, ctx: Optional[zmq.Context] = None,
                 timeout: float = 2.0) -> None:
        super().__init__(_endpoints(broker_addr), timeout=timeout, ctx=ctx)


class RocServer(Server):
    """`RocServer(brokerEndpoint, objectId, objectInstance, ctx=None)`: serves one object; `run()`."""

    def __init__(self, brokerEndpoint: Union[Endpoints, str, None], objectId: str,  # noqa: N803
                 objectInstance: Any, ctx: Optional[zmq.Context] = None) -> None:  # noqa: N803
        super().__init__(_endpoints(brokerEndpoint), ctx=ctx)
        self.publish(objectId, objectInstance)


def run_simple_server(objectId: str, instance: Any) -> None:  # noqa: N803
    """Publishes `instance` as `objectId` on the broker of $ROC_BROKER (else localhost:5555), with
    distributed logging on under the node name `objectId`, until SIGINT/SIGTERM."""
    endpoints = Endpoints()
    initRocLogging(objectId, endpoints)
    RocServer(endpoints, objectId, instance).run()
