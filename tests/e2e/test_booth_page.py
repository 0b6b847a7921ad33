"""The booth page in real headless Chromium against `photobooth serve` (issue 3, "The booth page").

Given a visitor at the booth, when they take a photo, consent and upload, then the page shows every themed
picture with a QR code that opens it, explains a photo without a face, and erases everything on request.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
from playwright.sync_api import ElementHandle
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.e2e.conftest import Booth, http_get
from tests.e2e.steps import (
    choose_file,
    consent_and_upload,
    start,
    take_photo,
    wait_for,
    wait_for_outcome,
)
from tests.support import portraits

pytestmark = pytest.mark.slow

SCREENSHOT = "/tmp/booth_result.png"
CONTRACT_ERROR_CODES = (
    "NO_FACE",
    "INVALID_IMAGE",
    "TOO_LARGE",
    "UNSUPPORTED_TYPE",
    "MODERATION_REJECTED",
    "GENERATION_FAILED",
    "INTERNAL",
)


# ---------------------------------------------------------------------------------------------- steps


def selected_themes(booth: Booth) -> list[str]:
    return booth.page.eval_on_selector_all(
        "[data-testid=theme-option]:checked", "inputs => inputs.map(input => input.value)"
    )


def keep_only_first_theme(booth: Booth) -> str:
    names = booth.page.eval_on_selector_all("[data-testid=theme-option]", "inputs => inputs.map(i => i.value)")
    for name in selected_themes(booth):
        if name != names[0]:
            booth.page.click(f"[data-testid=theme-chip][data-theme='{name}']")
    if names[0] not in selected_themes(booth):
        booth.page.click(f"[data-testid=theme-chip][data-theme='{names[0]}']")
    assert selected_themes(booth) == [names[0]]
    return names[0]


def canvas_pixels(booth: Booth, canvas_handle: ElementHandle) -> np.ndarray:
    data_url = booth.page.evaluate("canvas => canvas.toDataURL('image/png')", canvas_handle)
    import cv2

    png = base64.b64decode(data_url.split(",", 1)[1])
    return cv2.imdecode(np.frombuffer(png, dtype=np.uint8), cv2.IMREAD_GRAYSCALE)


def decode_qr(pixels: np.ndarray) -> str:
    """The text of the QR code in ``pixels``, or "" when no detector reads it. OpenCV's classic detector misread
    13 of 400 codes of booth links (random request ids, the page's own encoder, drawn as the page draws them) where
    the ArUco-based one read all 400: the classic one alone failed this test about once in ten runs (three codes a
    run). Both are tried; the text must still equal the link."""
    import cv2

    for detector in (cv2.QRCodeDetectorAruco(), cv2.QRCodeDetector()):
        text, _, _ = detector.detectAndDecode(pixels)
        if text:
            return str(text)
    return ""


def assert_no_foreign_requests(booth: Booth) -> None:
    assert booth.foreign_requests() == [], "the page called something other than the photobooth API"


def assert_no_page_errors(booth: Booth) -> None:
    assert booth.problems == [], "the page logged errors"


# ---------------------------------------------------------------------------------------------- tests


def test_a_camera_photo_becomes_every_themed_picture_with_a_qr_code(open_booth) -> None:
    booth = open_booth(camera="portrait")
    page = booth.page

    take_photo(booth)
    themes = selected_themes(booth)
    assert themes, "no theme is preselected (GET /themes marks the default ones)"
    consent_and_upload(booth)
    outcome = wait_for_outcome(booth)

    assert outcome.get("result") == "SUCCEEDED", (
        f"expected all pictures, got {outcome}; server log:\n{booth.server.log()}"
    )
    assert page.locator("[data-testid=result-tile]").count() == len(themes)
    try:
        page.wait_for_function(
            """count => {
                const images = [...document.querySelectorAll('[data-testid=result-image]')];
                return images.length === count && images.every(img => img.complete && img.naturalWidth > 0);
            }""",
            arg=len(themes),
            timeout=30_000,
        )
    except PlaywrightTimeoutError:
        pytest.fail(f"not every result image loaded in the page; problems: {booth.problems}")
    for image in page.locator("[data-testid=result-image]").all():
        assert image.is_visible()
    qr_codes = page.locator("[data-testid=result-qr]")
    assert qr_codes.count() == len(themes), "one QR code per picture"

    request_id = outcome["requestId"]
    links = []
    for index, qr in enumerate(qr_codes.all(), start=1):
        assert qr.is_visible()
        link = qr.get_attribute("data-url")
        assert link == booth.server.url(f"/?photo={request_id}&image={index}"), f"unexpected QR link {link!r}"
        pixels = canvas_pixels(booth, qr.element_handle())
        assert pixels.min() == 0 and pixels.max() == 255, "the QR canvas is blank"
        assert decode_qr(pixels) == link, "the QR code does not decode to its link"
        picture = qr.get_attribute("data-picture") or ""
        status, body, content_type = http_get(picture)
        assert status == 200 and body[:2] == b"\xff\xd8", f"{picture} answered {status} {content_type}"
        links.append(link)

    page.wait_for_timeout(800)  # let the pictures' fade-in finish
    page.screenshot(path=SCREENSHOT, full_page=True)
    assert_no_foreign_requests(booth)
    assert_no_page_errors(booth)

    # The visitor's phone opens the second link: that picture first, with a save button, and no camera.
    phone = open_booth(camera="portrait", path=links[-1].removeprefix(booth.server.base_url))
    wait_for(phone, "[data-testid=share-image]", "the QR link did not show the picture", 30_000)
    first = phone.page.locator("[data-testid=share-image]").first
    first.evaluate("img => img.decode()")
    assert first.evaluate("img => img.naturalWidth") > 0
    assert phone.page.locator("[data-testid=share-image]").count() == len(themes)
    assert phone.page.locator(".share-item").first.get_attribute("data-index") == str(len(themes))
    assert phone.page.locator("[data-testid=capture-button]").is_hidden()
    assert phone.page.evaluate("document.body.classList.contains('has-camera')") is False
    assert_no_foreign_requests(phone)
    assert_no_page_errors(phone)


def test_nothing_is_uploaded_before_consent(open_booth) -> None:
    booth = open_booth(camera="portrait")
    page = booth.page
    take_photo(booth)

    upload = page.locator("[data-testid=upload-button]")
    assert upload.is_disabled(), "upload must wait for the consent checkbox"
    page.check("[data-testid=consent-checkbox]")
    assert upload.is_enabled()
    page.uncheck("[data-testid=consent-checkbox]")
    assert upload.is_disabled()
    upload.click(force=True)  # a tap on the greyed-out button does nothing

    page.wait_for_timeout(300)
    assert booth.api_calls("POST", "/upload") == []
    assert page.locator("[data-testid=screen-review]").is_visible()


def test_a_photo_without_a_face_asks_the_visitor_to_step_closer(open_booth) -> None:
    booth = open_booth(camera="cat")
    page = booth.page

    take_photo(booth)
    consent_and_upload(booth)
    outcome = wait_for_outcome(booth)

    assert outcome.get("errorCode") == "NO_FACE", f"expected NO_FACE, got {outcome}"
    message = page.locator("[data-testid=error-message]")
    assert message.is_visible()
    assert "couldn't see a face" in message.inner_text()
    assert "step closer" in message.inner_text()

    retry = page.locator("[data-testid=retry-button]")
    assert retry.inner_text().strip() == "Take a new photo"
    retry.click()
    wait_for(booth, "[data-testid=capture-button]:enabled", "retry did not bring the camera back", 20_000)
    assert_no_page_errors(booth)


@pytest.mark.parametrize(
    ("name", "mime", "data", "code"),
    [
        ("party.gif", "image/gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "UNSUPPORTED_TYPE"),
        ("broken.jpg", "image/jpeg", b"\xff\xd8 this is not really a JPEG", "INVALID_IMAGE"),
    ],
)
def test_a_file_the_page_cannot_use_is_explained_without_uploading(open_booth, name, mime, data, code) -> None:
    booth = open_booth(camera="portrait")
    start(booth)
    booth.page.set_input_files("[data-testid=file-input]", files=[{"name": name, "mimeType": mime, "buffer": data}])
    wait_for(booth, "[data-testid=screen-error]", f"{name} did not lead to an error message")
    assert booth.page.get_attribute("[data-testid=error-message]", "data-code") == code
    assert booth.page.inner_text("[data-testid=retry-button]").strip() == "Take a new photo"
    assert booth.api_calls("POST", "/upload") == []


def test_delete_my_photos_erases_a_chosen_photo_and_its_pictures(open_booth) -> None:
    booth = open_booth(camera="portrait")
    page = booth.page

    choose_file(booth, "grace.png", portraits.png_bytes(portraits.grace_hopper()), "image/png")
    keep_only_first_theme(booth)
    consent_and_upload(booth)
    outcome = wait_for_outcome(booth)
    assert outcome.get("result") in {"SUCCEEDED", "PARTIAL"}, f"got {outcome}; server log:\n{booth.server.log()}"
    request_id = outcome["requestId"]
    status_url = booth.server.url(f"/photo/{request_id}")
    status, body, _ = http_get(status_url)
    assert status == 200, f"GET /photo/{request_id} answered {status} before the delete"
    picture_urls = list(json.loads(body)["url_generated"])

    page.click("[data-testid=delete-button]")
    page.click("[data-testid=delete-yes]")
    try:
        page.wait_for_function("document.body.dataset.deleted", timeout=15_000)
    except PlaywrightTimeoutError:
        pytest.fail(f"the page never confirmed the delete; it says {page.text_content('#delete-confirmation')!r}")

    confirmation = page.locator("[data-testid=delete-confirmation]")
    assert confirmation.is_visible()
    assert "deleted" in confirmation.inner_text()
    assert page.locator("[data-testid=result-image]").count() == 0, "pictures stay on screen after the delete"
    assert booth.api_calls("DELETE", f"/photo/{request_id}")
    status, _, _ = http_get(status_url)
    assert status == 404, f"GET /photo/{request_id} answered {status} after the delete"
    for url in picture_urls:
        absolute = url if "://" in url else booth.server.url(url)
        assert http_get(absolute)[0] != 200, f"{absolute} is still served after the delete"
    assert_no_page_errors(booth)


def test_the_language_toggle_switches_to_korean_and_back(open_booth) -> None:
    booth = open_booth(camera="portrait", locale="en-US")
    page = booth.page
    start(booth)
    capture = page.locator("[data-testid=capture-button]")
    assert capture.inner_text().strip() == "Take photo"

    page.click("[data-testid=lang-toggle]")
    page.wait_for_function("document.documentElement.lang === 'ko'", timeout=5_000)
    assert capture.inner_text().strip() == "사진 찍기"
    assert page.locator("h1").inner_text() == "포토부스"

    page.click("[data-testid=lang-toggle]")
    page.wait_for_function("document.documentElement.lang === 'en'", timeout=5_000)
    assert capture.inner_text().strip() == "Take photo"


def test_every_string_and_error_code_exists_in_both_languages(open_booth) -> None:
    booth = open_booth(camera="portrait")
    strings = booth.page.evaluate("window.PhotoboothI18n.STRINGS")
    assert set(strings) == {"en", "ko"}
    assert set(strings["en"]) == set(strings["ko"]), "a string is missing in one language"
    for code in CONTRACT_ERROR_CODES:
        assert strings["en"].get(f"error.{code}") and strings["ko"].get(f"error.{code}"), code


def test_a_korean_browser_gets_the_korean_page(open_booth) -> None:
    booth = open_booth(camera="portrait", locale="ko-KR")
    assert booth.page.evaluate("document.documentElement.lang") == "ko"
    start(booth)
    assert booth.page.locator("[data-testid=capture-button]").inner_text().strip() == "사진 찍기"


def test_a_deployed_pad_asks_once_for_the_booth_key_and_sends_it_when_starting_work(browsers, booth_server) -> None:
    """On AWS the deployment's config.js says POST routes need the booth key (x-booth-key header)."""
    from tests.e2e.conftest import VIEWPORT

    context = browsers("portrait").new_context(viewport=VIEWPORT, locale="en-US")
    try:
        page = context.new_page()
        page.route(
            "**/config.js",
            lambda route: route.fulfill(
                content_type="application/javascript",
                body='window.PHOTOBOOTH_CONFIG = {apiBase: "", boothKeyRequired: true};',
            ),
        )
        prompts: list[str] = []

        def answer(dialog) -> None:
            prompts.append(dialog.message)
            dialog.accept("pad-key-123")

        page.on("dialog", answer)
        posted: list[dict[str, str]] = []
        page.on("request", lambda r: posted.append(r.headers) if r.method == "POST" else None)
        page.goto(booth_server.url("/"))
        page.wait_for_function("document.body.dataset.ready === 'true'", timeout=10_000)
        booth = Booth(page, booth_server)
        take_photo(booth)
        consent_and_upload(booth)
        wait_for(booth, "[data-testid=screen-results]", "the upload did not reach the results screen", 60_000)

        assert len(prompts) == 1 and "Booth key" in prompts[0]
        assert posted and all(headers.get("x-booth-key") == "pad-key-123" for headers in posted)
        assert page.evaluate("localStorage.getItem('photobooth.boothKey')") == "pad-key-123"
    finally:
        context.close()
