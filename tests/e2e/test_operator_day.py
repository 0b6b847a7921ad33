"""Issue 23 item 10, in real headless Chromium against `photobooth serve`: the results screen and the error screen
show the request's short code for staff, the same code the server's console prints next to the request id (and
that `photobooth erase` takes), in English and Korean."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from photobooth import naming
from tests.e2e.conftest import Booth
from tests.e2e.steps import consent_and_upload, take_photo, wait_for, wait_for_outcome
from tests.support.server import start_booth

LAN = "127.0.0.2"  # stands for the laptop's LAN address: the tests bind loopback addresses only

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
    # Served without --lan, the QR codes name 127.0.0.1: the screen says they open on this device only.
    wait_for(booth, "[data-testid=qr-notice]", "no notice that the QR codes open on this device only")
    qr_url = booth.page.get_attribute("[data-testid=result-qr]", "data-url") or ""
    assert urlsplit(qr_url).hostname == "127.0.0.1"
    notice = booth.page.inner_text("[data-testid=qr-notice]")
    assert ("this device only" in notice) if locale == "en-US" else ("이 기기에서만" in notice)

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


def test_with_lan_the_qr_codes_open_on_a_phone_at_the_lan_address(open_booth, tmp_path: Path) -> None:
    with socket.socket() as probe:
        try:
            probe.bind((LAN, 0))
        except OSError:
            pytest.skip(f"{LAN} is not a loopback address here")
    served = start_booth(tmp_path / "data", tmp_path / "serve.log", extra_args=("--lan", LAN))
    try:
        booth = open_booth()
        booth.page.goto(served.url)
        booth.page.wait_for_function("document.body.dataset.ready === 'true'")
        take_photo(booth)
        one_theme(booth)
        consent_and_upload(booth)
        outcome = wait_for_outcome(booth)
        assert outcome.get("result") == "SUCCEEDED", (outcome, served.output())
        qr_url = booth.page.get_attribute("[data-testid=result-qr]", "data-url") or ""
        assert qr_url.startswith(f"http://{LAN}:{served.port}/?photo={outcome['requestId']}"), qr_url
        assert booth.page.locator("[data-testid=qr-notice]").is_hidden()

        phone = open_booth(viewport={"width": 390, "height": 844}, wait_ready=False)
        phone.page.goto(qr_url)
        wait_for(phone, "[data-testid=share-image]", "the phone page at the LAN address shows no picture", 30_000)
        loaded = phone.page.eval_on_selector("[data-testid=share-image]", "img => img.complete && img.naturalWidth")
        assert loaded and loaded > 0
        assert urlsplit(phone.page.get_attribute("[data-testid=share-image]", "src") or "").hostname == LAN
    finally:
        served.stop()
