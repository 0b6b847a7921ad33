"""Real-browser tests of the booth page: `photobooth serve` on a free port, Debian's Chromium with a fake camera.

Chromium comes from Debian (`apt-get install chromium`), driven by Playwright for Python through
``executable_path``; Playwright's own browser download does not work here. Set ``PHOTOBOOTH_E2E_CHROMIUM`` to use
another Chromium binary, or ``PHOTOBOOTH_E2E_BASE_URL`` to test an already running server instead of starting one.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.e2e.camera import write_y4m
from tests.support import portraits

SERVER_START_TIMEOUT_S = 120
SERVER_STOP_TIMEOUT_S = 15
VIEWPORT = {"width": 1280, "height": 800}  # a 10" tablet in landscape
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]

# The served booth's operator PIN (PHOTOBOOTH_KIOSK_PIN): the server checks it, the page never sees it.
KIOSK_PIN = "2468"

# Read at import time: the suite-wide autouse fixture clears PHOTOBOOTH_* variables for each test.
_BASE_URL_OVERRIDE = os.environ.get("PHOTOBOOTH_E2E_BASE_URL", "").rstrip("/")
_CHROMIUM = os.environ.get("PHOTOBOOTH_E2E_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_get(url: str, timeout: float = 10) -> tuple[int, bytes, str]:
    """(status, body, content type) of a plain GET; HTTP errors are answers, not exceptions."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as err:
        return err.code, err.read(), err.headers.get("Content-Type", "")


def _server_environment() -> dict[str, str]:
    """The server must never reach a real AWS account, whatever the developer's shell holds."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PHOTOBOOTH_", "AWS_")) and key not in {"PYTEST_CURRENT_TEST"}
    }
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "PYTHONUNBUFFERED": "1",
            "PHOTOBOOTH_KIOSK_PIN": KIOSK_PIN,
        }
    )
    return env


@dataclass
class BoothServer:
    base_url: str
    log_path: Path | None = None

    def log(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(server not started by the tests)"
        return self.log_path.read_text(errors="replace")[-6000:]

    def url(self, path: str) -> str:
        return self.base_url + path


@pytest.fixture(scope="session")
def booth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BoothServer]:
    """`photobooth serve` on a free port with a fresh data folder, stopped at the end of the session."""
    if _BASE_URL_OVERRIDE:
        yield BoothServer(_BASE_URL_OVERRIDE)
        return
    port = _free_port()
    root = tmp_path_factory.mktemp("booth-server")
    log_path = root / "server.log"
    server = BoothServer(f"http://127.0.0.1:{port}", log_path)
    command = [
        sys.executable,
        "-m",
        "photobooth.local.cli",
        "serve",
        "--port",
        str(port),
        "--data",
        str(root / "data"),
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=_server_environment()
        )
    try:
        _wait_until_serving(server, process)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=SERVER_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=SERVER_STOP_TIMEOUT_S)


def _wait_until_serving(server: BoothServer, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    last = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"`photobooth serve` exited with {process.returncode} before serving:\n{server.log()}")
        try:
            status, body, _ = http_get(server.url("/themes"), timeout=2)
            if status == 200 and isinstance(json.loads(body), list):
                return
            last = f"GET /themes answered {status}: {body[:200]!r}"
        except (OSError, ValueError) as err:
            last = repr(err)
        time.sleep(0.25)
    pytest.fail(
        f"`photobooth serve` did not answer GET /themes within {SERVER_START_TIMEOUT_S} s ({last}):\n{server.log()}"
    )


@pytest.fixture(scope="session")
def camera_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Y4M clips for Chromium's fake camera: a public-domain portrait, and a cat (no human face)."""
    folder = tmp_path_factory.mktemp("fake-camera")
    return {
        "portrait": write_y4m(portraits.astronaut(), folder / "astronaut.y4m"),
        "cat": write_y4m(portraits.cat(), folder / "cat.y4m"),
    }


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    if not Path(_CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {_CHROMIUM}: `apt-get install chromium` (or set PHOTOBOOTH_E2E_CHROMIUM)")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browsers(playwright_driver: Playwright, camera_files: dict[str, Path]) -> Iterator[Callable[[str], Browser]]:
    """One Chromium per fake camera (the camera file is a launch flag), launched on first use."""
    launched: dict[str, Browser] = {}

    def get(camera: str) -> Browser:
        if camera not in launched:
            launched[camera] = playwright_driver.chromium.launch(
                executable_path=_CHROMIUM,
                args=[*CHROMIUM_ARGS, f"--use-file-for-fake-video-capture={camera_files[camera]}"],
            )
        return launched[camera]

    yield get
    for browser in launched.values():
        browser.close()


@dataclass
class Booth:
    """One visitor's browser tab on the booth page, with what it asked of the network."""

    page: Page
    server: BoothServer
    requests: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def foreign_requests(self) -> list[str]:
        own = urlsplit(self.server.base_url).netloc
        return [
            f"{method} {url}"
            for method, url in self.requests
            if urlsplit(url).scheme in {"http", "https", "ws", "wss"} and urlsplit(url).netloc != own
        ]

    def api_calls(self, method: str, path_prefix: str) -> list[str]:
        return [url for m, url in self.requests if m == method and urlsplit(url).path.startswith(path_prefix)]


def config_script(overrides: dict) -> str:
    """A config.js that sets ``overrides`` on top of the page's defaults (web/js/settings.js)."""
    return f"window.PHOTOBOOTH_CONFIG = {json.dumps({'apiBase': '', **overrides})};"


@pytest.fixture
def open_booth(browsers: Callable[[str], Browser], booth_server: BoothServer) -> Iterator[Callable[..., Booth]]:
    """Opens the booth page in a fresh browser context; ``camera`` picks the fake camera, ``locale`` the language,
    ``config`` replaces config.js (short timers for tests), ``viewport`` the window size."""
    contexts: list[BrowserContext] = []

    def open_page(
        camera: str = "portrait",
        locale: str = "en-US",
        path: str = "/",
        config: dict | None = None,
        viewport: dict | None = None,
        wait_ready: bool = True,
    ) -> Booth:
        context = browsers(camera).new_context(viewport=viewport or VIEWPORT, locale=locale, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        booth = Booth(page, booth_server)
        if config is not None:
            script = config_script(config)
            page.route(
                "**/config.js", lambda route: route.fulfill(content_type="application/javascript", body=script)
            )
        page.on("request", lambda request: booth.requests.append((request.method, request.url)))
        page.on("pageerror", lambda error: booth.problems.append(f"page error: {error}"))
        page.on(
            "console",
            lambda message: (
                booth.problems.append(f"console {message.type}: {message.text}") if message.type == "error" else None
            ),
        )
        page.goto(booth_server.url(path))
        if wait_ready:
            page.wait_for_function("document.body.dataset.ready === 'true'", timeout=10_000)
        return booth

    yield open_page
    for context in contexts:
        context.close()
