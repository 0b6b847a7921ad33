"""The cut-out of the booth's own camera frame: the astronaut as the e2e tests' fake camera frames her (a 512 px square
photo in a 640 x 480 frame, a flat grey bar beside each side of the picture) and as the booth page sends her (mirrored,
JPEG at 90 %): bench.cutout_set.camera_frame, with her hand-drawn outline moved as the picture was.

The README's screenshots of 2026-12-07 (scripts/screenshots) showed a strip of the flag between her arm and the bar
pasted into every themed picture: the selfie model, shown the bars, took the flag beside them for her. The reference
set's photos have no bars, and all met issue 22's targets.
"""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np
import pytest
from PIL import Image

from bench import cutout
from bench.cutout_set import camera_frame_photo
from photobooth.config import Settings
from photobooth.offline.faces import BundledFaceDetector
from photobooth.offline.segmentation import SelfieSegmenter
from tests.e2e.camera import HEIGHT, WIDTH
from tests.support import portraits

FRAME = camera_frame_photo()
PICTURE_LEFT, PICTURE_RIGHT = (WIDTH - HEIGHT) // 2, (WIDTH + HEIGHT) // 2  # the square picture between the bars
OFFLINE, LAMBDA = "selfie", "selfie onnx (Lambda)"


@cache
def _segmenter(configuration: str) -> SelfieSegmenter:
    segmenter = SelfieSegmenter() if configuration == OFFLINE else cutout.lambda_segmenter()
    assert isinstance(segmenter, SelfieSegmenter)
    return segmenter


@cache
def _cut(configuration: str) -> cutout.Cut:
    return cutout.cut(FRAME, _segmenter(configuration), BundledFaceDetector(), Settings())


def _sure_background() -> np.ndarray:
    """The reference background, less the bench's tolerance band along the hand-drawn outline."""
    tolerance = max(1, round(cutout.EDGE_TOLERANCE * max(WIDTH, HEIGHT)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * tolerance + 1, 2 * tolerance + 1))
    return cv2.dilate(FRAME.person.astype(np.uint8), kernel, borderType=cv2.BORDER_REPLICATE) == 0


def test_the_frame_is_the_astronaut_between_two_grey_bars() -> None:
    pixels = np.asarray(FRAME.image, np.int16)
    bars = np.concatenate([pixels[:, :PICTURE_LEFT], pixels[:, PICTURE_RIGHT + 2 :]], axis=1)
    assert np.abs(bars - 128).max() <= 8, "flat grey beside the picture (JPEG moves it a few levels)"
    assert not FRAME.person[:, :PICTURE_LEFT].any() and not FRAME.person[:, PICTURE_RIGHT:].any()
    # Mirrored as the page sends her: the picture is her photo flipped left to right.
    photo = np.asarray(portraits.astronaut().resize((HEIGHT, HEIGHT), Image.Resampling.LANCZOS), np.int16)
    picture = pixels[:, PICTURE_LEFT:PICTURE_RIGHT]
    assert np.abs(picture - photo[:, ::-1]).mean() < 3 < np.abs(picture - photo).mean()


# The cause (docs/decisions.md, "The flag pole beside the astronaut"): the selfie model is shown the bars; beside a flat
# bar it takes the flag for her (the mirrored view, which round one added, most of all), and round two's re-check by
# colour looks only at the frame's side edges, which here are the bars' outer edges.
CAUSE = "the selfie model is shown the grey bars and takes the flag beside them for her"


@pytest.mark.xfail(strict=True, reason=CAUSE)
@pytest.mark.parametrize("configuration", [OFFLINE, LAMBDA])
def test_the_flag_between_her_arm_and_the_bar_is_not_pasted_back(configuration: str) -> None:
    """Judged on the result a visitor gets (the print-size paste-back): the flag beside her right arm, from her
    shoulder down to the frame's bottom, within the picture."""
    strip = np.zeros_like(FRAME.person)
    strip[100:HEIGHT, PICTURE_RIGHT - 120 : PICTURE_RIGHT] = True
    strip &= _sure_background()

    kept = _cut(configuration).kept

    assert strip.sum() > 3000, "the strip is the flag's stripes beside her arm, not a sliver"
    assert kept[strip].mean() < 0.10, f"{kept[strip].mean():.0%} of the flag beside her arm came back"


@pytest.mark.xfail(strict=True, reason=CAUSE)
@pytest.mark.parametrize("configuration", [OFFLINE, LAMBDA])
def test_the_camera_frame_meets_the_issues_targets(configuration: str) -> None:
    score = cutout.score(FRAME, configuration, _cut(configuration))

    assert score.faces_found == 1
    assert score.meets_targets(), score
