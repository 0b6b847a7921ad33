"""Speed-ups that must not change what a visitor sees, against outputs recorded earlier
(tests/support/reference_outputs.py).

The painted scenes are compared with pixels recorded from the code before the float32 painter (commit ac9933a):
that reference is independent of the code under test. GrabCut's masks are not: they were recorded again from the
code of commit 91887bf when its seed became the face's oval, so their test is a snapshot. It catches any change to
GrabCut's masks that nobody meant; it does not show that GrabCut's speed-ups kept the masks of the code before them.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from photobooth.offline.scenes import ProceduralSceneGenerator
from photobooth.offline.segmentation import GrabCutSegmenter
from tests.support import reference_outputs as ref

# A painted pixel may move by one step of 255: blending in float32 instead of float64 rounds differently.
SCENE_TOLERANCE = 1
# OpenCV builds may move a mask's edge by a pixel here and there, never more than this overall.
MASK_MIN_IOU = 0.995


@pytest.fixture(scope="module")
def reference() -> np.lib.npyio.NpzFile:
    return np.load(ref.REFERENCE)


@pytest.mark.parametrize("seed", ref.SCENE_SEEDS)
@pytest.mark.parametrize("theme", ref.SCENE_THEMES, ids=lambda theme: theme.name)
def test_painted_scenes_match_the_recorded_pixels(reference, theme, seed) -> None:
    generator = ProceduralSceneGenerator()
    small = generator.generate(Image.new("RGB", ref.SMALL_SCENE), ref.scene_mask(ref.SMALL_SCENE), theme, seed)
    large = generator.generate(Image.new("RGB", ref.LARGE_SCENE), ref.scene_mask(ref.LARGE_SCENE), theme, seed)

    recorded_small = reference[ref.scene_key(theme, seed, ref.SMALL_SCENE)].astype(np.int16)
    assert np.abs(np.asarray(small, np.int16) - recorded_small).max() <= SCENE_TOLERANCE
    # The working-size scene is kept as an area average (float16: 0.125 resolution near 255).
    recorded_large = reference[ref.scene_key(theme, seed, ref.LARGE_SCENE)].astype(np.float32)
    assert np.abs(ref.summarise(large) - recorded_large).max() <= SCENE_TOLERANCE + 0.125


@pytest.mark.parametrize("photo", list(ref.segmentation_photos()))
def test_grabcut_masks_match_their_snapshot(reference, photo) -> None:
    image = ref.segmentation_photos()[photo]

    mask = GrabCutSegmenter().segment(image, ref.boxes_for(reference, photo)) >= 128

    recorded = ref.mask_for(reference, photo)
    assert (mask & recorded).sum() / (mask | recorded).sum() >= MASK_MIN_IOU
