"""The cut-out of the booth's own camera frame: the astronaut as the e2e tests' fake camera frames her (a 512 px
square photo in a 640 x 480 frame, a flat grey bar beside each side of the picture) and as the booth page sends her
(mirrored, JPEG at 90 %): bench.cutout_set.camera_frame, with her hand-drawn outline moved as the picture was.

The README's screenshots of 2026-12-07 (scripts/screenshots) showed a strip of the flag between her arm and the bar
pasted into every themed picture: the selfie model, shown the bars, took the flag beside them for her. The reference
set's other photos have no bars, and all met issue 22's targets. The frame is in the reference set now
(tests/unit/test_cutout_reference.py holds every target on it); these tests say what went wrong.
"""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np
import pytest
from PIL import Image

from bench import cutout
from bench.cutout_set import reference_set
from photobooth.config import Settings
from photobooth.models import Box
from photobooth.offline.faces import BundledFaceDetector
from photobooth.offline.segmentation import SelfieSegmenter, _above_padding, _inside_flat_bars
from tests.e2e.camera import HEIGHT, WIDTH
from tests.support import portraits

FRAME = next(photo for photo in reference_set() if photo.name == "camera_frame")
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


# The cause (docs/decisions.md, "The flag beside the astronaut in the camera frame"): the selfie model was shown the
# bars, and beside a flat bar it took the flag for her (in the mirrored view, which round one added, most of all);
# round two's re-check by colour looked only at the frame's side edges, which here are the bars' outer edges.


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


@pytest.mark.parametrize("configuration", [OFFLINE, LAMBDA])
def test_the_camera_frame_leaks_within_the_issues_targets_and_keeps_her_face(configuration: str) -> None:
    """Before the fix: leak 2.56 % of the image, largest blob 1.13 % (the flag strip), on both runtimes."""
    score = cutout.score(FRAME, configuration, _cut(configuration))

    assert score.faces_found == 1 and score.faces_whole, score
    assert score.leak <= cutout.LEAK_TARGET and score.blob <= cutout.BLOB_TARGET, score


@pytest.mark.parametrize("configuration", [OFFLINE, LAMBDA])
def test_nothing_of_the_grey_bars_comes_back(configuration: str) -> None:
    kept = _cut(configuration).kept

    assert not kept[:, :PICTURE_LEFT].any() and not kept[:, PICTURE_RIGHT:].any()


@pytest.mark.parametrize("configuration", [OFFLINE, LAMBDA])
def test_the_camera_frame_loses_within_the_issues_target(configuration: str) -> None:
    """Before the fix: 4.68 %; with the bars left out but the padding shown to the model, 10.9 % (the helmet)."""
    score = cutout.score(FRAME, configuration, _cut(configuration))

    assert score.loss <= cutout.LOSS_TARGET, score


# --- the bars, found (segmentation._inside_flat_bars) ----------------------------------------------------------


def _framed(picture: np.ndarray, bar: int, grey: int = 128) -> np.ndarray:
    """``picture`` between two flat bars ``bar`` px wide, the bars' line next to it blended half and half."""
    height = picture.shape[0]
    side = np.full((height, bar, 3), grey, np.uint8)
    frame = np.concatenate([side, picture, side], axis=1)
    for blend in (bar - 1, bar + picture.shape[1]):
        frame[:, blend] = (frame[:, blend].astype(np.uint16) + frame[:, blend + (1 if blend < bar else -1)]) // 2
    return frame


def test_the_picture_inside_flat_bars_is_found_without_their_blended_line() -> None:
    picture = np.asarray(portraits.astronaut().resize((200, 200)))
    face = Box(x0=130, y0=20, x1=170, y1=70)  # in the frame

    assert _inside_flat_bars(_framed(picture, 60), [face]) == (60, 0, 260, 200)


def test_a_photo_without_bars_and_bars_a_face_reaches_into_are_left_whole() -> None:
    photo = np.asarray(portraits.astronaut())
    assert _inside_flat_bars(photo, [Box(x0=160, y0=50, x1=270, y1=180)]) == (0, 0, 512, 512)

    framed = _framed(np.asarray(portraits.astronaut().resize((200, 200))), 60)
    assert _inside_flat_bars(framed, [Box(x0=40, y0=20, x1=100, y1=70)]) == (0, 0, 320, 200)


def test_the_bars_are_background_in_the_mask() -> None:
    frame = np.asarray(FRAME.image)
    (face,) = (found.box for found in BundledFaceDetector().detect_faces(FRAME.image))

    mask = _segmenter(OFFLINE).segment(FRAME.image, [face])

    left, _, right, _ = _inside_flat_bars(frame, [face])
    assert (left, right) == (PICTURE_LEFT, PICTURE_RIGHT), "the picture between the bars (the blended line left out)"
    assert not mask[:, :left].any() and not mask[:, right:].any()


def test_the_working_images_padding_is_not_shown_to_the_model() -> None:
    """imaging.normalise pads the 640 x 480 frame to 640 x 512 with 32 copies of its last row. Shown them, the model
    dropped parts of the helmet she holds at the frame's bottom: a person loss of 1.3 % to 21 % as the picture's
    edges moved by a pixel (1.3-1.5 % without them). The padded frame's mask is the frame's, its last row repeated."""
    frame = np.asarray(FRAME.image)
    (face,) = (found.box for found in BundledFaceDetector().detect_faces(FRAME.image))
    padded = Image.fromarray(np.pad(frame, ((0, 32), (0, 0), (0, 0)), mode="edge"))

    mask = _segmenter(OFFLINE).segment(padded, [face])

    expected = _segmenter(OFFLINE).segment(FRAME.image, [face])
    assert np.array_equal(mask, np.pad(expected, ((0, 32), (0, 0)), mode="edge"))
    assert _above_padding(np.asarray(padded), [face]) == HEIGHT
    assert _above_padding(frame, [face]) == HEIGHT
