"""Another web page cannot use the booth's API (issue 18, item 3).

A page served from another local port made ``PENDING_UPLOAD`` records with ``fetch(url, {mode: "no-cors"})``: a
``text/plain`` POST is a "simple" request, so the browser sends it without asking first (no preflight) and only
hides the answer from the page. What it does send is the page's ``Origin``. The API now refuses any origin but the
booth's own (``403``) and any body that is not JSON (``415``), as its S3 endpoint already refuses other origins.
Fetch standard, CORS-safelisted request headers and simple requests:
https://fetch.spec.whatwg.org/#cors-safelisted-request-header
"""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from tests.e2e.conftest import _CHROMIUM, CHROMIUM_ARGS
from tests.reliability.conftest import upload
from tests.support.server import free_port

pytestmark = pytest.mark.slow

UPLOAD = {"type": "photo", "filename": "csrf.jpg", "contentType": "image/jpeg"}


def _records(booth) -> set[str]:
    folder = booth.data_dir / "records"
    return {path.name for path in folder.glob("*.json")} if folder.is_dir() else set()


def test_a_foreign_origin_is_refused_and_creates_nothing(booth):
    before = _records(booth)
    for origin in ("http://127.0.0.1:1", "http://localhost:1", "null", f"http://127.0.0.1:{booth.port}.evil.example"):
        status, headers, raw = booth.request(
            "POST", "/upload", UPLOAD, {"Content-Type": "application/json", "Origin": origin}
        )
        assert status == 403, (origin, status, raw)
        assert "origin" in json.loads(raw)["message"]
        assert headers.get("Access-Control-Allow-Origin") is None
    assert _records(booth) == before


def test_a_foreign_origin_cannot_erase_a_request(booth):
    answer = upload(booth)
    status, _, _ = booth.request("DELETE", f"/photo/{answer['requestId']}", headers={"Origin": "http://127.0.0.1:1"})
    assert status == 403
    assert booth.json("GET", f"/photo/{answer['requestId']}")[0] == 200


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data"],
)
def test_a_body_that_is_not_json_is_refused(booth, content_type):
    before = _records(booth)
    status, _, raw = booth.request("POST", "/upload", UPLOAD, {"Content-Type": content_type})
    assert status == 415, (content_type, status, raw)
    assert "application/json" in json.loads(raw)["message"]
    assert _records(booth) == before


def test_the_booths_own_origins_and_json_are_served(booth):
    for origin in (booth.url, f"http://localhost:{booth.port}"):
        for content_type in ("application/json", "application/json; charset=utf-8"):
            status, _, raw = booth.request(
                "POST", "/upload", UPLOAD, {"Content-Type": content_type, "Origin": origin}
            )
            assert status == 200, (origin, content_type, raw)
    assert booth.request("GET", "/themes", headers={"Origin": booth.url})[0] == 200


@pytest.fixture
def other_local_site(tmp_path: Path, booth) -> Iterator[str]:
    """An attacker's page on another loopback port: it posts to the booth without asking (``no-cors``)."""
    (tmp_path / "index.html").write_text(
        "<!doctype html><script>\n"
        "window.attack = async () => {\n"
        "  const body = JSON.stringify({type: 'photo', filename: 'x.jpg', contentType: 'image/jpeg'});\n"
        f"  const target = 'http://127.0.0.1:{booth.port}/upload';\n"
        "  for (let i = 0; i < 10; i++) {\n"
        "    await fetch(target, {method: 'POST', mode: 'no-cors', body});\n"
        "    await fetch(target, {method: 'POST', mode: 'no-cors', body,\n"
        "                         headers: {'Content-Type': 'application/x-www-form-urlencoded'}});\n"
        "  }\n"
        "  return 'sent';\n"
        "};\n"
        "</script>"
    )
    port = free_port()
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}/"
    server.shutdown()
    server.server_close()


def _attack_from_a_browser(url: str) -> str:
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=_CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(url)
            return page.evaluate("window.attack()")
        finally:
            browser.close()


def test_a_page_from_another_local_port_makes_no_records(booth, other_local_site):
    before = _records(booth)
    # A thread of its own: Playwright's sync API refuses a thread where the browser tests' session (tests/e2e)
    # left its asyncio loop running, which it does when the whole suite runs in one process.
    with ThreadPoolExecutor(max_workers=1) as pool:
        assert pool.submit(_attack_from_a_browser, other_local_site).result(timeout=180) == "sent"
    assert _records(booth) == before, "a no-cors POST from another page made status records"
    assert "error serving" not in booth.output()
