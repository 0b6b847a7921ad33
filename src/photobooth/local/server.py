"""``photobooth serve``: the whole service on one machine, bound to 127.0.0.1 only.

One port serves three things, so the booth page needs no CORS and a phone-free laptop needs nothing else:
- ``/`` and the files of ``web/``: the booth page;
- the CONTRACT.md routes: API Gateway events handed to the same handlers that run on Lambda;
- ``/{bucket}/...``: S3 path-style requests (presigned PUTs and GETs), checked by :mod:`photobooth.local.s3proxy`
  and passed to moto's server, which runs on a second loopback port together with DynamoDB, EventBridge, Lambda and
  Step Functions, behind the signature gate of :mod:`photobooth.local.motogate`.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import mimetypes
import os
import secrets
import socket
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from photobooth import naming, waiting
from photobooth.local import apigw, lan
from photobooth.local.engine import (
    MOTO_CONFIG,
    LocalCloud,
    lambda_context,
    load_handler,
    offline_environment,
    project_root,
)
from photobooth.local.httpserver import CLIENT_GONE, REQUEST_ENDED, BoothHTTPServer
from photobooth.local.motogate import GatedMotoServer, sign_interpreter_calls_with_local_credentials
from photobooth.local.persistence import DataMirror
from photobooth.local.recovery import Recovery
from photobooth.local.redaction import install_log_redaction, redact_path, redact_text
from photobooth.local.s3proxy import S3Proxy
from photobooth.local.sigv4 import Credentials
from photobooth.offline.boothkey import LAN_BOOTH_KEY_VARIABLE

log = logging.getLogger("photobooth.local")

_MAX_API_BODY_BYTES = 1024 * 1024
# Connections served at once (a thread each) and POST /photo calls that may wait among them: a booth has a few pads,
# and every connection past these numbers waits in the kernel's queue instead of costing a thread.
MAX_CONNECTIONS = 64
MAX_WAITING_CALLS = 8
REQUEST_SECONDS = 15.0  # to send a request line, headers and body: a photo over loopback takes milliseconds


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("photobooth", appauthor=False))


def status_line(after: dict | None, before: dict | None) -> str | None:
    """One readable line per change of a request's state (and per finished image)."""
    if after is None:
        return f"{_labelled((before or {}).get('requestId', '?'))} ERASED"
    request_id = after.get("requestId", "?")
    if "aliasOf" in after:  # a seed-era pad's own id (POST /photo): it has no status of its own
        return (
            f"{request_id} alias of {_labelled(after['aliasOf'])}"
            if (before or {}).get("aliasOf") != after["aliasOf"]
            else None
        )
    request_id = _labelled(request_id)
    status = after.get("status")
    images = after.get("images") or {}
    themes = [t for t in str(after.get("themeList", "")).split(",") if t]
    if before is None or before.get("status") != status:
        extra = ""
        if status == "FAILED":
            extra = f" {after.get('errorCode', '')}"
        if "timeTaken" in after:
            extra += f" in {float(after['timeTaken']):.1f}s"
        return f"{request_id} {status}{extra}"
    changed = [index for index, image in images.items() if ((before or {}).get("images") or {}).get(index) != image]
    if changed:
        image = images[changed[0]]
        return f"{request_id} image {changed[0]}/{len(themes)} {image.get('theme')} {image.get('status')}"
    return None


def _labelled(request_id: str) -> str:
    """The request's short code (what the visitor's screen shows) before its id, so staff can find either."""
    return f"[{naming.short_code(request_id)}] {request_id}" if request_id != "?" else request_id


def _json_answer(status: int, message: str) -> Response:
    return Response(json.dumps({"message": message}), status, content_type="application/json")


