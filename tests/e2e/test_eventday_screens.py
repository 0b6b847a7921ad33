"""The visitor's screens on event day (issue 23 items 1, 2, 4, 5, 6), in real headless Chromium against
`photobooth serve`: every screen fits the tablets and phones a booth runs on, in English and Korean, with all five
themes; the consent names each retention period that config.js states; the required box is visible and named;
small print is readable; and a server that vanishes mid-wait is reported at once, to staff.

The screens after the upload show one real request with all five themes, made once per session through the API
(`five_theme_request`): each walk answers its own POST /upload with that request's id, so eight walks cost one
request's worth of painting, and "Delete my photos" is answered in the browser so the request stays for the next.
"""

from __future__ import annotations

import io
import json
import re
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page, Route

from tests.e2e.camera import letterbox
from tests.e2e.conftest import Booth, BoothServer, http_get
from tests.e2e.service import StatusGate
from tests.e2e.steps import start, take_photo, wait_for, wait_for_outcome
from tests.support import portraits
from tests.support.server import start_booth

pytestmark = pytest.mark.slow

VIEWPORTS = {
    "tablet-1024x768": {"width": 1024, "height": 768},
    "tablet-1180x820": {"width": 1180, "height": 820},
    "tablet-portrait-820x1180": {"width": 820, "height": 1180},
    "phone-390x844": {"width": 390, "height": 844},
}
PHONE = VIEWPORTS["phone-390x844"]
LOCALES = ["en-US", "ko-KR"]
# The countdown notice is on screen for the whole walk (idleNoticeSeconds above every timeout), so that every
# screen is checked with it showing; the short countdown keeps the walk quick.
WALK_CONFIG = {
    "countdownSeconds": 1,
    "idleNoticeSeconds": 3600,
    "timeouts": {"camera": 3000, "review": 3000, "results": 3000, "error": 3000},
}
# What a visitor must reach on each screen without scrolling (the top bar's buttons are checked everywhere).
MAIN_ACTIONS = {
    "attract": ["#attract-start"],
    "camera": ["#capture-button", "#file-button"],
    "review": ["#upload-button", "#retake-button"],
    "progress": ["#start-over-button"],
    "results": ["#delete-button", "#start-over-button"],
    "delete-confirm": ["#delete-yes", "#delete-no"],
    "deleted": ["#start-over-button"],
    "error": ["#retry-button", "#start-over-button"],
}
# On a tablet, choosing, consenting and scanning need no scrolling either; a 390-px phone may scroll its list of
# choices and its pictures (the buttons above stay on screen there too).
TABLET_CHOICES = ["[data-testid=theme-chip]", "#consent-checkbox", "#wall-consent-checkbox"]
TABLET_RESULTS = ["[data-testid=result-qr]"]  # and on the results, every picture's QR code
TOP_BAR = ["#lang-toggle", "#fullscreen-button"]
# The results screen's lines, top to bottom: none may overlap another (the notice and code for staff share one).
RESULTS_LINES = [
    "#results-title",
    "#status-text",
    "#results-grid",
    ".results-footnote",
    ".actions:has(#delete-button)",
]
RESULT_TIMEOUT_S = 300


# ---------------------------------------------------------------------------------------------- one real request


def _post_json(url: str, body: dict) -> dict:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture(scope="session")
def five_theme_request(booth_server: BoothServer) -> str:
    """A request with every theme, made through the real API and painted by the real server; its id."""
    themes = [theme["name"] for theme in json.loads(http_get(booth_server.url("/themes"))[1])]
    assert len(themes) == 5, f"the walk expects the five built-in themes, GET /themes offers {themes}"
    photo = portraits.jpeg_bytes(letterbox(portraits.astronaut()))  # 4:3, as the booth's camera takes it
    ticket = _post_json(
        booth_server.url("/upload"),
        {
            "type": "photo",
            "filename": "walk.jpg",
            "contentType": "image/jpeg",
            "contentLength": len(photo),
            "themes": themes,
        },
    )
    put = urllib.request.Request(
        ticket["UploadURL"], data=photo, headers={"Content-Type": "image/jpeg"}, method="PUT"
    )
    with urllib.request.urlopen(put, timeout=30) as response:
        assert response.status == 200
    deadline = time.monotonic() + RESULT_TIMEOUT_S
    while time.monotonic() < deadline:
        status = json.loads(http_get(booth_server.url(f"/photo/{ticket['requestId']}"))[1])
        if status["status"] in {"SUCCEEDED", "PARTIAL", "FAILED"}:
            assert status["status"] == "SUCCEEDED", f"{status}\n{booth_server.log()}"
            return str(ticket["requestId"])
        time.sleep(1)
    pytest.fail(f"the five-theme request did not finish within {RESULT_TIMEOUT_S} s:\n{booth_server.log()}")


