"""The offline content check: none.

No wheel on PyPI ships a moderation model we could run offline, and a local booth is run by its operator for
their own guests. ``photobooth serve`` and ``PHOTOBOOTH_MODERATION_BACKEND=none`` therefore use this moderator,
which finds nothing, so every photo and every generated picture passes (README, "Moderation").
"""

from __future__ import annotations

from PIL import Image

from photobooth.ports import ModerationLabel


class NoModeration:
    def moderation_labels(self, image: Image.Image) -> list[ModerationLabel]:
        return []
