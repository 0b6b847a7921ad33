"""The local S3 endpoint on the booth's own port: presigned URLs only, for the signed method and key.

What it refuses (CONTRACT.md, "Local server"):
- anything that is not a valid, unexpired presigned URL of this process's key (403, S3's ``AccessDenied``);
- listing the bucket, even when signed: the booth never needs it (403);
- requests from a web page of another origin (403), and CORS headers for any origin but the booth's own;
- a PUT over the upload limit (413), refused from its ``Content-Length`` before the body is read; a body without
  ``Content-Length`` (chunked) is counted while it streams and refused at the limit.

Bodies go through a temporary file (in memory up to a small size, then on disk), and answers stream back in
chunks, so a large upload never sits in memory twice. The request target is forwarded exactly as the client sent
it (still percent-encoded): a decoded path would turn ``a%3Fb.jpg`` into a query and ``x%2Fy.jpg`` into a folder.
"""

from __future__ import annotations

import http.client
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from photobooth.local.sigv4 import Credentials, SignatureRefused, verify_presigned
from photobooth.local.wsgi import raw_target, request_headers

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "host",
    "content-length",
    "proxy-connection",
}
_IN_MEMORY_BYTES = 1024 * 1024  # a body larger than this spills to a temporary file
_CHUNK = 64 * 1024
_CORS_METHODS = "GET, HEAD, PUT"


def _s3_error(status: int, code: str, message: str) -> Response:
    body = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
    return Response(body, status, content_type="application/xml")


class BodyTooLarge(Exception):
    pass


def spool_body(request: Request, limit: int) -> IO[bytes]:
    """Copy the request body into a temporary file, refusing it once it passes ``limit`` bytes."""
    spooled: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_IN_MEMORY_BYTES)  # noqa: SIM115 - returned open
    received = 0
    stream = request.stream
    while chunk := stream.read(_CHUNK):
        received += len(chunk)
        if received > limit:
            spooled.close()
            raise BodyTooLarge
        spooled.write(chunk)
    spooled.seek(0)
    return spooled


@dataclass
class S3Proxy:
    bucket: str
    upstream_port: int
    credentials: Credentials
    own_origins: frozenset[str]
    max_upload_bytes: int

    def handle(self, request: Request) -> Response:
        origin = request.headers.get("Origin")
        if origin is not None and origin not in self.own_origins:
            return _s3_error(403, "AccessDenied", "requests from other web pages are refused")
        response = self._answer(request)
        if origin is not None:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = "ETag"
            response.headers["Vary"] = "Origin"
        return response

    def _answer(self, request: Request) -> Response:
        if request.method == "OPTIONS":  # a CORS preflight from the booth page on its other host name
            response = Response(status=204)
            response.headers["Access-Control-Allow-Methods"] = _CORS_METHODS
            response.headers["Access-Control-Allow-Headers"] = "Content-Type"
            response.headers["Access-Control-Max-Age"] = "600"
            return response
        raw_path, raw_query = raw_target(request.environ)
        _, _, key = unquote(raw_path).lstrip("/").partition("/")
        if not key:
            return _s3_error(403, "AccessDenied", "listing the bucket is not allowed")
        headers = request_headers(request.environ)
        try:
            verify_presigned(
                self.credentials, method=request.method, raw_path=raw_path, raw_query=raw_query, headers=headers
            )
        except SignatureRefused as refusal:
            return _s3_error(403, "AccessDenied", str(refusal))
        if request.content_length is not None and request.content_length > self.max_upload_bytes:
            return self._too_large()
        try:
            body = spool_body(request, self.max_upload_bytes)
        except BodyTooLarge:
            return self._too_large()
        return self._forward(request.method, f"{raw_path}?{raw_query}", headers, body)

    def _too_large(self) -> Response:
        response = _s3_error(413, "EntityTooLarge", f"uploads are limited to {self.max_upload_bytes} bytes")
        response.headers["Connection"] = "close"  # the rest of the body is not read
        return response

    def _forward(self, method: str, target: str, headers: dict[str, str], body: IO[bytes]) -> Response:
        size = body.seek(0, 2)
        body.seek(0)
        connection = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=120)
        try:
            # Host as the client sent it: it is one of the signed headers moto's gate checks again.
            connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            for name, value in headers.items():
                if name not in _HOP_BY_HOP and name != "origin":
                    connection.putheader(name, value)
            connection.putheader("Host", headers.get("host", f"127.0.0.1:{self.upstream_port}"))
            if size or method in {"PUT", "POST"}:
                connection.putheader("Content-Length", str(size))
            connection.endheaders()
            connection.send(body)  # http.client sends a file in blocks
            upstream = connection.getresponse()
        except BaseException:
            connection.close()
            raise
        finally:
            body.close()
        response = Response(_stream(upstream, connection), upstream.status, direct_passthrough=True)
        for name, value in upstream.getheaders():
            lowered = name.lower()
            if lowered not in _HOP_BY_HOP and not lowered.startswith("access-control-"):
                response.headers[name] = value
        if upstream.getheader("Content-Length") is not None:
            response.headers["Content-Length"] = upstream.getheader("Content-Length")
        return response


def _stream(upstream: Any, connection: http.client.HTTPConnection) -> Iterator[bytes]:
    try:
        while chunk := upstream.read(_CHUNK):
            yield chunk
    finally:
        connection.close()