def answer_uploads_with(page: Page, request_id: str, server: BoothServer) -> None:
    """POST /upload answers with the finished request, its PUT lands nowhere, and DELETE is answered here."""
    ticket = {
        "requestId": request_id,
        "Bucket": "walk",
        "Key": f"photo/{request_id}/walk.jpg",
        "Expires": 300,
        "ContentType": "image/jpeg",
        "UploadURL": server.url(f"/walk-upload/{request_id}"),
        "statusUrl": f"/photo/{request_id}",
    }

    def upload(route: Route) -> None:
        if route.request.method == "POST":
            route.fulfill(status=200, content_type="application/json", body=json.dumps(ticket))
        else:
            route.fallback()

    def erase(route: Route) -> None:
        if route.request.method == "DELETE":
            route.fulfill(status=204)
        else:
            route.fallback()

    page.route("**/upload", upload)
    page.route("**/walk-upload/**", lambda route: route.fulfill(status=200))
    page.route(f"**/photo/{request_id}", erase)


# ---------------------------------------------------------------------------------------------- the walk


def walk(booth: Booth, request_id: str, check: Callable[[str], None]) -> None:
    """Every screen a visitor meets, in order; ``check(screen)`` runs on each once it has settled."""
    page = booth.page
    themes = json.loads(http_get(booth.server.url("/themes"))[1])
    # The wait line at its longest: a queue of two dozen visitors and a wait of twelve minutes (issue 20).
    gate = StatusGate(
        page, mode="hold", themes=[theme["name"] for theme in themes], estimate=(12 * 60 + 20, 24)
    ).install()
    answer_uploads_with(page, request_id, booth.server)

    check("attract")
    start(booth)
    wait_for(booth, "[data-testid=capture-button]:enabled", "the fake camera never started", 20_000)
    check("camera")
    take_photo(booth)
    for option in page.locator("[data-testid=theme-option]").all():
        if not option.is_checked():
            page.click(f"[data-testid=theme-chip][data-theme='{option.get_attribute('value')}']")
    assert page.locator("[data-testid=theme-option]:checked").count() == 5
    check("review")
    page.check("[data-testid=consent-checkbox]")
    page.click("[data-testid=upload-button]")
    page.wait_for_function("document.body.dataset.screen === 'progress' && document.body.dataset.requestId")
    page.wait_for_function("document.querySelectorAll('[data-testid=result-tile]').length === 5")
    page.wait_for_function("document.querySelector('[data-testid=expected-time]').dataset.queueAhead === '24'")
    check("progress")
    gate.mode = "pass"
    outcome = wait_for_outcome(booth)
    assert outcome.get("result") == "SUCCEEDED", outcome
    page.wait_for_function(
        "[...document.querySelectorAll('[data-testid=result-image]')].every(i => i.complete && i.naturalWidth)"
    )
    check("results")
    page.click("[data-testid=delete-button]")
    check("delete-confirm")
    page.click("[data-testid=delete-yes]")
    page.wait_for_function("document.body.dataset.deleted")
    check("deleted")
    page.click("[data-testid=start-over-button]")
    start(booth)
    page.set_input_files(
        "[data-testid=file-input]", files=[{"name": "a.gif", "mimeType": "image/gif", "buffer": b"GIF89a"}]
    )
    wait_for(booth, "[data-testid=screen-error]", "no error screen")
    check("error")


BOXES = """
selectors => {
  const found = [];
  for (const sel of selectors) {
    for (const el of document.querySelectorAll(sel)) {
      if (el.closest('[hidden]') || el.getClientRects().length === 0) continue;
      const r = el.getBoundingClientRect();
      // The part of the element its scrolling ancestors let through: what the visitor can see without scrolling.
      let top = r.top, bottom = r.bottom, left = r.left, right = r.right;
      for (let p = el.parentElement; p; p = p.parentElement) {
        const style = getComputedStyle(p);
        if (/(auto|scroll|hidden)/.test(style.overflowY + style.overflowX) && p !== document.body
            && p !== document.documentElement) {
          const c = p.getBoundingClientRect();
          top = Math.max(top, c.top); bottom = Math.min(bottom, c.bottom);
          left = Math.max(left, c.left); right = Math.min(right, c.right);
        }
      }
      found.push({sel, text: (el.innerText || el.id || '').trim().slice(0, 40),
                  top: top + scrollY, bottom: bottom + scrollY, left: left + scrollX, right: right + scrollX,
                  height: r.height, width: r.width});
    }
  }
  return found;
}
"""


