"""Who may use the console: the listen address rule, the access token, the Host check against
DNS rebinding and the header that stops cross-site forms (CSRF). Pure functions, so each rule is
written once and tested on its own."""
from __future__ import annotations

import hmac
import ipaddress
import secrets
from http.cookies import CookieError, SimpleCookie
from typing import Mapping, Optional, Tuple

COOKIE = "roc_token"
CSRF_HEADER = "X-Roc-Console"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def parse_listen(text: str) -> Tuple[str, int]:
    """`HOST:PORT`, `[V6]:PORT`, `:PORT` (loopback) or `PORT` → (host, port); ValueError saying why."""
    text = text.strip()
    if text.isdigit():
        host, port_text = "127.0.0.1", text
    elif text.startswith("["):
        host, sep, port_text = text[1:].partition("]:")
        if not sep:
            raise ValueError(f"--listen {text!r}: write an IPv6 address as [ADDR]:PORT")
    else:
        host, sep, port_text = text.rpartition(":")
        if not sep:
            raise ValueError(f"--listen {text!r}: write HOST:PORT, e.g. 127.0.0.1:8080")
        host = host or "127.0.0.1"
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ValueError(f"--listen {text!r}: the port must be a number from 0 to 65535")
    return host, int(port_text)


def is_loopback(host: str) -> bool:
    """Whether `host` is only reachable from this machine (localhost, 127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False   # a host name: it may resolve to anything


def is_wildcard(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_unspecified
    except ValueError:
        return False


def new_token() -> str:
    return secrets.token_urlsafe(24)


def token_matches(given: Optional[str], token: str) -> bool:
    """Constant-time comparison, so timing tells nothing of the token."""
    return given is not None and hmac.compare_digest(given.encode("utf-8", "replace"), token.encode("utf-8"))


def request_token(headers: Mapping[str, str]) -> Optional[str]:
    """The token a request carries: `Authorization: Bearer T`, else the cookie roc_token."""
    authorization = headers.get("Authorization") or ""
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    cookie_header = headers.get("Cookie")
    if cookie_header:
        cookies = SimpleCookie()
        try:
            cookies.load(cookie_header)
        except CookieError:
            return None
        if COOKIE in cookies:
            return cookies[COOKIE].value
    return None


def token_cookie(token: str) -> str:
    """The Set-Cookie value for `GET /?token=T`: not readable by scripts, never sent cross-site."""
    return f"{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"


def split_host_header(value: str) -> Tuple[str, Optional[int]]:
    """A Host header's name and port (None when absent); ('', None) when it cannot be read."""
    value = value.strip().lower()
    if value.startswith("["):
        name, _, rest = value[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    else:
        name, _, port_text = value.partition(":")
    if port_text and not port_text.isdigit():
        return "", None
    return name, int(port_text) if port_text else None


def host_allowed(header: Optional[str], listen_host: str, port: int) -> bool:
    """Whether a request's Host names this console: the listen address or a loopback name, on
    its port. A page on another site that rebinds its name to 127.0.0.1 sends its own name, so it
    is refused. Listening on a wildcard address (0.0.0.0, ::), the console cannot know the names
    it is reached by: any is accepted, and the token (required there) is what protects it — a
    rebound page has no cookie for its own name."""
    if not header:
        return False
    name, given_port = split_host_header(header)
    if not name or (given_port if given_port is not None else 80) != port:
        return False
    if is_wildcard(listen_host):
        return True
    return name in LOOPBACK_NAMES or name == listen_host.lower()
