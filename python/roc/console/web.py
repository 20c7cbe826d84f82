"""`roc web`: the live web console — objects and their workers, an object's methods and
properties from rpc.describe, the status tree, logs and history plots — served over HTTP to a
browser, with the live parts pushed as Server-Sent Events. A roc client like any other.

The HTTP API (docs/console.md) is JSON; the page in static/ is plain files. One Client makes the
calls, one Hub holds the status, log and presence subscriptions for every browser, one
Archive (fed by a Recorder unless --no-record) answers history. Everything a browser or a peer
sends is checked before it is used and every wait has a timeout: no request can stop the server
or make it hold more memory than its bounds.
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import parse_qs, unquote, urlsplit

from .. import __version__
from .. import archive as archive_module
from ..client import Client
from ..errors import (METHOD_NOT_FOUND, ObjectNotFound, RemoteError,
                      RocError, Timeout)
from . import options, security
from .hub import Hub, worker_json
from .shown import ImageStore, shown

STATIC = Path(__file__).resolve().parent / "static"
MAX_BODY = 1 << 20                 # request bodies above this are refused (413)
MAX_DRAINED = 16 << 20             # and read to the end first when no bigger than this
CALL_TIMEOUT = 10.0                # default for calls from the page, seconds
MAX_CALL_TIMEOUT = 3600.0          # the most a page may ask for
BROKER_TIMEOUT = 5.0               # mmi.workers, rpc.describe, rpc.get, rpc.set
MAX_CONNECTIONS = 200              # open HTTP connections; beyond, new ones are closed at once
MAX_STREAMS = 64                   # open event streams (each holds a connection)
SOCKET_TIMEOUT = 30.0              # a client that neither sends nor reads for this long is dropped
KEEPALIVE = 15.0                   # a comment line this often keeps proxies from closing a stream
STREAM_INTERVAL = 0.1              # at most ~10 event batches a second per stream
HISTORY_POINTS, MAX_HISTORY_POINTS = 2000, 10000
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png",
                 ".ico": "image/x-icon", ".json": "application/json", ".txt": "text/plain; charset=utf-8",
                 ".map": "application/json", ".woff2": "font/woff2"}
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                           "form-action 'none'; frame-ancestors 'none'")
STATIC_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,100}")

class HttpError(Exception):
    """An answer other than 200: the status and the message the page shows."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": dict({"message": message}, **extra)}


def failure_of(error: RocError, what: str) -> HttpError:
    """The HTTP answer to a roc failure that is not the object's own error."""
    if isinstance(error, ObjectNotFound):
        return HttpError(404, f"no object '{what}' is served by the broker", code=error.code)
    if isinstance(error, Timeout):
        return HttpError(504, str(error))
    return HttpError(502, str(error))   # the broker unreachable, or a protocol failure


def remote_error_json(error: RemoteError) -> Dict[str, Any]:
    return {"error": {"code": error.code, "message": error.message, "data": shown(error.data)}}