def boxes(page: Page, selectors: list[str]) -> list[dict]:
    return list(page.evaluate(BOXES, selectors))


def outside_viewport(page: Page, selectors: list[str]) -> list[str]:
    """Elements that are not wholly visible in the viewport with the page scrolled to its top."""
    width, height = page.evaluate("[innerWidth, innerHeight]")
    wrong = []
    for box in boxes(page, selectors):
        visible = box["bottom"] - box["top"] >= box["height"] - 1 and box["right"] - box["left"] >= box["width"] - 1
        inside = (
            box["top"] >= 0 and box["left"] >= 0 and box["bottom"] <= height + 0.5 and box["right"] <= width + 0.5
        )
        if not (visible and inside):
            wrong.append(f"{box['sel']} {box['text']!r} at y {box['top']:.0f}-{box['bottom']:.0f}")
    return wrong


def overlaps(a: dict, b: dict) -> bool:
    return a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("viewport", list(VIEWPORTS), ids=list(VIEWPORTS))
def test_every_screen_fits_the_viewport_with_its_main_actions_in_reach(
    open_booth, five_theme_request, viewport, locale
) -> None:
    size = VIEWPORTS[viewport]
    booth = open_booth(config=WALK_CONFIG, viewport=size, locale=locale)
    page = booth.page
    problems: list[str] = []

    def check(screen: str) -> None:
        page.wait_for_timeout(450)  # the screens' entry animation moves them by 12 px
        page.evaluate("window.scrollTo(0, 0)")
        doc_height = page.evaluate("document.documentElement.scrollHeight")
        doc_width = page.evaluate("document.documentElement.scrollWidth")
        if doc_height > size["height"] + 1:
            problems.append(f"{screen}: the page is {doc_height} px tall on a {size['height']} px screen")
        if doc_width > size["width"] + 1:
            problems.append(f"{screen}: the page is {doc_width} px wide on a {size['width']} px screen")
        wanted = MAIN_ACTIONS[screen] + TOP_BAR
        if screen == "review" and not viewport.startswith("phone"):
            wanted += TABLET_CHOICES
        if screen == "results" and not viewport.startswith("phone"):
            wanted += TABLET_RESULTS
        problems.extend(f"{screen}: {where}" for where in outside_viewport(page, wanted))
        if screen == "results":
            # Squeezed into one viewport, the results' lines must still stack, not overprint one another.
            lines = boxes(page, RESULTS_LINES)
            for i, a in enumerate(lines):
                problems.extend(f"results: {a['sel']} overlaps {b['sel']}" for b in lines[i + 1 :] if overlaps(a, b))
        notice = page.locator("[data-testid=idle-notice]")
        if notice.is_visible():
            (notice_box,) = boxes(page, ["#idle-notice"])
            covered = [b["sel"] for b in boxes(page, wanted) if overlaps(notice_box, b)]
            if covered:
                problems.append(f"{screen}: the countdown notice covers {covered}")
        elif screen not in {"attract", "progress"}:
            problems.append(f"{screen}: the countdown notice did not show (the walk sets it on)")

    walk(booth, five_theme_request, check)
    assert problems == [], "\n".join(problems)
    assert booth.problems == []


# ---------------------------------------------------------------------------------------------- item 2


