"""The kiosk PIN's check (issue 18 defect 6): a hash instead of the PIN, and a server-side wait that grows with
every wrong PIN in a row, on a clock the test controls."""

from __future__ import annotations

import pytest

from photobooth import kiosk
from photobooth.api import BadRequest

SALT = b"0123456789abcdef"


def test_the_hash_checks_the_pin_without_naming_it() -> None:
    stored = kiosk.hash_pin("2468", salt=SALT)
    assert "2468" not in stored and stored.startswith("scrypt$")
    assert kiosk.pin_matches("2468", stored_hash=stored)
    assert not kiosk.pin_matches("2469", stored_hash=stored)
    assert kiosk.hash_pin("2468", salt=b"another salt....") != stored


def test_each_wrong_pin_in_a_row_doubles_the_wait_up_to_a_bound() -> None:
    waits = [kiosk.wait_after(n) for n in range(0, 16)]
    assert waits[:5] == [1.0, 1.0, 2.0, 4.0, 8.0]
    assert waits == sorted(waits) and waits[-1] == kiosk.MAX_WAIT_SECONDS


def attempt(attempts: kiosk.PinAttempts, pin: str, now: float) -> str:
    try:
        kiosk.unlock({"pin": pin}, pin_hash=None, plain_pin="2468", attempts=attempts, now=now)
    except kiosk.WrongPin as wrong:
        return f"wrong, next in {wrong.retry_after:g}"
    except kiosk.TooManyAttempts as wait:
        return f"wait {wait.retry_after:g}"
    return "open"


def test_guessing_gets_slower_and_the_right_pin_waits_its_turn_too() -> None:
    attempts = kiosk.InMemoryPinAttempts()
    assert attempt(attempts, "0000", now=100.0) == "wrong, next in 1"
    assert attempt(attempts, "2468", now=100.5) == "wait 0.5"  # a burst gets one answer
    assert attempt(attempts, "1111", now=101.0) == "wrong, next in 2"
    assert attempt(attempts, "2222", now=103.0) == "wrong, next in 4"
    assert attempt(attempts, "2468", now=105.0) == "wait 2"
    assert attempt(attempts, "2468", now=107.0) == "open"
    # The right PIN starts the count again.
    assert attempt(attempts, "0000", now=200.0) == "wrong, next in 1"


def test_no_pin_configured_means_no_kiosk_mode_and_bad_input_is_refused() -> None:
    with pytest.raises(kiosk.KioskOff):
        kiosk.unlock({"pin": "2468"}, pin_hash=None, plain_pin=None, attempts=kiosk.InMemoryPinAttempts(), now=0)
    for body in ({}, {"pin": 2468}, {"pin": ""}, {"pin": "9" * 33}):
        with pytest.raises(BadRequest):
            kiosk.unlock(body, pin_hash=None, plain_pin="2468", attempts=kiosk.InMemoryPinAttempts(), now=0)