class Console:
    """What the request handlers share: the client, the hub, the images, the archive, the rules."""

    def __init__(self, client: Client, hub: Hub, archive: Any, archive_path: Optional[str], recording: bool,
                 token: Optional[str], listen_host: str) -> None:
        self.client = client
        self.hub = hub
        self.images = ImageStore()
        self.archive = archive
        self.archive_path = archive_path
        self.recording = recording
        self.token = token
        self.listen_host = listen_host
        self.port = 0

    # -- objects --

    def objects(self) -> Dict[str, Any]:
        try:
            listing = self.client.workers()
        except RocError as error:
            raise failure_of(error, "") from None
        return {"objects": [{"id": entry["id"], "workers": [worker_json(w) for w in entry["workers"]]}
                            for entry in sorted(listing, key=lambda e: e["id"])]}

    def _describe(self, object_id: str) -> Optional[dict]:
        try:
            # Asked first: an object without workers is 404 at once, not after the broker's grace.
            if not self.client.workers(object_id):
                self._not_found(object_id)
            document = self.client.call(object_id, "rpc.describe", timeout=BROKER_TIMEOUT)
        except RemoteError as error:
            if error.code == METHOD_NOT_FOUND:
                return None   # a third-party worker: callable, but without an interface
            if isinstance(error, ObjectNotFound):
                self._not_found(object_id)
            raise HttpError(502, f"object '{object_id}' answered rpc.describe with {error}") from None
        except RocError as error:
            raise failure_of(error, object_id) from None
        return document if isinstance(document, dict) else None

    @staticmethod
    def _not_found(object_id: str) -> None:
        raise HttpError(404, f"no object '{object_id}' is served by the broker", code=-32001)

    def object(self, object_id: str) -> Dict[str, Any]:
        document = self._describe(object_id)
        return {"id": object_id, "describe": document, "properties": self._read_properties(object_id, document)}

    def properties(self, object_id: str) -> Dict[str, Any]:
        return self._read_properties(object_id, self._describe(object_id))

    def _read_properties(self, object_id: str, document: Optional[dict]) -> Dict[str, Any]:
        """Every property's value; one that cannot be read shows as {"$error": why}."""
        out: Dict[str, Any] = {}
        for spec in property_specs(document):
            name = spec.get("name")
            if isinstance(name, str):
                out[name] = self._read_property(object_id, name)
        return out

    def _read_property(self, object_id: str, name: str) -> Any:
        try:
            return shown(self.client.call(object_id, "rpc.get", name=name, timeout=BROKER_TIMEOUT), self.images)
        except ObjectNotFound:
            self._not_found(object_id)
        except RemoteError as error:
            return {"$error": str(error)}
        except RocError as error:
            raise failure_of(error, object_id) from None

    def set_property(self, object_id: str, name: str, body: Dict[str, Any]) -> Dict[str, Any]:
        if "value" not in body:
            raise HttpError(400, 'the body must be {"value": ...}')
        try:
            self.client.call(object_id, "rpc.set", name=name, value=body["value"], timeout=BROKER_TIMEOUT)
            value = self.client.call(object_id, "rpc.get", name=name, timeout=BROKER_TIMEOUT)
        except ObjectNotFound:
            self._not_found(object_id)
        except RemoteError as error:
            return remote_error_json(error)   # read-only, out of range: the page shows why
        except RocError as error:
            raise failure_of(error, object_id) from None
        return {"value": shown(value, self.images)}

    def call(self, object_id: str, method: str, body: Dict[str, Any]) -> Dict[str, Any]:
        params = body.get("params")
        if params is not None and not isinstance(params, (list, dict)):
            raise HttpError(400, '"params" must be a list (by position) or an object (by name)')
        timeout = body.get("timeout", CALL_TIMEOUT)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) \
                or not 0 < timeout <= MAX_CALL_TIMEOUT:
            raise HttpError(400, f'"timeout" must be a number of seconds, more than 0 and at most {MAX_CALL_TIMEOUT:g}')
        try:
            # The params go as the page wrote them: by name they may be called anything,
            # `timeout` included, which Client.call's keywords would take for its own.
            result = self.client._call(object_id, method, params or None, float(timeout))
        except ObjectNotFound:
            self._not_found(object_id)
        except RemoteError as error:
            return remote_error_json(error)
        except RocError as error:
            raise failure_of(error, object_id) from None
        return {"result": shown(result, self.images)}

    # -- history --

    def _archive(self) -> Any:
        if self.archive is None:
            raise HttpError(503, "this console has no archive: it could not be opened at start (see its output)")
        return self.archive

    def history_paths(self, query: Dict[str, str]) -> Dict[str, Any]:
        return {"paths": self._archive().paths(query.get("prefix", ""))}

    def history(self, query: Dict[str, str]) -> Dict[str, Any]:
        archive = self._archive()
        path = query.get("path")
        if not path:
            raise HttpError(400, "give the status path: /api/history?path=vnir.temperature&since=1h")
        now = time.time()
        try:
            since = archive_module.parse_time(query.get("since", "1h"), now)
            until = archive_module.parse_time(query["until"], now) if query.get("until") else None
        except ValueError as error:
            raise HttpError(400, f"since/until: {error}") from None
        points_text = query.get("points", str(HISTORY_POINTS))
        if not points_text.isdigit() or not 1 <= int(points_text) <= MAX_HISTORY_POINTS:
            raise HttpError(400, f"points must be a whole number from 1 to {MAX_HISTORY_POINTS}")
        points = archive.query(path, since, until, max_points=int(points_text))
        return {"path": path, "points": [[t, v] for t, v in points]}

    def info(self) -> Dict[str, Any]:
        return {"version": __version__, "broker": self.client.endpoints.address, "archive": self.archive_path,
                "recording": self.recording}


