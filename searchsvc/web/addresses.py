"""Absolute addresses come from settings.public_url, never from the client's Host header.

A Host header is whatever the client typed: building feed links, export URLs or redirects from
it lets anyone plant their own host name in answers that a shared cache then serves to others.
So links are relative wherever the format allows (pages, API, Link headers, exports, redirects)
and absolute only from `public_url` (SEARCHSVC_PUBLIC_URL, e.g. https://news.example.org);
feeds, which need absolute ids and links, fall back to `http://<bind>` when it is not set. A Host
that is no host name at all is refused with a 400 before anything else runs.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Response, current_app, request

from searchsvc.config import Settings
from searchsvc.errors import BadHost

# A DNS name (labels of 1-63 letters, digits, '-' or '_'; 253 characters at most) or a bracketed
# IPv6 address, and an optional port. Longer labels also break Werkzeug's URL binding (IDNA).
_LABEL = r"[A-Za-z0-9_-]{1,63}"
HOST = re.compile(rf"(?:{_LABEL}(?:\.{_LABEL})*\.?|\[[0-9A-Fa-f:.]{{2,45}}\])(?::[0-9]{{1,5}})?")
MAX_HOST_CHARS = 253 + len(":65535")
_BIND_ADDRESS = re.compile(r"[A-Za-z0-9.-]+:[0-9]{1,5}|\[[0-9A-Fa-f:.]+\]:[0-9]{1,5}")


def is_valid_host(host: str) -> bool:
    return len(host) <= MAX_HOST_CHARS and HOST.fullmatch(host) is not None


def refuse_bad_host() -> None:
    """before_request: a Host header that cannot name this server is a 400, for every path."""
    host = request.headers.get("Host")
    if host is not None and not is_valid_host(host):
        raise BadHost(host)


def _settings() -> Settings:
    return current_app.extensions["searchsvc.settings"]


def public_url(path: str) -> str:
    """`path` under settings.public_url when one is configured, else `path` itself (relative)."""
    return _settings().public_url.rstrip("/") + path


def absolute_url(path: str) -> str:
    """`path` as an absolute address: under public_url, else under http://<bind address>."""
    base = _settings().public_url.rstrip("/")
    if not base:
        bind = _settings().bind
        base = f"http://{bind}" if _BIND_ADDRESS.fullmatch(bind) else "http://localhost"
    return base + path


def relative_redirect(response: Response) -> Response:
    """after_request: Werkzeug's own redirects (e.g. the 308 for `/api//search`) name the
    client's Host; keep only the path and query, under public_url when one is configured."""
    location = response.headers.get("Location")
    if location and urlsplit(location).netloc:
        parts = urlsplit(location)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        response.headers["Location"] = public_url(path)
    return response
