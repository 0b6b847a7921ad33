"""Steps a visitor takes on the booth page, shared by the e2e tests; each wait is bounded and fails with what the
page said."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.e2e.conftest import Booth

RESULT_TIMEOUT_MS = 200_000  # the page itself gives up after 180 s and says so


def wait_for(booth: Booth, selector: str, why: str, timeout_ms: int = 15_000, state: str = "visible") -> None:
    try:
        booth.page.wait_for_selector(selector, state=state, timeout=timeout_ms)  # type: ignore[arg-type]
    except PlaywrightTimeoutError:
        pytest.fail(f"{why} (waited {timeout_ms / 1000:.0f} s for {selector}); page problems: {booth.problems}")


def start(booth: Booth) -> None:
    """The visitor touches the attract screen, which turns the camera on."""
    wait_for(booth, "[data-testid=screen-attract]", "the page did not open on the attract screen")
    booth.page.click("[data-testid=attract-start]")
    wait_for(booth, "[data-testid=screen-capture]", "touching the attract screen did not open the camera")


def take_photo(booth: Booth) -> None:
    if booth.page.locator("[data-testid=screen-attract]").is_visible():
        start(booth)
    wait_for(booth, "[data-testid=capture-button]:enabled", "the fake camera never started", 20_000)
    booth.page.click("[data-testid=capture-button]")
    wait_for(booth, "[data-testid=screen-review]", "the countdown did not end on the review screen")
    wait_for_themes(booth)


def choose_file(booth: Booth, name: str, data: bytes, mime: str = "image/jpeg") -> None:
    if booth.page.locator("[data-testid=screen-attract]").is_visible():
        start(booth)
    booth.page.set_input_files("[data-testid=file-input]", files=[{"name": name, "mimeType": mime, "buffer": data}])
    wait_for(booth, "[data-testid=screen-review]", "the chosen file did not reach the review screen")
    wait_for_themes(booth)


def wait_for_themes(booth: Booth) -> None:
    wait_for(booth, "[data-testid=theme-option]", "no themes from GET /themes", state="attached")


def consent_and_upload(booth: Booth) -> None:
    booth.page.check("[data-testid=consent-checkbox]")
    booth.page.click("[data-testid=upload-button]")


def wait_for_outcome(booth: Booth) -> dict[str, str]:
    """Waits for the results or the error screen; fails with what the page and the server said."""
    page = booth.page
    try:
        page.wait_for_function(
            "document.body.dataset.result || document.body.dataset.errorCode", timeout=RESULT_TIMEOUT_MS
        )
    except PlaywrightTimeoutError as err:
        status = page.text_content("[data-testid=status-text]")
        pytest.fail(
            f"no result or error within {RESULT_TIMEOUT_MS / 1000:.0f} s; the page says {status!r} ({err})\n"
            f"server log:\n{booth.server.log()}"
        )
    return page.evaluate("({...document.body.dataset})")


def unlock_kiosk(booth: Booth, pin: str, attempts: int = 20) -> None:
    """Types the operator PIN until the server lets it through: it allows one attempt a second (more after wrong
    ones), so an earlier test's attempt may still hold the turn."""
    page = booth.page
    for _ in range(attempts):
        page.fill("[data-testid=kiosk-pin]", pin)
        page.click("[data-testid=kiosk-unlock]")
        try:
            page.wait_for_selector("[data-testid=kiosk-settings]", state="visible", timeout=2_000)
            return
        except PlaywrightTimeoutError:
            message = page.inner_text("[data-testid=kiosk-pin-message]")
            if "Try again" not in message and "다시 시도" not in message:
                pytest.fail(f"the PIN did not open the settings: {message!r}; page problems: {booth.problems}")
    pytest.fail(f"the PIN did not open the settings in {attempts} attempts; page problems: {booth.problems}")
