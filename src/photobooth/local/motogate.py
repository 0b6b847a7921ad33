"""moto's server, behind a gate: only requests signed with this process's secret get through, and S3 requests on
one key take turns.

moto listens on a second loopback port because its Step Functions interpreter calls back into it (Lambda and
DynamoDB tasks). Any process on the machine could reach that port, and moto checks no signature: it would read,
overwrite or delete every visitor's photo. The local credentials are a random secret made per process
(``engine.offline_environment``); every boto3 client of this process signs with them, and the gate checks each
signature with :mod:`photobooth.local.sigv4`.

moto's S3 is also not safe for concurrent use of one key: overwriting a key closes the buffer of the old object
while another request may still be reading it (``ValueError: I/O operation on closed file``, a 500). The gate
serialises S3 requests per object key; requests on different keys still run in parallel.
"""

from __future__ import annotations

import hashlib
import io
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote

import boto3
from werkzeug.serving import BaseWSGIServer, make_server

from photobooth.local.sigv4 import (
    Credentials,
    SignatureRefused,
    Signed,
    is_presigned,
    query_pairs,
    verify_authorization_header,
    verify_presigned,
)
from photobooth.local.wsgi import raw_target, request_headers

_DELETE_KEY = re.compile(rb"<Key>(.*?)</Key>", re.DOTALL)


class KeyLocks:
    """One lock per name, created on demand and dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    @contextmanager
    def holding(self, names: Iterable[str]) -> Iterator[None]:
        ordered = sorted(set(names))  # one global order, so two requests on the same keys cannot deadlock
        locks = [self._checkout(name) for name in ordered]
        acquired: list[threading.Lock] = []
        try:
            for lock in locks:
                lock.acquire()
                acquired.append(lock)
            yield
        finally:
            for lock in reversed(acquired):
                lock.release()
            for name in ordered:
                self._checkin(name)

    def _checkout(self, name: str) -> threading.Lock:
        with self._guard:
            lock, users = self._locks.get(name, (threading.Lock(), 0))
            self._locks[name] = (lock, users + 1)
            return lock

    def _checkin(self, name: str) -> None:
        with self._guard:
            lock, users = self._locks[name]
            if users == 1:
                del self._locks[name]
            else:
                self._locks[name] = (lock, users - 1)

    def __len__(self) -> int:
        with self._guard:
            return len(self._locks)


def s3_keys_touched(method: str, raw_path: str, raw_query: str, body: bytes) -> set[str]:
    """``bucket/key`` names a path-style S3 request reads or writes: its own key, or the keys of a DeleteObjects
    batch. Bucket-level reads (listing) touch no single object and need no lock."""
    bucket, _, key = unquote(raw_path).lstrip("/").partition("/")
    if key:
        return {f"{bucket}/{key}"}
    if method == "POST" and any(name == "delete" for name, _ in query_pairs(raw_query)):
        return {f"{bucket}/{_xml_unescape(match.decode())}" for match in _DELETE_KEY.findall(body)}
    return set()


def _xml_unescape(text: str) -> str:
    from xml.sax.saxutils import unescape

    return unescape(text, {"&quot;": '"', "&apos;": "'"})


def _refused(start_response: Any, reason: str) -> list[bytes]:
    body = (
        f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code><Message>{reason}</Message></Error>"
    ).encode()
    start_response("403 Forbidden", [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))])
    return [body]


class MotoGate:
    """WSGI middleware in front of moto's app: signature check, then per-key turns for S3."""

    def __init__(self, app: Any, credentials: Credentials) -> None:
        self.app = app
        self.credentials = credentials
        self.key_locks = KeyLocks()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        raw_path, raw_query = raw_target(environ)
        headers = request_headers(environ)
        body = self._read_body(environ)
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            signed = self._verify(method, raw_path, raw_query, headers, body)
        except SignatureRefused as refusal:
            return _refused(start_response, str(refusal))
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        keys = s3_keys_touched(method, raw_path, raw_query, body) if signed.service == "s3" else set()
        with self.key_locks.holding(keys):
            # Run moto and collect its answer while holding the key: moto reads the object inside this call.
            result = self.app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                if hasattr(result, "close"):
                    result.close()

    def _verify(self, method: str, raw_path: str, raw_query: str, headers: dict[str, str], body: bytes) -> Signed:
        if is_presigned(raw_query):
            return verify_presigned(
                self.credentials, method=method, raw_path=raw_path, raw_query=raw_query, headers=headers
            )
        return verify_authorization_header(
            self.credentials,
            method=method,
            raw_path=raw_path,
            raw_query=raw_query,
            headers=headers,
            body_sha256=hashlib.sha256(body).hexdigest(),
        )

    @staticmethod
    def _read_body(environ: dict[str, Any]) -> bytes:
        # Only this process's own clients and the proxy (which bounds and spools uploads) get past the signature,
        # so the bodies read here are the ones moto would hold in memory anyway.
        stream = environ["wsgi.input"]
        length = environ.get("CONTENT_LENGTH")
        if length:
            return bytes(stream.read(int(length)))
        if environ.get("wsgi.input_terminated"):
            return bytes(stream.read())
        return b""


class GatedMotoServer:
    """moto's threaded server on a loopback port, every request through :class:`MotoGate`."""

    def __init__(self, credentials: Credentials, port: int) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )

        self.gate = MotoGate(DomainDispatcherApplication(create_backend_app), credentials)
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", port, self.gate, threaded=True, request_handler=MotoRequestHandler
        )
        self.port = self._server.server_port
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto-gated", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)


class _EnvironmentCredentialsBoto3:
    """Stands in for the ``boto3`` module inside moto's interpreter: its clients ignore the fixed ``"ak"``/``"sk"``
    keys moto passes and sign with this process's credentials from the environment, so the gate lets them in."""

    @staticmethod
    def client(*args: Any, aws_access_key_id: Any = None, aws_secret_access_key: Any = None, **kwargs: Any) -> Any:
        return boto3.client(*args, **kwargs)


def sign_interpreter_calls_with_local_credentials() -> None:
    """moto's Step Functions interpreter makes its own boto3 clients (Lambda and DynamoDB tasks) with fixed keys."""
    from moto.stepfunctions.parser.asl.utils import boto_client

    boto_client.boto3 = _EnvironmentCredentialsBoto3  # type: ignore[assignment]