def property_specs(document: Optional[dict]) -> List[dict]:
    """The properties an rpc.describe document declares (its first object's, as proxies read it)."""
    if not isinstance(document, dict):
        return []
    objects = document.get("objects")
    if not isinstance(objects, list) or not objects or not isinstance(objects[0], dict):
        return []
    specs = objects[0].get("properties")
    return [p for p in specs if isinstance(p, dict)] if isinstance(specs, list) else []


# --- HTTP ----------------------------------------------------------------------------------------

Route = Tuple["re.Pattern[str]", Dict[str, Callable[..., Any]]]


class Handler(BaseHTTPRequestHandler):
    """One HTTP connection; `self.server.console` is the shared state."""

    protocol_version = "HTTP/1.1"
    server_version = f"roc-web/{__version__}"
    sys_version = ""
    timeout = SOCKET_TIMEOUT

    # Routes: a regular expression on the path (groups are %-decoded arguments), then by method.
    ROUTES: List[Route] = []

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:   # noqa: A002 - the base class's name
        pass   # no line per request: the console's output is its start line and its errors

    def do_GET(self) -> None:
        self.dispatch("GET")

    def do_POST(self) -> None:
        self.dispatch("POST")

    def do_PUT(self) -> None:
        self.dispatch("PUT")

    def do_DELETE(self) -> None:
        self.dispatch("DELETE")

    def do_PATCH(self) -> None:
        self.dispatch("PATCH")

    @property
    def console(self) -> Console:
        return self.server.console   # type: ignore[attr-defined]

    # -- the checks every request passes --

    def dispatch(self, method: str) -> None:
        try:
            url = urlsplit(self.path)
            query = self._query(url.query)
            self._check(method, url.path, query)
            if url.path == "/" and "token" in query and method == "GET":
                return self._accept_token(query["token"])
            handler, args = self._route(method, url.path)
            body = self._body() if method in ("POST", "PUT") else self._no_body()
            handler(self, *args, query=query, body=body)
        except HttpError as error:
            self._send_json(error.status, error.body)
        except (BrokenPipeError, ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception as error:  # noqa: BLE001 - a bug must not take the console down
            print(f"roc web: internal error on {method} {self.path[:200]}: {error!r}", file=sys.stderr)
            try:
                self._send_json(500, {"error": {"message": f"internal error: {error}"}})
            except OSError:
                self.close_connection = True

    def _query(self, text: str) -> Dict[str, str]:
        try:
            parsed = parse_qs(text, keep_blank_values=True, strict_parsing=False, max_num_fields=50)
        except ValueError:
            raise HttpError(400, "too many query parameters") from None
        return {key: values[-1] for key, values in parsed.items()}

    def _check(self, method: str, path: str, query: Dict[str, str]) -> None:
        console = self.console
        if not security.host_allowed(self.headers.get("Host"), console.listen_host, console.port):
            raise HttpError(403, "the Host header does not name this console (DNS rebinding guard): "
                                 "open it by its listen address or localhost")
        if console.token is not None and not (path == "/" and "token" in query):
            if not security.token_matches(security.request_token(self.headers), console.token):
                raise HttpError(401, "this console needs its access token: open /?token=TOKEN once, "
                                     "or send Authorization: Bearer TOKEN")
        if method not in ("GET", "HEAD") and self.headers.get(security.CSRF_HEADER) != "1":
            raise HttpError(403, f"{method} needs the header {security.CSRF_HEADER}: 1 "
                                 "(a cross-site form cannot send it)")

    def _accept_token(self, given: str) -> None:
        if not (self.console.token and security.token_matches(given, self.console.token)):
            raise HttpError(401, "wrong access token")
        self.send_response(303)
        self.send_header("Location", "/")
        self.send_header("Set-Cookie", security.token_cookie(self.console.token))
        self.send_header("Content-Length", "0")
        self._common_headers()
        self.end_headers()

    def _route(self, method: str, path: str) -> Tuple[Callable[..., Any], List[str]]:
        for pattern, methods in self.ROUTES:
            match = pattern.fullmatch(path)
            if match:
                if method not in methods:
                    raise HttpError(405, f"{method} is not allowed on {path[:100]}",
                                    allowed=sorted(methods))
                return methods[method], [unquote(group) for group in match.groups()]
        raise HttpError(404, f"nothing at {path[:100]}")

    def _length(self) -> int:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            raise HttpError(411, "send the body with a Content-Length, not chunked")
        text = (self.headers.get("Content-Length") or "0").strip()
        if not text.isdigit():
            self.close_connection = True
            raise HttpError(400, "Content-Length is not a number")
        length = int(text)
        if length > MAX_BODY:
            self.close_connection = True
            if length <= MAX_DRAINED:
                # Read and drop it, so a client still sending gets the answer rather than a reset
                # connection; a bigger one is not worth reading, and the close cuts it off.
                left = length
                while left > 0:
                    chunk = self.rfile.read(min(1 << 16, left))
                    if not chunk:
                        break
                    left -= len(chunk)
            raise HttpError(413, f"the body is {length} bytes; at most {MAX_BODY} are accepted")
        return length

    def _no_body(self) -> None:
        length = self._length()
        if length:
            self.rfile.read(length)   # keeps the connection in step for the next request
        return None

    def _body(self) -> Dict[str, Any]:
        data = self.rfile.read(self._length())
        if not data.strip():
            return {}
        try:
            body = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            raise HttpError(400, f"the body is not JSON: {str(error)[:200]}") from None
        if not isinstance(body, dict):
            raise HttpError(400, "the body must be a JSON object")
        return body

    # -- answers --

    def _common_headers(self) -> None:
        # The page's own files only: a string some object or publisher sent can never run as a
        # script or pull in anything from elsewhere, even if the page had a bug that let it in.
        self.send_header("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("X-Frame-Options", "DENY")
        self.send_header("Referrer-Policy", "no-referrer")

    def _send_bytes(self, status: int, data: bytes, content_type: str, cache: str = "no-store") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", cache)
        if status == 405:
            self.send_header("Allow", ", ".join(self._allowed()))
        self._common_headers()
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def _allowed(self) -> List[str]:
        path = urlsplit(self.path).path
        for pattern, methods in self.ROUTES:
            if pattern.fullmatch(path):
                return sorted(methods)
        return []

    def _send_json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self._send_bytes(status, data, "application/json; charset=utf-8")

    # -- the endpoints --

    def get_index(self, query: Dict[str, str], body: Any) -> None:
        self.get_static("index.html", query=query, body=body)

    def get_static(self, name: str, query: Dict[str, str], body: Any) -> None:
        if not STATIC_NAME.fullmatch(name) or ".." in name:
            raise HttpError(404, "no such file")
        path = STATIC / name
        try:
            data = path.read_bytes()
        except OSError:
            raise HttpError(404, f"no file {name} in the console's static files") from None
        self._send_bytes(200, data, CONTENT_TYPES.get(path.suffix, "application/octet-stream"), "no-cache")

    def get_image(self, number: str, query: Dict[str, str], body: Any) -> None:
        png = self.console.images.get(int(number))
        if png is None:
            raise HttpError(404, "that image is gone: the console keeps only the newest; call again")
        self._send_bytes(200, png, "image/png", "private, max-age=3600")

    def get_events(self, query: Dict[str, str], body: Any) -> None:
        hub = self.console.hub
        if hub.clients >= MAX_STREAMS:
            raise HttpError(503, f"too many event streams open (at most {MAX_STREAMS})")
        feed = hub.subscribe()
        self.close_connection = True   # an event stream ends with its connection
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Connection", "close")
            self.send_header("X-Accel-Buffering", "no")   # nginx: pass events on at once
            self._common_headers()
            self.end_headers()
            self.wfile.write(b"retry: 2000\n: roc web\n\n")
            self.wfile.flush()
            last = 0.0
            while True:
                pause = STREAM_INTERVAL - (time.monotonic() - last)
                if pause > 0:
                    time.sleep(pause)
                events = hub.wait(feed, KEEPALIVE)
                if events is None:
                    return
                last = time.monotonic()
                chunk = b"".join(
                    f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"
                    .encode("utf-8") for name, data in events) or b": keepalive\n\n"
                self.wfile.write(chunk)
                self.wfile.flush()
        except (OSError, ValueError):
            return   # the browser went away (or stopped reading for SOCKET_TIMEOUT)
        finally:
            hub.unsubscribe(feed)


def _json_endpoint(produce: Callable[..., Any]) -> Callable[..., None]:
    """A handler whose answer is the JSON that `produce(console, *path arguments, [query], [body])` returns."""
    def endpoint(handler: Handler, *args: str, query: Dict[str, str], body: Any) -> None:
        handler._send_json(200, produce(handler.console, *args, query=query, body=body))
    return endpoint


def _routes() -> List[Route]:
    def route(pattern: str, **methods: Callable[..., Any]) -> Route:
        return re.compile(pattern), methods

    return [
        route(r"/", GET=Handler.get_index),
        route(r"/static/([^/]+)", GET=Handler.get_static),
        route(r"/api/info", GET=_json_endpoint(lambda c, query, body: c.info())),
        route(r"/api/objects", GET=_json_endpoint(lambda c, query, body: c.objects())),
        route(r"/api/objects/([^/]+)", GET=_json_endpoint(lambda c, o, query, body: c.object(o))),
        route(r"/api/objects/([^/]+)/properties",
              GET=_json_endpoint(lambda c, o, query, body: c.properties(o))),
        route(r"/api/objects/([^/]+)/properties/([^/]+)",
              PUT=_json_endpoint(lambda c, o, name, query, body: c.set_property(o, name, body))),
        route(r"/api/objects/([^/]+)/call/([^/]+)",
              POST=_json_endpoint(lambda c, o, method, query, body: c.call(o, method, body))),
        route(r"/api/images/(\d{1,12})\.png", GET=Handler.get_image),
        route(r"/api/status", GET=_json_endpoint(lambda c, query, body: c.hub.status())),
        route(r"/api/history/paths", GET=_json_endpoint(lambda c, query, body: c.history_paths(query))),
        route(r"/api/history", GET=_json_endpoint(lambda c, query, body: c.history(query))),
        route(r"/api/events", GET=Handler.get_events),
    ]


Handler.ROUTES = _routes()


class ConsoleServer(ThreadingHTTPServer):
    """A thread per connection, at most MAX_CONNECTIONS at once: more are closed unanswered, so a
    flood of connections cannot grow threads without bound."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: Tuple[str, int], console: Console) -> None:
        self.address_family = socket_family(address[0])
        self.console = console
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        super().__init__(address, Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except Exception:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


def socket_family(host: str) -> int:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


# --- the command ---------------------------------------------------------------------------------

def parse_args(argv: List[str]) -> Any:
    parser = options.parser("web", "Serve the live web console: objects, status, logs, calls and "
                                   "history plots in a browser (docs/console.md).")
    options.add_broker_options(parser)
    parser.add_argument("--listen", metavar="HOST:PORT", default="127.0.0.1:8080",
                        help="where to serve (default 127.0.0.1:8080; port 0 picks a free one); an "
                             "address beyond loopback needs --allow-remote")
    parser.add_argument("--allow-remote", action="store_true",
                        help="allow a --listen address other machines reach; the console then needs "
                             "an access token")
    parser.add_argument("--token", metavar="TOKEN",
                        help="access token every request must carry (default $ROC_WEB_TOKEN; "
                             "with --allow-remote and none given, one is generated and printed)")
    options.add_archive_options(parser, str(archive_module.default_archive_path()))
    parser.add_argument("--no-record", action="store_true",
                        help="do not record status into the archive (a `roc archive` process feeds it)")
    return parser.parse_args(argv)


def open_archive(args: Any) -> Tuple[Any, Optional[str]]:
    """(Archive or None, its path); prints why when it cannot be opened."""
    path = str(Path(args.archive).expanduser() if args.archive else archive_module.default_archive_path())
    try:
        return archive_module.Archive(path, retention=args.retention, readonly=args.no_record), path
    except Exception as error:  # noqa: BLE001 - sqlite3 and OS errors alike: history is off, live data stays
        print(f"roc web: cannot open the archive {path}: {error}; history is off", file=sys.stderr)
        return None, path


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        host, port = security.parse_listen(args.listen)
        endpoints = options.endpoints(args)
    except ValueError as error:
        print(f"roc web: {error}", file=sys.stderr)
        return options.EXIT_USAGE
    token = args.token or os.environ.get("ROC_WEB_TOKEN") or None
    generated = False
    if not security.is_loopback(host):
        if not args.allow_remote:
            print(f"roc web: --listen {args.listen} is reachable from other machines; add --allow-remote "
                  "(a token is then required: --token, $ROC_WEB_TOKEN, or one is generated)", file=sys.stderr)
            return options.EXIT_USAGE
        if token is None:
            token, generated = security.new_token(), True

    archive, archive_path = open_archive(args)
    client = Client(endpoints, timeout=BROKER_TIMEOUT)
    hub = Hub(endpoints)
    recorder = None
    console = Console(client, hub, archive, archive_path, False, token, host)
    try:
        try:
            server = ConsoleServer((host, port), console)
        except OSError as error:
            print(f"roc web: cannot listen on {url_host(host)}:{port}: {error.strerror or error}", file=sys.stderr)
            return options.EXIT_FAILURE
        console.port = server.server_address[1]
        hub.start()
        if archive is not None and not args.no_record:
            recorder = archive_module.Recorder(archive, endpoints=endpoints).start()
            console.recording = True
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.25},
                                   name="roc-web-http", daemon=True)
        serving.start()
        url = f"http://{url_host(host)}:{console.port}/"
        where = f"archive {archive_path}" + ("" if console.recording else ", not recording") \
            if archive_path else "no archive"
        print(f"roc web: serving {url} (broker {endpoints.address}, {where})", flush=True)
        if generated:
            print(f"roc web: access token {token} — open {url}?token={token} once (shown only now)", flush=True)
        while not stop.wait(0.5):
            pass
        hub.stop()         # ends the event streams first, so shutdown does not wait on them
        server.shutdown()
        server.server_close()
        return options.EXIT_OK
    finally:
        hub.stop()
        if recorder is not None:
            recorder.stop()
        if archive is not None:
            archive.close()
        client.close()


if __name__ == "__main__":
    sys.exit(main())
