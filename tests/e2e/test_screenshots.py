"""Walks through every screen of the booth as a visitor, a phone and the event wall would see it, and saves a
screenshot of each. `scripts/screenshots` runs this with PHOTOBOOTH_SCREENSHOTS_DIR=docs/screenshots to refresh the
README's pictures; in a normal e2e run they go to a temporary folder and are only checked to be real pictures."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.e2e.conftest import KIOSK_PIN
from tests.e2e.service import StatusGate
from tests.e2e.steps import consent_and_upload, start, take_photo, unlock_kiosk, wait_for, wait_for_outcome

pytestmark = pytest.mark.slow

# Read at import time: the suite-wide autouse fixture clears PHOTOBOOTH_* variables for each test.
_OUTPUT = os.environ.get("PHOTOBOOTH_SCREENSHOTS_DIR", "")
TABLET = {"width": 1180, "height": 820}
TABLET_PORTRAIT = {"width": 820, "height": 1180}
PHONE = {"width": 390, "height": 844}
SETTLE_MS = 900  # let the screens' entry animations finish


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(_OUTPUT) if _OUTPUT else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def save(page, folder: Path, name: str, full_page: bool = False) -> Path:
    page.wait_for_timeout(SETTLE_MS)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def test_every_screen_has_a_screenshot(open_booth, shots: Path) -> None:
    # The error screen keeps a short timeout so that its "Back to start in N s" notice is in the picture.
    config = {"timeouts": {"results": 600, "error": 15, "review": 600, "camera": 600}}
    booth = open_booth(config=config, viewport=TABLET)
    page = booth.page
    written = [save(page, shots, "01-attract")]
    start(booth)
    wait_for(booth, "[data-testid=capture-button]:enabled", "the fake camera never started", 20_000)
    written.append(save(page, shots, "02-camera"))
    take_photo(booth)
    page.check("[data-testid=consent-checkbox]")
    page.check("[data-testid=wall-consent-checkbox]")
    written.append(save(page, shots, "03-review"))

    gate = StatusGate(
        page,
        mode="hold",
        themes=page.eval_on_selector_all("[data-testid=theme-option]:checked", "inputs => inputs.map(i => i.value)"),
    ).install()
    consent_and_upload(booth)
    page.wait_for_function("document.body.dataset.requestId", timeout=15_000)
    page.wait_for_timeout(2_500)
    written.append(save(page, shots, "04-progress"))
    gate.mode = "pass"
    outcome = wait_for_outcome(booth)
    assert outcome.get("result") == "SUCCEEDED", f"got {outcome}; server log:\n{booth.server.log()}"
    page.wait_for_function(
        "[...document.querySelectorAll('[data-testid=result-image]')].every(i => i.complete && i.naturalWidth)"
    )
    written.append(save(page, shots, "05-results", full_page=True))

    portrait = open_booth(config=config, viewport=TABLET_PORTRAIT)
    written.append(save(portrait.page, shots, "06-attract-portrait"))

    phone = open_booth(path=f"/?photo={outcome['requestId']}&image=2", viewport=PHONE, locale="ko-KR")
    wait_for(phone, "[data-testid=share-until]", "the phone page never said until when", 30_000)
    phone.page.wait_for_function(
        "[...document.querySelectorAll('[data-testid=share-image]')].every(i => i.complete && i.naturalWidth)"
    )
    written.append(save(phone.page, shots, "07-phone-korean"))

    wall = open_booth(path="/wall?slide=60", viewport={"width": 1280, "height": 720})
    wait_for(wall, "[data-testid=wall-image]", "the wall shows no picture")
    wall.page.wait_for_function("document.querySelector('[data-testid=wall-image]').naturalWidth > 0")
    written.append(save(wall.page, shots, "08-wall"))

    page.click("[data-testid=start-over-button]")
    for _ in range(5):
        page.click("[data-testid=brand]")
    unlock_kiosk(booth, KIOSK_PIN)
    written.append(save(page, shots, "09-kiosk", full_page=True))
    page.click("[data-testid=kiosk-settings] [data-kiosk-close]")

    start(booth)
    page.set_input_files(
        "[data-testid=file-input]", files=[{"name": "a.gif", "mimeType": "image/gif", "buffer": b"GIF89a"}]
    )
    wait_for(booth, "[data-testid=screen-error]", "no error screen")
    written.append(save(page, shots, "10-error"))

    small = open_booth(config=config, viewport=PHONE, locale="ko-KR")
    start(small)
    wait_for(small, "[data-testid=capture-button]:enabled", "the fake camera never started", 20_000)
    written.append(save(small.page, shots, "11-camera-phone-korean"))

    for path in written:
        pixels = np.asarray(Image.open(path).convert("L"), dtype=np.float32)
        assert pixels.std() > 10, f"{path.name} looks blank"
