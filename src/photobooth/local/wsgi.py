"""Small helpers for reading a WSGI request the way it was sent, shared by the S3 proxy and moto's gate."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

# Printable ASCII except the space: what may stand in a request target as it is. Everything else is sent
# percent-encoded, as a browser does.
_PLAIN = frozenset(range(0x21, 0x7F))


def raw_target(environ: dict[str, Any]) -> tuple[str, str]:
    """``(path, query)`` exactly as the client sent them, still percent-encoded.

    WSGI's ``PATH_INFO`` is already decoded, so ``a%3Fb.jpg`` and ``a?b.jpg`` (or ``x%2Fy`` and ``x/y``) would be
    the same there; signatures and S3 keys need the raw form, which werkzeug's server keeps in ``RAW_URI``. A
    client that sends raw UTF-8 or spaces gets them percent-encoded."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw is None:
        query = environ.get("QUERY_STRING", "")
        data = (quote(environ.get("PATH_INFO", ""), safe="/") + (f"?{query}" if query else "")).encode()
    else:
        try:  # werkzeug's "encoding dance" turned the request line's bytes into Latin-1, UTF-8, Latin-1 again
            data = raw.encode("latin-1").decode("utf-8").encode("latin-1")
        except (UnicodeEncodeError, UnicodeDecodeError):
            data = raw.encode("utf-8")
    target = "".join(chr(b) if b in _PLAIN else f"%{b:02X}" for b in data)
    path, _, query = target.partition("?")
    return path, query


def request_headers(environ: dict[str, Any]) -> dict[str, str]:
    """The request's headers with lower-case names, rebuilt from the WSGI environ."""
    headers = {
        name[5:].replace("_", "-").lower(): str(value) for name, value in environ.items() if name.startswith("HTTP_")
    }
    for name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(name):
            headers[name.replace("_", "-").lower()] = str(environ[name])
    return headers
