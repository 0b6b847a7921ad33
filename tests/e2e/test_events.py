"""The booth as events run it (issue 10), in real headless Chromium against `photobooth serve`: the idle timer
never throws away a request in progress, every screen resets for the next visitor, a network drop resumes the same
request, the attract screen keeps the camera off, the wall shows only opted-in pictures, the operator's kiosk mode
sits behind a PIN, and axe-core finds nothing serious.

Timers are shortened through config.js (the `config` argument of `open_booth`), never by waiting minutes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.e2e.conftest import KIOSK_PIN, Booth, http_get
from tests.e2e.service import StatusGate
from tests.e2e.steps import (
    choose_file,
    consent_and_upload,
    start,
    take_photo,
    unlock_kiosk,
    wait_for,
    wait_for_outcome,
)
from tests.support import portraits
from tests.support.server import start_booth

pytestmark = pytest.mark.slow

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
ONE_THEME = ["cosmos"]


def screen(booth: Booth) -> str:
    return str(booth.page.evaluate("document.body.dataset.screen"))


def wait_for_screen(booth: Booth, name: str, why: str, timeout_ms: int = 15_000) -> None:
    try:
        booth.page.wait_for_function(f"document.body.dataset.screen === {json.dumps(name)}", timeout=timeout_ms)
    except PlaywrightTimeoutError:
        pytest.fail(f"{why}: still on {screen(booth)!r} after {timeout_ms / 1000:.0f} s; problems: {booth.problems}")


def only_theme(booth: Booth, name: str) -> None:
    for option in booth.page.locator("[data-testid=theme-option]").all():
        wanted = option.get_attribute("value") == name
        if option.is_checked() != wanted:
            booth.page.click(f"[data-testid=theme-chip][data-theme='{option.get_attribute('value')}']")


def camera_is_on(page: Page) -> bool:
    return bool(
        page.evaluate("document.body.classList.contains('has-camera') && !!document.querySelector('video').srcObject")
    )


def upload_bodies(booth: Booth) -> list[dict]:
    return [json.loads(body) for body in booth.page.evaluate("window.__uploads || []")]


RECORD_UPLOADS = """
  const originalFetch = window.fetch;
  window.__uploads = [];
  window.__puts = [];
  window.fetch = function (input, init) {
    const url = typeof input === 'string' ? input : input.url;
    if (init && init.method === 'POST' && url.endsWith('/upload')) window.__uploads.push(init.body);
    if (init && init.method === 'PUT') window.__puts.push(init.body.size);
    return originalFetch.apply(this, arguments);
  };
