"""Holds and drops the booth's status polling in the browser (Playwright routes), so a test can keep a request
"in progress" for as long as it needs, or cut the network under it, while the real server does the rest."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import formatdate

from playwright.sync_api import Page, Route

STATUS_PATH = re.compile(r"/photo/([A-Za-z0-9_-]{8,64})$")
UPLOAD_PATH = re.compile(r"/upload$")
# The wait a server estimates (CONTRACT.md, GET /photo/{id} and POST /upload).
ESTIMATE_FIELDS = ("expectedReadyAt", "queueAhead")


@dataclass
class StatusGate:
    """``hold``: GET /photo/{id} answers PROCESSING with every picture pending; ``drop``: the request fails as if
    the network were gone; ``pass``: the real server answers.

    While holding, ``estimate`` is the server's estimate the held answers carry: ``(seconds from now, visitors
    ahead)``, with the HTTP ``Date`` of the moment they are answered. Without one the gate is an older server: its
    answers, and POST /upload's real answer, carry no estimate."""

    page: Page
    mode: str = "pass"
    themes: list[str] = field(default_factory=list)
    held: int = 0
    estimate: tuple[float, int] | None = None

    def install(self) -> StatusGate:
        self.page.route(STATUS_PATH, self._handle)
        self.page.route(UPLOAD_PATH, self._upload)
        return self

    def _estimate_fields(self) -> dict:
        if self.estimate is None:
            return {}
        seconds, ahead = self.estimate
        ready = datetime.now(UTC) + timedelta(seconds=seconds)
        return {"expectedReadyAt": ready.isoformat(timespec="seconds").replace("+00:00", "Z"), "queueAhead": ahead}

    def _handle(self, route: Route) -> None:
        request = route.request
        match = STATUS_PATH.search(request.url.split("?", 1)[0])
        if request.method != "GET" or match is None or self.mode == "pass":
            route.continue_()
            return
        if self.mode == "drop":
            route.abort("internetdisconnected")
            return
        self.held += 1
        images = [{"index": i, "theme": t, "status": "PENDING"} for i, t in enumerate(self.themes, start=1)]
        body = {
            "requestId": match.group(1),
            "status": "PROCESSING",
            "url_generated": [],
            "images": images,
            **self._estimate_fields(),
        }
        route.fulfill(
            status=200,
            content_type="application/json",
            headers={"Date": formatdate(time.time(), usegmt=True)},
            body=json.dumps(body),
        )

    def _upload(self, route: Route) -> None:
        """While holding, POST /upload's real answer carries the gate's estimate, or none (an older server)."""
        if route.request.method != "POST" or self.mode != "hold":
            route.fallback()
            return
        answer = route.fetch()
        try:
            body = answer.json()
        except ValueError:
            route.fulfill(response=answer)
            return
        if isinstance(body, dict):
            body = {k: v for k, v in body.items() if k not in ESTIMATE_FIELDS} | self._estimate_fields()
        route.fulfill(response=answer, body=json.dumps(body))
