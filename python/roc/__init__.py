"""roc for Python: call, serve, log and watch roc remote objects.

    import roc
    with roc.Client() as client:          # $ROC_BROKER, else localhost:5555
        cam = client["vnir"]
        cam.open_shutter()
        frame = cam.frame()                # a numpy array, sent as a binary attachment

See python/README.md. The original ROC's names (Endpoints, RocClient, RocServer, ...) are here too.
"""
from .errors import (BrokerUnreachable, Cancelled, CertificateError, NotAllowed, NotSupported, ObjectBusy,
                     ObjectNotFound, ProtocolError, RemoteError, RocError, SignatureMismatch, Timeout)
from .context import CallContext
from .endpoints import Credentials, Endpoints
from .client import Call, Client, ObjectProxy, Progress
from .server import Server, method, describe
from .logs import LogHandler, LogSubscription
from .status import StatusSubscription, StatusUpdate, StatusUpdater
from .presence import PresenceEvent, PresenceSubscription
from .status import StatusPublisher, StatusSource
from . import aio
from .compat import (RocClient, RocLogger, RocServer, RocStatusUpdater, initRocLogging,
                     run_simple_server, statusUpdateIterator)

__version__ = "0.2.0"  # the C++ runtime's version (runtime/include/roc/version.hpp)

__all__ = [
    "Client", "ObjectProxy", "Call", "Progress", "CallContext", "Server", "method", "describe", "Endpoints", "Credentials",
    "LogHandler", "LogSubscription", "StatusUpdater", "StatusSubscription", "StatusUpdate", "aio",
    "PresenceSubscription", "PresenceEvent",
    "RocError", "RemoteError", "ObjectNotFound", "SignatureMismatch", "ObjectBusy", "NotAllowed",
    "Cancelled", "Timeout", "BrokerUnreachable", "ProtocolError", "NotSupported", "CertificateError",
    "RocClient", "RocServer", "run_simple_server", "RocLogger", "initRocLogging",
    "RocStatusUpdater", "statusUpdateIterator",
    "StatusSource", "StatusPublisher",
]