"""


# ---------------------------------------------------------------------------------------------- defects 1, 2, 5


def test_the_idle_timer_waits_while_the_pictures_are_made_and_then_counts_down_visibly(open_booth) -> None:
    config = {"timeouts": {"results": 6, "review": 60, "camera": 60, "error": 60}, "expectedSecondsPerPicture": 3}
    booth = open_booth(config=config)
    page = booth.page
    gate = StatusGate(page, mode="hold", themes=ONE_THEME).install()
    take_photo(booth)
    only_theme(booth, ONE_THEME[0])
    consent_and_upload(booth)
    wait_for_screen(booth, "progress", "the upload did not start the wait")
    page.wait_for_function("window.document.body.dataset.requestId", timeout=15_000)

    # Held well past the results timeout: the page must stay, with no idle timer armed.
    bar = page.locator("[data-testid=tile-progress]").first
    first = int(bar.get_attribute("aria-valuenow") or 0)
    page.wait_for_timeout(7_000)  # longer than the results timeout: an armed timer would have fired by now
    assert screen(booth) == "progress", "the idle timer abandoned a request in progress"
    assert page.evaluate("document.body.dataset.idleArmed") == "false"
    assert gate.held > 1, "the page stopped polling"
    assert int(bar.get_attribute("aria-valuenow") or 0) > first, "the picture's progress bar did not move"
    expected = page.locator("[data-testid=expected-time]")
    assert expected.is_visible() and "Usually ready in about" in expected.inner_text()

    # "Start over" during the wait asks first; "Keep waiting" keeps the request.
    page.click("[data-testid=start-over-button]")
    assert page.locator("[data-testid=start-over-confirm]").is_visible()
    page.click("[data-testid=start-over-no]")
    assert screen(booth) == "progress"

    gate.mode = "pass"
    outcome = wait_for_outcome(booth)
    assert outcome.get("result") == "SUCCEEDED", f"got {outcome}; server log:\n{booth.server.log()}"
    assert screen(booth) == "results"
    notice = page.locator("[data-testid=idle-notice]")
    wait_for(booth, "[data-testid=idle-notice]", "no visible countdown on the results screen")
    assert "Back to start in" in notice.inner_text() and "tap to stay" in notice.inner_text()

    # A tap keeps the results; without one, the booth goes back to the attract screen with the camera off. The test
    # follows the page's own countdown (every number the notice shows), not the clock: once it has counted down two
    # seconds it taps, and the countdown must start again from the top. A slow machine only makes the test slower.
    page.evaluate(
        """() => {
          const notice = document.getElementById('idle-notice');
          window.__idleShown = [Number(notice.dataset.n)];
          new MutationObserver(() => window.__idleShown.push(Number(notice.dataset.n)))
            .observe(notice, { attributes: true, attributeFilter: ['data-n'] });
        }"""
    )
    page.wait_for_function("window.__idleShown.some((n) => n > 0 && n <= 4)", timeout=30_000)
    shown_before_the_tap = page.evaluate("window.__idleShown.length")
    page.mouse.click(5, 400)
    page.wait_for_function(
        f"window.__idleShown.slice({shown_before_the_tap}).some((n) => n >= 5)", timeout=30_000
    )  # back up from 4 or less: the tap restarted the countdown
    assert screen(booth) == "results", "a tap did not keep the results on screen"
    wait_for_screen(booth, "attract", "the results screen never went back to the start", 30_000)
    assert not camera_is_on(page)
    assert page.locator("[data-testid=result-tile]").count() == 0
    assert booth.problems == []


def test_the_review_screen_resets_photo_consents_language_and_themes_for_the_next_visitor(open_booth) -> None:
    config = {"timeouts": {"review": 3, "camera": 60, "results": 60, "error": 60}}
    booth = open_booth(config=config, locale="en-US")
    page = booth.page
    take_photo(booth)
    defaults = page.eval_on_selector_all("[data-testid=theme-option]:checked", "inputs => inputs.map(i => i.value)")
    page.click("[data-testid=lang-toggle]")
    page.wait_for_function("document.documentElement.lang === 'ko'")
    only_theme(booth, "forest")
    page.check("[data-testid=consent-checkbox]")
    page.check("[data-testid=wall-consent-checkbox]")
    assert page.locator("[data-testid=upload-button]").is_enabled()
    assert "처음 화면으로" in page.locator("[data-testid=idle-notice]").inner_text()

    wait_for_screen(booth, "attract", "the review screen never reset", 8_000)
    assert page.get_attribute("[data-testid=review-image]", "src") is None, "the last photo stayed in the page"
    assert page.evaluate("document.documentElement.lang") == "en", "the next visitor got the last one's language"
    assert not camera_is_on(page)

    take_photo(booth)
    assert not page.is_checked("[data-testid=consent-checkbox]")
    assert not page.is_checked("[data-testid=wall-consent-checkbox]")
    assert page.locator("[data-testid=upload-button]").is_disabled()
    chosen = page.eval_on_selector_all("[data-testid=theme-option]:checked", "inputs => inputs.map(i => i.value)")
    assert chosen == defaults
    assert page.locator("[data-testid=capture-button]").is_hidden()
    assert booth.problems == []


def test_start_over_during_the_wait_asks_first_then_abandons_the_request(open_booth) -> None:
    booth = open_booth()
    page = booth.page
    gate = StatusGate(page, mode="hold", themes=ONE_THEME).install()
    take_photo(booth)
    only_theme(booth, ONE_THEME[0])
    consent_and_upload(booth)
    page.wait_for_function("document.body.dataset.requestId", timeout=15_000)

    page.click("[data-testid=start-over-button]")
    assert screen(booth) == "progress", "Start over abandoned the request without asking"
    page.click("[data-testid=start-over-yes]")

    wait_for_screen(booth, "attract", "confirming Start over did not go back to the start")
    assert page.evaluate("document.body.dataset.requestId") is None
    polls = gate.held
    page.wait_for_timeout(2_000)
    assert gate.held == polls, "the abandoned request is still being polled"


# ---------------------------------------------------------------------------------------------- defect 4


def test_try_again_after_the_network_drops_resumes_the_same_request(open_booth) -> None:
    booth = open_booth(config={"networkGraceSeconds": 1})
    page = booth.page
    page.add_init_script(RECORD_UPLOADS)
    page.reload()
    page.wait_for_function("document.body.dataset.ready === 'true'")
    gate = StatusGate(page, mode="hold", themes=ONE_THEME).install()
    take_photo(booth)
    only_theme(booth, ONE_THEME[0])
    consent_and_upload(booth)
    page.wait_for_function("document.body.dataset.requestId", timeout=15_000)
    request_id = page.evaluate("document.body.dataset.requestId")
    page.wait_for_function("window.__puts.length === 1", timeout=15_000)

    gate.mode = "drop"
    page.context.set_offline(True)
    wait_for(booth, "[data-testid=offline-banner]", "no offline banner while the network is down")
    wait_for_screen(booth, "error", "the page never said the network is gone", 15_000)
    assert page.get_attribute("[data-testid=error-message]", "data-code") == "NETWORK"

    page.context.set_offline(False)
    gate.mode = "pass"
    wait_for(booth, "[data-testid=offline-banner]", "the offline banner stayed", state="hidden")
    page.click("[data-testid=retry-button]")
    outcome = wait_for_outcome(booth)

    assert outcome.get("result") == "SUCCEEDED", f"got {outcome}; server log:\n{booth.server.log()}"
    assert outcome["requestId"] == request_id, "Try again made a new request"
    assert len(booth.api_calls("POST", "/upload")) == 1, "the photo was uploaded twice"
    assert page.evaluate("window.__puts.length") == 1
    body = upload_bodies(booth)[0]
    assert body["contentLength"] == page.evaluate("window.__puts[0]"), "contentLength is not the photo's size"
    assert body["showOnWall"] is False


# ---------------------------------------------------------------------------------------------- attract screen


def test_the_attract_screen_cycles_samples_with_the_camera_off_until_touched(open_booth) -> None:
    booth = open_booth(config={"attractSlideSeconds": 1}, wait_ready=False)
    page = booth.page
    page.add_init_script(
        """
        window.__cameraRequests = 0;
        const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
        navigator.mediaDevices.getUserMedia = (c) => { window.__cameraRequests += 1; return original(c); };
        """
    )
    page.reload()
    page.wait_for_function("document.body.dataset.ready === 'true'")
    assert screen(booth) == "attract"
    seen = set()
    for _ in range(12):
        seen.add(page.get_attribute("[data-testid=attract-image]", "data-theme"))
        page.wait_for_timeout(250)
    assert len(seen) >= 2, f"the samples do not cycle: {seen}"
    image = page.locator("[data-testid=attract-image]")
    image.evaluate("img => img.decode()")
    assert image.evaluate("img => img.naturalWidth") > 0, "the sample picture did not load"
    assert page.evaluate("window.__cameraRequests") == 0, "the camera was asked for before anyone touched the booth"
    assert not camera_is_on(page)

    page.click("[data-testid=screen-attract]")
    wait_for(booth, "[data-testid=capture-button]:enabled", "touching the attract screen did not start the camera")
    assert page.evaluate("window.__cameraRequests") == 1
    assert camera_is_on(page)
    assert page.evaluate("document.activeElement.id") == "capture-title", "focus did not move to the new heading"


# ------------------------------------------------------------------------------------ the wall and the phone


def make_pictures(open_booth, show_on_wall: bool, filename: str) -> tuple[Booth, str]:
    booth = open_booth()
    booth.page.add_init_script(RECORD_UPLOADS)
    booth.page.reload()
    booth.page.wait_for_function("document.body.dataset.ready === 'true'")
    choose_file(booth, filename, portraits.png_bytes(portraits.grace_hopper()), "image/png")
    only_theme(booth, ONE_THEME[0])
    if show_on_wall:
        booth.page.check("[data-testid=wall-consent-checkbox]")
    consent_and_upload(booth)
    outcome = wait_for_outcome(booth)
    assert outcome.get("result") == "SUCCEEDED", f"got {outcome}; server log:\n{booth.server.log()}"
    assert upload_bodies(booth)[0]["showOnWall"] is show_on_wall
    return booth, outcome["requestId"]


def wall_copies(booth_server) -> dict[str, str]:
    """The wall's answer as {wallId: URL path}; every URL is a copy under wall/{wallId}/, never a request's key."""
    status, body, _ = http_get(booth_server.url("/wall/photos"))
    assert status == 200, body
    copies = {}
    for photo in json.loads(body)["photos"]:
        path = urlsplit(photo["url"]).path
        _, _bucket, prefix, wall_id, _name = path.split("/")
        assert prefix == "wall", f"the wall presigned {path}"
        copies[wall_id] = path
    return copies


def test_the_wall_shows_only_opted_in_pictures_and_an_erased_one_leaves_at_once(open_booth, booth_server) -> None:
    before = set(wall_copies(booth_server))  # the session's server may hold other tests' pictures
    _, shown = make_pictures(open_booth, True, "shown.png")
    after_shown = wall_copies(booth_server)
    _, private = make_pictures(open_booth, False, "private.png")
    assert json.loads(http_get(booth_server.url(f"/photo/{shown}"))[1])["showOnWall"] is True
    assert set(wall_copies(booth_server)) == set(after_shown), "the private request added nothing to the wall"
    (shown_wall_id,) = set(after_shown) - before
    answer = http_get(booth_server.url("/wall/photos"))[1].decode()
    assert shown not in answer and private not in answer, "the wall's answer names no request"
    assert http_get(booth_server.url(f"/photo/{shown_wall_id}"))[0] == 404, "a wall copy's id opens no request"

    wall = open_booth(path="/wall?refresh=1&slide=60")
    page = wall.page
    wait_for(wall, "[data-testid=wall-image]", "the wall shows no picture")
    assert f"/wall/{shown_wall_id}/" in (page.get_attribute("[data-testid=wall-image]", "src") or "")
    assert wall.api_calls("GET", "/wall/photos")
    paths = {urlsplit(url).path for _, url in wall.requests}
    page_files = {"/wall", "/styles.css", "/config.js", "/wall/photos", "/icons/icon.svg"}
    copies = set(wall_copies(booth_server).values())
    other = [p for p in paths if p not in page_files and not p.startswith("/js/") and p not in copies]
    assert other == [], "the wall asked for something besides its page, its data and the pictures"

    status, _, _ = http_get_delete(booth_server.url(f"/photo/{shown}"))
    assert status == 204
    try:
        page.wait_for_function(
            "id => !(document.querySelector('[data-testid=wall-image]').getAttribute('src') || '').includes(id)",
            arg=f"/wall/{shown_wall_id}/",
            timeout=5_000,
        )
    except PlaywrightTimeoutError:
        pytest.fail("the erased picture stayed on the wall")
    assert shown_wall_id not in wall_copies(booth_server)
    assert wall.problems == []


def http_get_delete(url: str) -> tuple[int, bytes, str]:
    import urllib.request

    request = urllib.request.Request(url, method="DELETE")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read(), response.headers.get("Content-Type", "")


def test_the_phone_page_shares_or_downloads_and_says_until_when(open_booth) -> None:
    _, request_id = make_pictures(open_booth, False, "phone.png")

    phone = open_booth(path=f"/?photo={request_id}&image=1", viewport={"width": 390, "height": 844})
    wait_for(phone, "[data-testid=share-image]", "the phone page shows no picture", 30_000)
    until = phone.page.locator("[data-testid=share-until]")
    wait_for(phone, "[data-testid=share-until]", "no 'Available until' on the phone page")
    assert until.inner_text().startswith("Available until ")
    stored_until = json.loads(http_get(phone.server.url(f"/photo/{request_id}"))[1])["availableUntil"]
    assert until.get_attribute("data-date")[:10] == stored_until[:10]
    with phone.page.expect_download(timeout=15_000) as download:
        phone.page.click("[data-testid=share-button]")
    assert download.value.suggested_filename == "photobooth_1.jpeg"

    sharing = open_booth(
        path=f"/?photo={request_id}&image=1", viewport={"width": 390, "height": 844}, wait_ready=False
    )
    sharing.page.add_init_script(
        """
        window.__shared = [];
        navigator.canShare = (data) => Array.isArray(data.files) && data.files.length > 0;
        navigator.share = async (data) => { window.__shared.push(data.files.map(f => [f.name, f.type, f.size])); };
        """
    )
    sharing.page.reload()
    wait_for(sharing, "[data-testid=share-button]", "no share button")
    assert sharing.page.inner_text("[data-testid=share-button]").strip() == "Share"
    sharing.page.click("[data-testid=share-button]")
    sharing.page.wait_for_function("window.__shared.length === 1")
    name, kind, size = sharing.page.evaluate("window.__shared[0][0]")
    assert (name, kind) == ("photobooth_1.jpeg", "image/jpeg") and size > 1000


# ---------------------------------------------------------------------------------------------- kiosk mode


def test_kiosk_mode_needs_the_pin_and_its_settings_shape_the_booth(open_booth) -> None:
    booth = open_booth()
    page = booth.page
    for _ in range(5):
        page.click("[data-testid=brand]")
    wait_for_screen(booth, "kiosk", "five taps on the title did not open kiosk mode")
    assert page.locator("[data-testid=kiosk-settings]").is_hidden()
    page.fill("[data-testid=kiosk-pin]", "1111")
    page.click("[data-testid=kiosk-unlock]")
    page.wait_for_function("document.querySelector('[data-testid=kiosk-pin-message]').textContent.length > 0")
    assert re.search(r"not right|Try again", page.inner_text("[data-testid=kiosk-pin-message]"))
    assert page.locator("[data-testid=kiosk-settings]").is_hidden(), "a wrong PIN opened the settings"
    # The page itself cannot tell a right PIN from a wrong one: the server checks it.
    assert KIOSK_PIN not in page.content() and KIOSK_PIN not in json.dumps(page.evaluate("window.PHOTOBOOTH_CONFIG"))

    unlock_kiosk(booth, KIOSK_PIN)
    for option in page.locator("[data-testid=kiosk-theme]").all():
        option.set_checked(option.get_attribute("value") in {"cosmos", "beach"})
    page.select_option("[data-testid=kiosk-language]", "ko")
    page.fill("[data-testid=kiosk-timeout-review]", "30")
    page.fill("[data-testid=kiosk-event-title]", "Gala 2026")
    # A logo from another website is refused with a message, and nothing is saved ...
    page.fill("[data-testid=kiosk-logo]", "https://evil.example/logo.png")
    page.click("[data-testid=kiosk-save]")
    assert "not another website" in page.inner_text("[data-testid=kiosk-logo-message]")
    assert screen(booth) == "kiosk" and page.evaluate("localStorage.getItem('photobooth.kiosk')") is None
    # ... a relative path of the booth's own origin is accepted, with the title.
    page.fill("[data-testid=kiosk-logo]", "icons/icon-192.png")
    page.check("[data-testid=kiosk-hide-fullscreen]")
    page.check("[data-testid=kiosk-hide-file]")
    page.check("[data-testid=kiosk-wake-lock]")
    page.click("[data-testid=kiosk-save]")

    wait_for_screen(booth, "attract", "saving the settings did not go back to the start")
    assert page.inner_text("h1") == "Gala 2026" and page.title() == "Gala 2026"
    logo = page.locator("[data-testid=brand] img#brand-logo")
    # The logo has no size until it has loaded (Playwright calls an empty box invisible): wait for the load, which a
    # busy machine delays (a random-order run of the tier failed here), then check what a visitor sees.
    logo.evaluate(
        "img => img.complete || new Promise(done => ['load', 'error'].forEach(e => img.addEventListener(e, done)))"
    )
    assert logo.is_visible() and logo.evaluate("img => img.complete && img.naturalWidth") == 192
    assert page.evaluate("document.documentElement.lang") == "ko"
    assert page.locator("[data-testid=fullscreen-button]").is_hidden()
    page.wait_for_function("document.body.dataset.wakeLock === 'held'", timeout=5_000)
    take_photo(booth)
    assert page.locator("[data-testid=file-button]").is_hidden()
    offered = page.eval_on_selector_all("[data-testid=theme-option]", "inputs => inputs.map(i => i.value)")
    assert offered == ["cosmos", "beach"]
    saved = json.loads(page.evaluate("localStorage.getItem('photobooth.kiosk')"))
    assert saved["timeouts"]["review"] == 30

    # The settings outlive a reload (the tablet keeps them); visitors still cannot reach them without the PIN.
    page.reload()
    page.wait_for_function("document.body.dataset.ready === 'true'")
    assert page.inner_text("h1") == "Gala 2026"


def test_a_remote_logo_from_config_or_storage_is_never_loaded(open_booth) -> None:
    booth = open_booth(config={"logoUrl": "https://evil.example/logo.png"})
    page = booth.page
    assert page.locator("#brand-logo").is_hidden()
    page.evaluate("localStorage.setItem('photobooth.kiosk', JSON.stringify({logoUrl: '//evil.example/x.png'}))")
    page.reload()
    page.wait_for_function("document.body.dataset.ready === 'true'")
    assert page.locator("#brand-logo").is_hidden()
    assert not [url for url in booth.foreign_requests() if "evil.example" in url]


def test_a_booth_without_a_pin_has_no_kiosk_mode_and_ships_a_manifest(open_booth, booth_server, tmp_path) -> None:
    booth = open_booth()
    page = booth.page
    href = page.get_attribute("link[rel=manifest]", "href")
    status, body, content_type = http_get(booth_server.url(f"/{href}"))
    manifest = json.loads(body)
    assert status == 200 and "manifest+json" in content_type
    assert manifest["display"] in {"standalone", "fullscreen"} and manifest["start_url"]
    for icon in manifest["icons"]:
        assert http_get(booth_server.url(f"/{icon['src']}"))[0] == 200, icon

    unpinned = start_booth(tmp_path / "data", tmp_path / "serve.log")  # no PHOTOBOOTH_KIOSK_PIN
    try:
        page.goto(unpinned.url)
        page.wait_for_function("document.body.dataset.ready === 'true'")
        for _ in range(5):
            page.click("[data-testid=brand]")
        wait_for_screen(booth, "kiosk", "five taps did not show the PIN prompt")
        page.fill("[data-testid=kiosk-pin]", KIOSK_PIN)
        page.click("[data-testid=kiosk-unlock]")
        page.wait_for_function("document.querySelector('[data-testid=kiosk-pin]').disabled")
        assert "no operator PIN" in page.inner_text("[data-testid=kiosk-pin-message]")
        assert page.locator("[data-testid=kiosk-settings]").is_hidden()
    finally:
        unpinned.stop()


# ---------------------------------------------------------------------------------------------- defects 3, 6, 7

CONTRAST = """
sel => {
  const parse = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const el = document.querySelector(sel);
  const style = getComputedStyle(el);
  const text = lum(parse(style.color));
  const stops = (style.backgroundImage.match(/rgba?\\([^)]*\\)/g) || [style.backgroundColor]).map(parse);
  const ratio = (b) => (Math.max(b, text) + 0.05) / (Math.min(b, text) + 0.05);
  return Math.min(...stops.map((s) => ratio(lum(s))));
}
"""


def test_the_main_buttons_have_enough_contrast(open_booth) -> None:
    booth = open_booth()
    page = booth.page
    page.evaluate(
        "() => { const b = document.createElement('a'); b.className = 'btn btn-primary'; b.id = 'probe';"
        " b.textContent = 'Save'; document.body.append(b); }"
    )
    take_photo(booth)
    page.check("[data-testid=consent-checkbox]")
    for selector in ("#capture-button", "#upload-button", "#retry-button", "#attract-start", "#probe", "#delete-yes"):
        ratio = page.evaluate(CONTRAST, selector)
        assert ratio >= 4.5, f"{selector}: white text on its fill measures {ratio:.2f}:1"


@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
def test_the_top_bar_fits_a_phone_without_breaking_words(open_booth, locale) -> None:
    booth = open_booth(locale=locale, viewport={"width": 390, "height": 844})
    page = booth.page
    start(booth)
    for selector in ("#app-title", "#lang-toggle", "#fullscreen-button"):
        if not page.locator(selector).is_visible():
            continue
        lines = page.evaluate(
            "sel => { const r = document.createRange(); r.selectNodeContents(document.querySelector(sel));"
            " return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; }",
            selector,
        )
        assert lines == 1, f"{selector} wraps onto {lines} lines at 390 px ({locale})"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"


def test_results_in_ipad_portrait_are_two_wide_columns_with_large_qr_codes(open_booth) -> None:
    booth = open_booth(viewport={"width": 820, "height": 1180})
    page = booth.page
    take_photo(booth)
    themes = page.eval_on_selector_all("[data-testid=theme-option]:checked", "inputs => inputs.map(i => i.value)")
    assert len(themes) == 3
    consent_and_upload(booth)
    outcome = wait_for_outcome(booth)
    assert outcome.get("result") == "SUCCEEDED", f"got {outcome}; server log:\n{booth.server.log()}"
    tiles = page.locator("[data-testid=result-tile]").all()
    lefts = {round(tile.bounding_box()["x"]) for tile in tiles}  # type: ignore[index]
    assert len(lefts) == 2, f"expected two columns, got tiles at x = {sorted(lefts)}"
    for qr in page.locator("[data-testid=result-qr]").all():
        box = qr.bounding_box()
        assert box and box["width"] >= 140, f"QR code only {box} wide"


def test_themes_that_cannot_load_never_say_ready(open_booth) -> None:
    booth = open_booth(wait_ready=False)
    booth.page.route("**/themes", lambda route: route.fulfill(status=503, body='{"message": "down"}'))
    booth.page.reload()
    booth.page.wait_for_function("document.body.dataset.ready === 'true'")
    start(booth)
    wait_for(booth, "[data-testid=capture-button]:enabled", "the fake camera never started", 20_000)
    booth.page.click("[data-testid=capture-button]")
    wait_for(booth, "[data-testid=screen-review]", "no review screen")
    booth.page.check("[data-testid=consent-checkbox]")
    hint = booth.page.inner_text("[data-testid=review-hint]")
    assert "can't load" in hint and "Ready" not in hint
    assert booth.page.locator("[data-testid=upload-button]").is_disabled()


def axe_findings(page: Page) -> list[str]:
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => {
            const result = await axe.run(document, {
              rules: { 'label-content-name-mismatch': { enabled: true } },
            });
            return result.violations.map(
              v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' '))}));
        }"""
    )
    return [
        f"{v['id']} ({v['impact']}): {v['nodes'][:3]}"
        for v in result
        if v["impact"] in {"serious", "critical"} and v["id"] != "video-caption"
    ] + [f"{v['id']} ({v['impact']})" for v in result if v["id"] in {"heading-order", "label-content-name-mismatch"}]