@pytest.mark.parametrize(
    ("locale", "photo_phrase", "pictures_phrase"),
    [("en-US", "after 3 days", "after 14 days"), ("ko-KR", "3일 후", "14일 후")],
)
def test_the_consent_and_the_phone_page_state_each_retention_period(
    open_booth, five_theme_request, locale, photo_phrase, pictures_phrase
) -> None:
    """config.js states what the deployment does (tests/infra/test_retention_disclosure.py checks its values against
    the bucket's lifecycle rules); the page must say both periods when they differ."""
    config = {"retentionDays": 3, "generatedRetentionDays": 14}
    booth = open_booth(config=config, locale=locale)
    take_photo(booth)
    details = booth.page.inner_text("#consent-details")
    assert photo_phrase in details and pictures_phrase in details, details
    wall = booth.page.inner_text("#wall-consent-details")
    assert pictures_phrase in wall, f"the wall's consent does not say how long its copies stay: {wall!r}"

    phone = open_booth(config=config, locale=locale, path=f"/?photo={five_theme_request}&image=1", viewport=PHONE)
    wait_for(phone, "[data-testid=share-until]", "no 'Available until' on the phone page", 30_000)
    until = phone.page.inner_text("[data-testid=share-until]")
    assert until.startswith(page_text(phone.page, "share.availableUntil").split("{")[0]), until
    assert pictures_phrase in until, f"the phone page does not say how long the pictures stay: {until!r}"


def page_text(page: Page, key: str) -> str:
    return str(page.evaluate("k => window.PhotoboothI18n.t(k)", key))


def test_one_retention_period_is_stated_once(open_booth) -> None:
    """Where everything is kept equally long (`photobooth serve` erases a request whole), one period is named."""
    booth = open_booth(config={"retentionDays": 5})
    take_photo(booth)
    details = booth.page.inner_text("#consent-details")
    assert "after 5 days" in details and details.count("days") == 1, details


def test_a_served_booth_states_the_retention_it_applies(open_booth, tmp_path: Path) -> None:
    """`photobooth serve` keeps a request PHOTOBOOTH_RETENTION_DAYS days (the record's TTL; a restart erases what is
    past it, photo and pictures together), so the consent it serves names that period, whatever web/config.js says
    (7 days there) and whatever generatedRetentionDays an operator copied into it from a deployment."""
    served = start_booth(tmp_path / "data", tmp_path / "serve.log", env={"PHOTOBOOTH_RETENTION_DAYS": "30"})
    try:
        status, answer = served.json(
            "POST", "/upload", {"type": "photo", "filename": "a.jpg", "contentType": "image/jpeg"}
        )
        assert status == 200, answer
        # What the booth applies: the record, and with it the phone page's "available until", goes in 30 days.
        record = served.json("GET", f"/photo/{answer['requestId']}")[1]  # type: ignore[index]
        until = datetime.fromisoformat(record["availableUntil"])  # type: ignore[index]
        assert round((until - datetime.now(UTC)) / timedelta(days=1)) == 30, record

        booth = open_booth()
        booth.page.goto(served.url)
        booth.page.wait_for_function("document.body.dataset.ready === 'true'")
        take_photo(booth)
        details = booth.page.inner_text("#consent-details")
        assert "after 30 days" in details and details.count("days") == 1, details
    finally:
        served.stop()


# ---------------------------------------------------------------------------------------------- item 4


QUOTED = re.compile("[\u201c\u2018](.+?)[\u201d\u2019]")  # the hint quotes the box's label


def control_contrast(page: Page, selector: str) -> float:
    """WCAG contrast between the control's edge (the band 1-3 px inside its box) and the colour next to it (the band
    4-8 px outside), measured on the rendered pixels."""
    box = page.locator(selector).bounding_box()
    assert box is not None
    pad = 8
    png = page.screenshot(
        clip={
            "x": box["x"] - pad,
            "y": box["y"] - pad,
            "width": box["width"] + 2 * pad,
            "height": box["height"] + 2 * pad,
        }
    )
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.float64) / 255
    linear = np.where(pixels <= 0.04045, pixels / 12.92, ((pixels + 0.055) / 1.055) ** 2.4)
    luminance = linear @ np.array([0.2126, 0.7152, 0.0722])
    h, w = luminance.shape
    ys, xs = np.indices((h, w))
    distance_in = np.minimum.reduce([ys - pad, xs - pad, (h - pad - 1) - ys, (w - pad - 1) - xs])
    edge = luminance[(distance_in >= 1) & (distance_in <= 3)]
    around = luminance[(distance_in <= -4) & (distance_in >= -8)]
    a, b = float(np.median(edge)), float(np.median(around))
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


