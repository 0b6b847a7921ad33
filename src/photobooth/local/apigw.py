"""API Gateway HTTP API (payload 2.0) events for requests that did not come through API Gateway: the local
server and the tests call the same handlers the cloud does, with the same event shape."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Mapping

from photobooth.local.engine import ACCOUNT_ID

# Route key → the function that serves it on AWS (infra/ wires the same table).
ROUTES: tuple[tuple[str, str, str], ...] = (
    ("POST", "/upload", "presign"),
    ("POST", "/photo", "presign"),
    ("GET", "/photo/{requestId}", "status"),
    ("DELETE", "/photo/{requestId}", "status"),
    ("GET", "/themes", "status"),
    ("GET", "/wall/photos", "status"),
    ("POST", "/kiosk/unlock", "status"),
)


def function_for(method: str, path: str) -> str | None:
    parts = [p for p in path.split("/") if p]
    for route_method, template, function in ROUTES:
        template_parts = [p for p in template.split("/") if p]
        if route_method != method or len(parts) != len(template_parts):
            continue
        if all(t.startswith("{") or t == p for t, p in zip(template_parts, parts, strict=True)):
            return function
    return None


def http_event(
    method: str,
    path: str,
    *,
    body: bytes | str | None = None,
    headers: Mapping[str, str] | None = None,
    query: str = "",
    source_ip: str = "127.0.0.1",
) -> dict:
    raw = body.encode() if isinstance(body, str) else body
    is_text = raw is None or _is_utf8(raw)
    lowered = {k.lower(): v for k, v in (headers or {}).items()}
    lowered.setdefault("content-type", "application/json")
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": lowered,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": "local",
            "domainName": "127.0.0.1",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "timeEpoch": int(time.time() * 1000),
        },
        "body": None if raw is None else (raw.decode() if is_text else base64.b64encode(raw).decode()),
        "isBase64Encoded": not is_text,
    }


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode()
    except UnicodeDecodeError:
        return False
    return True
