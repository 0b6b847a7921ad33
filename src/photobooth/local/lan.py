"""``photobooth serve --lan``: what the local network may reach without the booth key.

A visitor's phone on the event's Wi-Fi opens the QR code's page, reads its request and erases it, by the request's
random id, as on AWS (infra's ``VISITOR_ROUTES``); the page's files and the presigned result URLs (checked by
:mod:`photobooth.local.s3proxy`) are open too. Everything else that arrives on the LAN address (starting work, the
wall's list, the kiosk PIN) needs the booth key in ``x-booth-key``, as the AWS API's authorizer asks. The laptop
itself, on 127.0.0.1, needs no key.
"""

from __future__ import annotations

import hmac
import ipaddress
import socket
from collections.abc import Mapping

from photobooth.local import apigw

BOOTH_KEY_HEADER = "x-booth-key"
OPEN_ON_THE_LAN: frozenset[tuple[str, str]] = frozenset(
    {("GET", "/photo/{requestId}"), ("DELETE", "/photo/{requestId}"), ("GET", "/themes")}
)


def route_of(method: str, path: str) -> str | None:
    """The API route template ``path`` matches for ``method`` (``/photo/{requestId}``), or ``None``."""
    parts = [p for p in path.split("/") if p]
    for route_method, template, _ in apigw.ROUTES:
        template_parts = [p for p in template.split("/") if p]
        if (
            route_method == method
            and len(parts) == len(template_parts)
            and all(t.startswith("{") or t == p for t, p in zip(template_parts, parts, strict=True))
        ):
            return template
    return None


def refusal(
    method: str, path: str, headers: Mapping[str, str], *, booth_key: str, bucket: str
) -> tuple[int, str] | None:
    """``None`` when a request that came in on the LAN address may go on; else the status and message to answer."""
    template = route_of(method, path)
    if template is None:
        if path == f"/{bucket}" or path.startswith(f"/{bucket}/"):
            return None  # presigned URLs only (s3proxy)
        if method in {"GET", "HEAD"}:
            return None  # the booth page's files: the phone page is one of them
    elif (method, template) in OPEN_ON_THE_LAN:
        return None
    presented = {k.lower(): v for k, v in headers.items()}.get(BOOTH_KEY_HEADER, "")
    if not presented:
        return 401, "this needs the booth key (x-booth-key), as on AWS: only the booth's own pads may do it"
    if not hmac.compare_digest(presented.encode(), booth_key.encode()):
        return 403, "wrong booth key"
    return None


def lan_address() -> str:
    """The address other devices on the local network reach this machine at: the source address of the route to
    a private address (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
            address = str(probe.getsockname()[0])
        except OSError:
            address = ""
    if not address or ipaddress.ip_address(address).is_loopback or address == "0.0.0.0":
        raise OSError("no local network address found: connect to the event's Wi-Fi, or pass --lan ADDRESS")
    return address
