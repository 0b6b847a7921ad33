"""The operator's kiosk PIN, checked by the API (``POST /kiosk/unlock``), never by the page.

The page's files (``config.js`` included) are public: on AWS the booth page's domain is the one every visitor's
phone opens. So the PIN lives on the server only, as a salted scrypt hash (``PHOTOBOOTH_KIOSK_PIN_HASH``, written
by the deployment from the operator's ``kiosk_pin``) or, for ``photobooth serve``, as ``PHOTOBOOTH_KIOSK_PIN``.
Guessing is slowed down on the server: each attempt claims a turn (at most one a second, whoever sends them) and
every wrong PIN in a row doubles the wait before the next turn (docs/decisions.md, "Kiosk PIN").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from dataclasses import dataclass
from typing import Protocol

from photobooth.api import BadRequest

# scrypt's interactive-login cost (RFC 7914 section 2 suggests N=2^14, r=8, p=1): ~50 ms and 16 MiB per check.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_SCHEME = "scrypt"
MIN_PIN_LENGTH = 4
MAX_PIN_LENGTH = 32
# Every attempt waits at least this long after the one before it, right or wrong.
MIN_SECONDS_BETWEEN_ATTEMPTS = 1.0
# The longest wait after many wrong PINs; the counter restarts after a right one.
MAX_WAIT_SECONDS = 15 * 60.0
# On AWS the count is an item of the status table; '#' is outside the requestId pattern, so no request has this key.
ATTEMPTS_KEY = "#kiosk-pin-attempts"


class KioskOff(Exception):
    """No PIN is configured, so there is no kiosk mode."""


@dataclass(frozen=True)
class WrongPin(Exception):
    retry_after: float


@dataclass(frozen=True)
class TooManyAttempts(Exception):
    retry_after: float


def hash_pin(pin: str, *, salt: bytes) -> str:
    """``scrypt$<salt>$<hash>`` (URL-safe base64): what a deployment keeps instead of the PIN."""
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    return f"{_SCHEME}${_b64(salt)}${_b64(digest)}"


def pin_matches(pin: str, *, stored_hash: str | None = None, plain: str | None = None) -> bool:
    if stored_hash:
        scheme, salt, _digest = stored_hash.split("$")
        if scheme != _SCHEME:
            raise ValueError(f"unknown kiosk PIN hash scheme {scheme!r}")
        return hmac.compare_digest(hash_pin(pin, salt=_unb64(salt)), stored_hash)
    return bool(plain) and hmac.compare_digest(pin.encode(), str(plain).encode())


def wait_after(failures: int) -> float:
    """Seconds before the next attempt after ``failures`` wrong PINs in a row: 1, 2, 4, ... up to 15 minutes."""
    if failures <= 0:
        return MIN_SECONDS_BETWEEN_ATTEMPTS
    return float(min(MAX_WAIT_SECONDS, MIN_SECONDS_BETWEEN_ATTEMPTS * 2 ** (failures - 1)))


class PinAttempts(Protocol):
    """The server-side record of kiosk PIN attempts, shared by every pad of the booth."""

    def claim_turn(self, now: float) -> float:
        """Take the next turn if it is due (0.0) or answer how many seconds are left until it is. Taking a turn
        blocks the next one for ``MIN_SECONDS_BETWEEN_ATTEMPTS``, so a burst of attempts gets one answer."""
        ...

    def failed(self, now: float) -> float:
        """Count a wrong PIN; the seconds until the next turn."""
        ...

    def succeeded(self) -> None:
        """The right PIN: the count starts again."""
        ...


class InMemoryPinAttempts:
    """For ``photobooth serve``: one process handles every request, so its memory is the booth's record."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures = 0
        self._next_turn = 0.0

    def claim_turn(self, now: float) -> float:
        with self._lock:
            if now < self._next_turn:
                return self._next_turn - now
            self._next_turn = now + MIN_SECONDS_BETWEEN_ATTEMPTS
            return 0.0

    def failed(self, now: float) -> float:
        with self._lock:
            self._failures += 1
            self._next_turn = now + wait_after(self._failures)
            return self._next_turn - now

    def succeeded(self) -> None:
        with self._lock:
            self._failures = 0


def unlock(
    body: dict,
    *,
    pin_hash: str | None,
    plain_pin: str | None,
    attempts: PinAttempts,
    now: float,
) -> None:
    """Returns when ``body["pin"]`` is the PIN; raises :class:`KioskOff`, :class:`TooManyAttempts`,
    :class:`WrongPin` or :class:`BadRequest` otherwise."""
    if not pin_hash and not plain_pin:
        raise KioskOff
    pin = body.get("pin")
    if not isinstance(pin, str) or not 1 <= len(pin) <= MAX_PIN_LENGTH:
        raise BadRequest(f"pin must be a string of 1 to {MAX_PIN_LENGTH} characters")
    left = attempts.claim_turn(now)
    if left > 0:
        raise TooManyAttempts(retry_after=left)
    if pin_matches(pin, stored_hash=pin_hash, plain=plain_pin):
        attempts.succeeded()
        return
    raise WrongPin(retry_after=attempts.failed(now))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
