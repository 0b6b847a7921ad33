"""Issue 23 item 10, in real headless Chromium against `photobooth serve`: the results screen and the error screen
show the request's short code for staff, the same code the server's console prints next to the request id (and
that `photobooth erase` takes), in English and Korean."""

from __future__ import annotations

import pytest

from photobooth import naming
from tests.e2e.conftest import Booth
from tests.e2e.steps import consent_and_upload, take_photo, wait_for, wait_for_outcome

pytestmark = pytest.mark.slow


def one_theme(booth: Booth) -> None:
    for option in booth.page.locator("[data-testid=theme-option]").all():
        if option.is_checked() != (option.get_attribute("value") == "cosmos"):
            booth.page.click(f"[data-testid=theme-chip][data-theme='{option.get_attribute('value')}']")


@pytest.mark.parametrize(("locale", "label"), [("en-US", "Code for staff: "), ("ko-KR", "직원용 코드: ")])
def test_the_results_screen_shows_the_code_the_console_prints(open_booth, locale: str, label: str) -> None:
    booth = open_booth(locale=locale)
    take_photo(booth)
    one_theme(booth)
    consent_and_upload(booth)
    outcome = wait_for_outcome(booth)
    assert outcome.get("result") in {"SUCCEEDED", "PARTIAL"}, outcome
    code = naming.short_code(outcome["requestId"])
    wait_for(booth, "[data-testid=request-code]", "the results screen shows no code for staff")
    assert booth.page.inner_text("[data-testid=request-code]") == f"{label}{code}"
    assert f"[{code}] {outcome['requestId']}" in booth.server.log()

    # The next visitor does not see it.
    booth.page.click("[data-testid=start-over-button]")
    if booth.page.locator("[data-testid=start-over-yes]").is_visible():
        booth.page.click("[data-testid=start-over-yes]")
    wait_for(booth, "[data-testid=screen-attract]", "start over did not go back to the start")
    assert booth.page.locator("[data-testid=request-code]").is_hidden()
    assert booth.page.inner_text("[data-testid=request-code]") == ""


def test_the_error_screen_shows_the_code_when_there_is_a_request(open_booth) -> None:
    booth = open_booth(camera="cat")
    take_photo(booth)
    one_theme(booth)
    consent_and_upload(booth)
    outcome = wait_for_outcome(booth)
    assert outcome.get("errorCode") == "NO_FACE", outcome
    code = naming.short_code(outcome["requestId"])
    wait_for(booth, "[data-testid=error-request-code]", "the error screen shows no code for staff")
    assert booth.page.inner_text("[data-testid=error-request-code]").endswith(code)
    assert f"[{code}] {outcome['requestId']} FAILED NO_FACE" in booth.server.log()