@dataclass
class BoothServer:
    port: int = 8000
    data_dir: Path = field(default_factory=default_data_dir)
    web_dir: Path = field(default_factory=lambda: project_root() / "web")
    cloud: LocalCloud = field(default_factory=LocalCloud)
    moto_port: int = 0
    drain_seconds: float = 10.0  # Ctrl+C/SIGTERM: time for work in flight to finish; the rest resumes at next start
    # `serve --lan`: also listen on this address of the local network, for visitors' phones (photobooth.local.lan);
    # what arrives there needs the booth key except the phone page, results and erasure.
    lan_address: str | None = None
    booth_key: str = ""
    max_connections: int = MAX_CONNECTIONS  # on each address it listens on
    max_waiting_calls: int = MAX_WAITING_CALLS
    request_seconds: float = REQUEST_SECONDS
    _moto: Any = None
    _http: BoothHTTPServer | None = None
    _lan_http: BoothHTTPServer | None = None
    _waiting_places: threading.BoundedSemaphore | None = None
    _recovery: Recovery | None = None
    _s3: S3Proxy | None = None

    def __post_init__(self) -> None:
        install_log_redaction()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def public_url(self) -> str:
        """What phones open: the LAN address with ``--lan``, else this machine's loopback address."""
        return f"http://{self.lan_address}:{self.port}" if self.lan_address else self.url

    @property
    def own_origins(self) -> frozenset[str]:
        """The booth page's origins: the only web pages that may use the API and the S3 endpoint."""
        return frozenset({self.url, f"http://localhost:{self.port}", self.public_url})

    def start(self) -> None:
        started = time.monotonic()
        # Bind first: a taken port fails at once, before anything else has started.
        self._http = self._bounded_server("127.0.0.1", self._wsgi)
        self.port = self._http.server_port
        self._waiting_places = threading.BoundedSemaphore(self.max_waiting_calls)
        self._size_client_pools()
        if self.lan_address:
            self._lan_http = self._bounded_server(self.lan_address, self._lan_wsgi)
            self.booth_key = self.booth_key or os.environ.get("PHOTOBOOTH_BOOTH_KEY") or secrets.token_urlsafe(18)
            # The functions' booth key too: a phone on the Wi-Fi reads or erases through a pad's own id, and learns
            # a request's executionArn, only with it (photobooth.offline.boothkey).
            os.environ[LAN_BOOTH_KEY_VARIABLE] = self.booth_key
        else:
            os.environ.pop(LAN_BOOTH_KEY_VARIABLE, None)
        os.environ.update(offline_environment())
        self._start_moto()
        mirror = DataMirror(self.data_dir, bucket=self.cloud.bucket, table=self.cloud.table)
        mirror.install()
        self.cloud.provision(notifications=False)
        records, objects = mirror.restore()
        mirror.listeners.append(self._print_change)
        self.cloud.enable_notifications()  # only now: restored photos must not start the workflow again
        os.environ.update(self.cloud.environment())
        # Result and upload URLs name the address phones reach (the laptop reaches its LAN address too).
        os.environ["PHOTOBOOTH_S3_PUBLIC_ENDPOINT"] = self.public_url
        from photobooth import wiring
        from photobooth.local.engine import warm_up_in_background

        wiring.reset()
        warm_up_in_background()
        log.info(
            "restored %d request(s) and %d file(s) from %s; ready in %.1fs",
            records,
            objects,
            self.data_dir,
            time.monotonic() - started,
        )
        # Only now can a workflow run: requests the last stop interrupted are resumed or failed, then watched.
        self._recovery = Recovery(
            table=self.cloud.table,
            bucket=self.cloud.bucket,
            state_machine_arn=self.cloud.state_machine_arn,
            retention_days=wiring.settings().retention_days,
        )
        try:
            self._recovery.resume_interrupted()
        except Exception:  # serve anyway: the sweep fails what could not be resumed
            log.exception("could not resume the requests the last stop interrupted")
        self._recovery.watch()

    def _bounded_server(self, address: str, app: Any) -> BoothHTTPServer:
        return BoothHTTPServer(
            address, self.port, app, max_connections=self.max_connections, request_seconds=self.request_seconds
        )

    def _size_client_pools(self) -> None:
        """Every boto3 client of this process (the API's, the workflow's, moto's interpreter's) keeps as many
        connections as the threads that may use it at once: with botocore's default of 10, a burst of calls
        printed "Connection pool is full, discarding connection" thousands of times. One default for the
        process's session, before any client is made: botocore merges it into each client's own config."""
        import boto3
        import botocore.session
        from botocore.config import Config

        session = botocore.session.get_session()
        threads = self.max_connections * (2 if self.lan_address else 1)  # each address has its own connections
        session.set_default_client_config(Config(max_pool_connections=2 * threads))
        boto3.setup_default_session(botocore_session=session)

    def _start_moto(self) -> None:
        from moto.moto_api._internal.models import moto_api_backend

        credentials = Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"])
        # A session token from the shell belongs to other credentials; boto3 would put it into every upload URL.
        for inherited in ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            os.environ.pop(inherited, None)
        self._moto = GatedMotoServer(credentials, self.moto_port)
        self.moto_port = self._moto.port
        # moto's interpreter calls back into the server (Lambda tasks, DynamoDB tasks) on MOTO_PORT.
        os.environ["MOTO_PORT"] = str(self.moto_port)
        os.environ["AWS_ENDPOINT_URL"] = f"http://127.0.0.1:{self.moto_port}"
        sign_interpreter_calls_with_local_credentials()
        # The same call as POST /moto-api/config, made in process: the gate lets no unsigned request through.
        moto_api_backend.set_config(MOTO_CONFIG)
        self._moto.start()
        self._s3 = S3Proxy(
            bucket=self.cloud.bucket,
            upstream_port=self.moto_port,
            credentials=credentials,
            own_origins=self.own_origins,
            max_upload_bytes=self._max_upload_bytes(),
        )

    @staticmethod
    def _max_upload_bytes() -> int:
        from photobooth.config import Settings

        return Settings().max_upload_bytes

    def serve_forever(self) -> None:
        assert self._http is not None, "call start() first"
        if self._lan_http is not None:
            threading.Thread(target=self._lan_http.serve_forever, name="booth-lan-http", daemon=True).start()
        self._http.serve_forever()

    def serve_in_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="booth-http", daemon=True)
        thread.start()
        return thread

    def stop(self) -> str | None:
        """Stop taking requests, give work in flight ``drain_seconds`` to finish, then stop. Returns one line saying
        what happened to the work in flight."""
        for http in (self._lan_http, self._http):
            if http is not None:
                http.shutdown()
                http.server_close()
        summary = None
        if self._recovery is not None:
            summary = self._recovery.drain(self.drain_seconds).summary()
            self._recovery.stop_watching()
        if self._moto is not None:
            self._moto.stop()
        return summary

    # -- HTTP -----------------------------------------------------------------------------------------------

    def _wsgi(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        try:
            response = self._route(request)
        except Exception as error:
            ended = environ.get(REQUEST_ENDED, lambda: None)()
            if ended or isinstance(error, ClientDisconnected):
                # A short body raises ClientDisconnected; a cut chunked one, werkzeug's "Invalid chunk header".
                response = self._dropped(request, ended or "hung up")
            else:
                # No log.exception: the traceback's messages may hold the URL, so it is redacted like the path.
                log.error(
                    "error serving %s %s\n%s",
                    request.method,
                    redact_path(request.path),
                    redact_text(traceback.format_exc()),
                )
                response = _json_answer(500, "internal error")
        return response(environ, start_response)

    def _lan_wsgi(self, environ: dict, start_response: Any) -> Any:
        environ["photobooth.lan"] = True
        return self._wsgi(environ, start_response)

    def _dropped(self, request: Request, ended: str) -> Response:
        """The request's body ended early: its client hung up, or did not send it within the deadline (one quiet
        line, not a traceback: at a public event this is someone's dropped Wi-Fi, or someone's attack)."""
        cut_short = ended == "deadline"
        what = f"{request.method} {redact_path(request.path)}: " + (
            f"its request did not arrive within {self.request_seconds:g} s" if cut_short else "it hung up mid-request"
        )
        http = self._lan_http if request.environ.get("photobooth.lan") else self._http
        if http is not None:
            http.dropped.dropped(what)
        message = f"the request did not arrive within {self.request_seconds:g} s" if cut_short else "incomplete body"
        response = _json_answer(408 if cut_short else 400, message)
        response.headers["Connection"] = "close"
        return response

    def _route(self, request: Request) -> Response:
        if request.environ.get("photobooth.lan"):
            refused = lan.refusal(
                request.method,
                request.path,
                dict(request.headers),
                booth_key=self.booth_key,
                bucket=self.cloud.bucket,
            )
            if refused is not None:
                status, message = refused
                return Response(json.dumps({"message": message}), status, content_type="application/json")
        function = apigw.function_for(request.method, request.path)
        if function is not None:
            return self._api(request, function)
        if request.path == f"/{self.cloud.bucket}" or request.path.startswith(f"/{self.cloud.bucket}/"):
            assert self._s3 is not None, "call start() first"
            return self._s3.handle(request)
        if request.method in {"GET", "HEAD"}:
            if request.path == "/config.js":
                return self._config_js(from_lan=bool(request.environ.get("photobooth.lan")))
            return self._static(request.path)
        return Response(json.dumps({"message": "no such route"}), 404, content_type="application/json")

    def _api(self, request: Request, function: str) -> Response:
        refused = self._refuse_other_pages(request)
        if refused is not None:
            return refused
        # API Gateway refuses payloads over its own limit before any function runs; the API's bodies are tiny.
        request.max_content_length = _MAX_API_BODY_BYTES
        try:
            body = request.get_data() or None
        except RequestEntityTooLarge:
            message = f"the request body is larger than {_MAX_API_BODY_BYTES} bytes"
            return Response(json.dumps({"message": message}), 413, content_type="application/json")
        # What a pad's own id and a request's executionArn need (photobooth.api.Caller): on the LAN address the key
        # its caller sent, if any; on 127.0.0.1 the booth's own, since the laptop is the booth.
        headers = {name: value for name, value in request.headers.items() if name.lower() != lan.BOOTH_KEY_HEADER}
        presented = (
            request.headers.get(lan.BOOTH_KEY_HEADER) if request.environ.get("photobooth.lan") else self.booth_key
        )
        if presented:
            headers[lan.BOOTH_KEY_HEADER] = presented
        event = apigw.http_event(
            request.method,
            request.path,
            body=body,
            headers=headers,
            query=request.query_string.decode(),
            source_ip=request.remote_addr or "127.0.0.1",
        )
        with waiting.calling(_ConnectionCaller(request.environ, self._waiting_places)):
            answer = load_handler(function)(event, lambda_context(f"photobooth-{function}"))
        answered = answer.get("body") or ""
        data = base64.b64decode(answered) if answer.get("isBase64Encoded") else answered.encode()
        response = Response(data, answer.get("statusCode", 200))
        for name, value in (answer.get("headers") or {}).items():
            response.headers[name] = value
        for name, values in (answer.get("multiValueHeaders") or {}).items():
            for value in values:
                response.headers.add(name, value)
        response.headers["Cache-Control"] = "no-store"
        return response

    def _config_js(self, *, from_lan: bool) -> Response:
        """web/config.js, and what the page must know about this booth whatever the file says: how long it keeps a
        request (PHOTOBOOTH_RETENTION_DAYS, the period the consent names; the booth erases a request whole, so the
        pictures go with the photo), and with ``--lan`` the address the QR codes encode (unless the operator set
        ``shareBaseUrl``) and that pads on the LAN send the booth key."""
        response = self._static("/config.js")
        if response.status_code != 200:
            return response
        from photobooth import wiring

        addition = (
            "\n// Added by `photobooth serve` (photobooth.local.server): what this booth does.\n"
            "window.PHOTOBOOTH_CONFIG = window.PHOTOBOOTH_CONFIG || {};\n"
            f"window.PHOTOBOOTH_CONFIG.retentionDays = {int(wiring.settings().retention_days)};\n"
            "window.PHOTOBOOTH_CONFIG.generatedRetentionDays = null;\n"
        )
        if self.lan_address:
            addition += ("window.PHOTOBOOTH_CONFIG.boothKeyRequired = true;\n" if from_lan else "") + (
                "if (!window.PHOTOBOOTH_CONFIG.shareBaseUrl) "
                f"window.PHOTOBOOTH_CONFIG.shareBaseUrl = {json.dumps(self.public_url + '/')};\n"
            )
        response.set_data(response.get_data() + addition.encode())
        return response

    def _refuse_other_pages(self, request: Request) -> Response | None:
        """Another web page may send the booth a "simple" request (a ``text/plain`` or form POST) without asking
        first, and a ``no-cors`` fetch does: the browser only hides the answer, the request is made. Browsers name
        the page's origin on every such request, so any origin but the booth page's is refused, and a body that is
        not JSON (what a page can send without a preflight) too. Pads and scripts send no ``Origin``."""
        origin = request.headers.get("Origin")
        if origin is not None and origin not in self.own_origins:
            return _json_answer(403, "requests from another web page's origin are refused")
        if request.method == "POST" and request.mimetype != "application/json":
            return _json_answer(415, "send the request body as JSON, with Content-Type: application/json")
        return None

    def _static(self, path: str) -> Response:
        relative = path.lstrip("/") or "index.html"
        if (self.web_dir / f"{relative}.html").is_file():  # /wall is web/wall.html, the event screen
            relative = f"{relative}.html"
        file = (self.web_dir / relative).resolve()
        if self.web_dir.resolve() not in file.parents or not file.is_file():
            return Response(json.dumps({"message": "not found"}), 404, content_type="application/json")
        content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if file.suffix == ".webmanifest":
            content_type = "application/manifest+json"
        response = Response(file.read_bytes(), 200, content_type=content_type)
        response.headers["Cache-Control"] = "no-cache"
        return response

    @staticmethod
    def _print_change(after: dict | None, before: dict | None) -> None:
        line = status_line(after, before)
        if line:
            print(f"{time.strftime('%H:%M:%S')} {line}", file=sys.stdout, flush=True)


@dataclass
class _ConnectionCaller:
    """A ``POST /photo`` caller on this server: one of ``MAX_WAITING_CALLS`` places to wait, and its connection to
    see it hang up (:mod:`photobooth.waiting`)."""

    environ: dict
    places: threading.BoundedSemaphore | None

    @contextlib.contextmanager
    def may_wait(self) -> Iterator[bool]:
        if self.places is None or not self.places.acquire(blocking=False):
            yield False
            return
        try:
            yield True
        finally:
            self.places.release()

    def gone(self) -> bool:
        return bool(self.environ.get(CLIENT_GONE, lambda: False)())