@pytest.mark.parametrize("locale", LOCALES)
def test_the_required_consent_box_stands_out_and_the_hint_names_it(open_booth, locale) -> None:
    booth = open_booth(locale=locale)
    page = booth.page
    take_photo(booth)
    page.mouse.move(0, 0)
    page.evaluate("document.activeElement.blur()")
    ratio = control_contrast(page, "#consent-checkbox")
    # WCAG 2.1 SC 1.4.11 Non-text Contrast: a control's boundary needs 3:1 against the colours next to it.
    assert ratio >= 3, f"the unticked consent box measures {ratio:.2f}:1 against its card"

    page.check("[data-testid=wall-consent-checkbox]")
    hint = page.inner_text("[data-testid=review-hint]")
    required = page.inner_text("#consent-box strong")
    optional = page.inner_text("#wall-consent-box strong")
    assert page.locator("[data-testid=upload-button]").is_disabled()
    named = QUOTED.search(hint)
    assert named, f"the hint names no box: {hint!r}"
    quoted = named.group(1).rstrip("\u2026")
    assert quoted and required.startswith(quoted) and not optional.startswith(quoted), (hint, required)
    assert "above" not in hint and "위의" not in hint, hint


# ---------------------------------------------------------------------------------------------- item 5

SMALL_PRINT = {
    "review": ["#consent-details", "#wall-consent-details", ".themes .hint"],
    # The notice that the codes open on this device only and the code for staff share a line under the codes.
    "results": [".tile-note", "#viewer .viewer-side .muted", "[data-testid=qr-notice]", "[data-testid=request-code]"],
}
SMALL_PRINT_MIN_PX = 17


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("viewport", ["tablet-1180x820", "tablet-portrait-820x1180"])
def test_small_print_is_readable_nothing_is_said_twice_and_a_deleted_grid_is_not_ready(
    open_booth, five_theme_request, viewport, locale
) -> None:
    booth = open_booth(config=WALK_CONFIG, viewport=VIEWPORTS[viewport], locale=locale)
    page = booth.page
    problems: list[str] = []

    def check(screen: str) -> None:
        for selector in SMALL_PRINT.get(screen, []):
            for size in page.eval_on_selector_all(
                selector, "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))"
            ):
                if size < SMALL_PRINT_MIN_PX:
                    problems.append(f"{screen}: {selector} is {size:.1f} px")
        if screen == "progress":
            title = page.inner_text("#results-title").strip().rstrip("…")
            status = page.inner_text("[data-testid=status-text]").strip()
            if title and title in status:
                problems.append(f"progress: the title {title!r} is said again in {status!r}")
        if screen == "deleted":
            said = page.inner_text("#screen-results")
            for key in ("results.done", "results.partial", "result.scan"):
                text = page_text(page, key)
                if text in said:
                    problems.append(f"deleted: still says {text!r} over an empty grid")

    walk(booth, five_theme_request, check)
    assert problems == [], "\n".join(problems)


# ---------------------------------------------------------------------------------------------- item 6


@pytest.mark.parametrize("locale", LOCALES)
def test_a_server_gone_mid_wait_is_reported_at_once_to_staff(open_booth, locale) -> None:
    booth = open_booth(locale=locale)
    page = booth.page
    gate = StatusGate(page, mode="hold", themes=["cosmos"]).install()
    take_photo(booth)
    for option in page.locator("[data-testid=theme-option]").all():
        if option.is_checked() != (option.get_attribute("value") == "cosmos"):
            page.click(f"[data-testid=theme-chip][data-theme='{option.get_attribute('value')}']")
    page.check("[data-testid=consent-checkbox]")
    page.click("[data-testid=upload-button]")
    page.wait_for_function("document.body.dataset.requestId")
    page.wait_for_timeout(1_000)

    gate.mode = "drop"  # the browser is online; the booth's server stops answering
    wait_for(booth, "[data-testid=reconnect-banner]", "nothing said the booth is reconnecting", 5_000)
    said = page.inner_text("[data-testid=reconnect-banner]")
    staff = page_text(page, "reconnect.staff")
    assert staff in said, said
    assert page.locator("[data-testid=offline-banner]").is_hidden(), "the Wi-Fi is fine; the server is gone"
    bar = page.locator("[data-testid=tile-progress]").first
    before = bar.get_attribute("aria-valuenow")
    page.wait_for_timeout(2_000)
    assert bar.get_attribute("aria-valuenow") == before, "the bar kept creeping while nothing answered"

    gate.mode = "pass"
    wait_for(booth, "[data-testid=reconnect-banner]", "the reconnecting notice stayed", 10_000, state="hidden")
    outcome = wait_for_outcome(booth)
    assert outcome.get("result") == "SUCCEEDED", outcome
