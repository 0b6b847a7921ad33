"""Holds and drops the booth's status polling in the browser (Playwright routes), so a test can keep a request
"in progress" for as long as it needs, or cut the network under it, while the real server does the rest."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from playwright.sync_api import Page, Route

STATUS_PATH = re.compile(r"/photo/([A-Za-z0-9_-]{8,64})$")


@dataclass
class StatusGate:
    """``hold``: GET /photo/{id} answers PROCESSING with every picture pending; ``drop``: the request fails as if
    the network were gone; ``pass``: the real server answers."""

    page: Page
    mode: str = "pass"
    themes: list[str] = field(default_factory=list)
    held: int = 0

    def install(self) -> StatusGate:
        self.page.route(STATUS_PATH, self._handle)
        return self

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
        body = {"requestId": match.group(1), "status": "PROCESSING", "url_generated": [], "images": images}
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))
