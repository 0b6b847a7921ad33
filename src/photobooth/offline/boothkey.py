"""``BoothKey`` of ``photobooth serve``.

Without ``--lan`` the booth has no key: it answers only this machine (127.0.0.1), whose users can read its data
folder anyway, so what a pad may do on AWS with the key, any local client may do here.

With ``--lan`` the booth answers the event's Wi-Fi too, and a pad's own id (``seedpad-0001``) is a guessable
read-and-erase capability there as it is on AWS (issue 18, defect 2): the key the LAN listener asks for is the
booth key of the functions as well, and the server presents it on behalf of the laptop's own requests (the laptop is
the booth). The rules in ``photobooth.api`` are the same on both; only where the key comes from differs.
"""

from __future__ import annotations

import hmac
import os

from photobooth.ports import BoothKey

# Set by ``photobooth serve --lan`` (photobooth.local.server) for the functions it runs in its own process; never
# read from the operator's shell as such (the operator sets PHOTOBOOTH_BOOTH_KEY, which the server reads).
LAN_BOOTH_KEY_VARIABLE = "PHOTOBOOTH_LAN_BOOTH_KEY"


class NoBoothKey:
    def accepts(self, presented: str | None) -> bool:
        return True


class LanBoothKey:
    def __init__(self, key: str) -> None:
        self._key = key

    def accepts(self, presented: str | None) -> bool:
        return presented is not None and hmac.compare_digest(presented.encode(), self._key.encode())


def local_booth_key() -> BoothKey:
    key = os.environ.get(LAN_BOOTH_KEY_VARIABLE)
    return LanBoothKey(key) if key else NoBoothKey()
