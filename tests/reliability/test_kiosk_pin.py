"""Issue 18 defect 6: the kiosk PIN is not in any file the page loads, and guessing it is slowed down by the
server, against a real `photobooth serve` over HTTP."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import ServedBooth, start_booth

PIN = "739146"
WEB = Path(__file__).resolve().parents[2] / "web"


@pytest.fixture(scope="module")
def pinned_booth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedBooth]:
    base = tmp_path_factory.mktemp("pinned-booth")
    served = start_booth(base / "data", base / "serve.log", env={"PHOTOBOOTH_KIOSK_PIN": PIN})
    yield served
    served.stop()


def unlock(booth: ServedBooth, pin: str) -> tuple[int, dict, dict]:
    status, headers, raw = booth.request("POST", "/kiosk/unlock", {"pin": pin}, {"Content-Type": "application/json"})
    return status, dict(headers), (json.loads(raw) if raw else {})


def test_no_file_of_the_page_names_the_pin(pinned_booth: ServedBooth) -> None:
    pages = ["/", "/config.js", "/wall"] + [f"/{p.relative_to(WEB)}" for p in sorted(WEB.rglob("*.js"))]
    for path in pages:
        status, _, body = pinned_booth.request("GET", path)
        assert status == 200, path
        assert PIN.encode() not in body, f"{path} carries the kiosk PIN"
    # The page has no PIN of its own to compare with: the right PIN is accepted by the server alone.
    status, _, answer = unlock(pinned_booth, PIN)
    assert (status, answer) == (200, {"unlocked": True})
    assert PIN not in pinned_booth.output(), "the PIN reached the server's console"


def test_wrong_pins_are_slowed_down_by_the_server_even_for_the_right_one(pinned_booth: ServedBooth) -> None:
    answers = []
    for guess in ("000000", "111111", "222222", "333333", "444444", "555555"):
        status, headers, answer = unlock(pinned_booth, guess)
        answers.append(status)
        assert status in {403, 429}, answer
        assert int(headers["Retry-After"]) >= 1 and answer["retryAfter"] == int(headers["Retry-After"])
    assert 429 in answers, f"six wrong PINs in a row were all checked: {answers}"
    # Once refused, the right PIN is refused too until the wait is over: guessing fast gains nothing.
    status, headers, answer = unlock(pinned_booth, PIN)
    assert status == 429 and "wait" in answer["message"], answer
    assert int(headers["Retry-After"]) >= 1


def test_bad_input_is_a_clear_400(pinned_booth: ServedBooth) -> None:
    headers = {"Content-Type": "application/json"}
    status, _, raw = pinned_booth.request("POST", "/kiosk/unlock", {"pin": 1234}, headers)
    assert status == 400 and re.search(r"pin must be a string", json.loads(raw)["message"])


def test_a_booth_without_a_pin_has_no_kiosk_mode(tmp_path: Path) -> None:
    served = start_booth(tmp_path / "data", tmp_path / "serve.log")
    try:
        status, _, answer = unlock(served, PIN)
    finally:
        served.stop()
    assert status == 404 and "no operator PIN" in answer["message"], answer