def test_axe_core_finds_nothing_serious_on_any_screen(open_booth) -> None:
    assert AXE.exists(), "run `npm ci` for axe-core (package.json devDependencies)"
    booth = open_booth()
    page = booth.page
    findings: dict[str, list[str]] = {}
    findings["attract"] = axe_findings(page)
    start(booth)
    wait_for(booth, "[data-testid=capture-button]:enabled", "the fake camera never started", 20_000)
    findings["camera"] = axe_findings(page)
    page.click("[data-testid=capture-button]")
    wait_for(booth, "[data-testid=screen-review]", "no review screen")
    page.wait_for_function("document.activeElement.id === 'review-title'", timeout=5_000)
    findings["review"] = axe_findings(page)
    only_theme(booth, ONE_THEME[0])
    consent_and_upload(booth)
    outcome = wait_for_outcome(booth)
    assert outcome.get("result") == "SUCCEEDED", f"got {outcome}"
    assert page.evaluate("document.activeElement.id") == "results-title"
    findings["results"] = axe_findings(page)
    page.click("[data-testid=start-over-button]")
    wait_for_screen(booth, "attract", "start over did not go back to the start")
    for _ in range(5):
        page.click("[data-testid=brand]")
    wait_for_screen(booth, "kiosk", "no kiosk screen")
    unlock_kiosk(booth, KIOSK_PIN)
    findings["kiosk"] = axe_findings(page)
    page.click("[data-testid=kiosk-settings] [data-kiosk-close]")
    start(booth)
    page.set_input_files(
        "[data-testid=file-input]", files=[{"name": "a.gif", "mimeType": "image/gif", "buffer": b"GIF89a"}]
    )
    wait_for_screen(booth, "error", "no error screen")
    assert page.evaluate("document.activeElement.id") == "error-title"
    findings["error"] = axe_findings(page)

    phone = open_booth(path=f"/?photo={outcome['requestId']}&image=1", viewport={"width": 390, "height": 844})
    wait_for(phone, "[data-testid=share-image]", "the phone page shows no picture", 30_000)
    findings["phone"] = axe_findings(phone.page)
    wall = open_booth(path="/wall")
    findings["wall"] = axe_findings(wall.page)

    assert {name: found for name, found in findings.items() if found} == {}
    name = page.evaluate("document.getElementById('lang-toggle').getAttribute('aria-label')")
    assert page.inner_text("#lang-toggle").strip() in name


def test_the_page_reads_the_seed_upload_envelope_too(open_booth) -> None:
    """A deployment with seed_compat_envelope answers POST /upload as {"statusCode": 200, "body": "<JSON>"}."""
    booth = open_booth()
    page = booth.page
    wrapped = []

    def seed_envelope(route) -> None:
        answer = route.fetch()
        wrapped.append(answer.status)
        route.fulfill(response=answer, body=json.dumps({"statusCode": 200, "body": json.dumps(answer.json())}))

    page.route("**/upload", seed_envelope)
    take_photo(booth)
    only_theme(booth, ONE_THEME[0])
    consent_and_upload(booth)
    outcome = wait_for_outcome(booth)

    assert wrapped == [200], "the upload answer was not wrapped"
    assert outcome.get("result") == "SUCCEEDED", f"got {outcome}; server log:\n{booth.server.log()}"
