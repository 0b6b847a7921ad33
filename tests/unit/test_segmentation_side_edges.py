"""The selfie segmenter's mask beside the frame's side edges (issue 22, round two).

The model was trained on selfies, whose bodies run out of the frame at its sides, and it calls a strip of
background between a person and the frame's side edge person; the mask's clean-up then filled such strips too. These
tests build that situation in numbers: a dark jacket with a strip of light background between it and the frame's
side edge, a face above.
"""

from __future__ import annotations

import numpy as np

from photobooth.models import Box
from photobooth.offline.segmentation import CROP_HALF_WIDTH, _clean, _person_crop, _recheck_side_edges

HEIGHT, WIDTH = 240, 200
FACE = Box(x0=60, y0=20, x1=120, y1=90)  # 60 px wide: the closing bridges gaps up to 2 * 0.15 * 60 + 1 = 19 px
STRIP = 12  # columns of background between the jacket and the left edge
SHOULDER = FACE.y1 + 40  # above it, the jacket (the shoulder) begins further in: background shows beside it


def _jacket_mask(strip: int = STRIP) -> np.ndarray:
    """A person: the face, a shoulder below the chin, and below it a jacket whose left side is STRIP px from the
    frame's left edge."""
    mask = np.zeros((HEIGHT, WIDTH), np.uint8)
    mask[FACE.y0 : FACE.y1, FACE.x0 : FACE.x1] = 255
    mask[FACE.y1 : SHOULDER, 50 : WIDTH - 20] = 255
    mask[SHOULDER:, strip : WIDTH - 20] = 255
    return mask


def test_the_clean_up_does_not_fill_the_gap_between_a_person_and_the_side_edge() -> None:
    narrow = 7  # narrower than the closing's reach (9 px), wider than its opening's (2 px)
    cleaned = _clean(_jacket_mask(narrow), [FACE], sides_are_background=True)

    assert not cleaned[SHOULDER + 10 :, : narrow - 2].any(), "the strip by the left edge stayed background"
    # What the closing is for is kept: the jacket, and the frame's bottom edge (no border of background there).
    assert cleaned[SHOULDER + 10 :, STRIP + 2 : WIDTH - 22].all()
    assert cleaned[-1, STRIP + 2 : WIDTH - 22].all()


def test_a_strip_of_background_called_person_at_the_side_edge_is_decided_by_colour() -> None:
    rng = np.random.default_rng(0)
    image = np.full((HEIGHT, WIDTH, 3), (215, 165, 140), np.float64)  # the light background (a flag's white stripe)
    image[_jacket_mask() == 255] = (20, 14, 16)  # the dark jacket
    image[FACE.y0 : FACE.y1, FACE.x0 : FACE.x1] = (220, 170, 150)  # the face: skin as light as the background
    image = np.clip(image + rng.normal(0, 6, image.shape), 0, 255).astype(np.uint8)
    called = _jacket_mask()
    called[SHOULDER:, :STRIP] = 255  # the model's answer: the person runs out of the frame

    decided = _recheck_side_edges(called, image, [FACE])

    assert not decided[SHOULDER:, : STRIP - 1].any(), "the strip of background went back to the background"
    assert (decided[SHOULDER:, STRIP + 1 : WIDTH - 20] == 255).all(), "the jacket beside it stayed person"
    assert (decided[: FACE.y1] == called[: FACE.y1]).all(), "above the chin nothing changed"


def test_a_persons_crop_stops_halfway_to_a_face_beside_theirs() -> None:
    """Two people side by side: each crop ends halfway between the faces, so the model sees one person at a time
    (a crop reaching past the neighbour joined the background between them to the group)."""
    size = (1000, 500)
    left_face, right_face = Box(x0=150, y0=100, x1=250, y1=220), Box(x0=650, y0=80, x1=750, y1=200)

    assert _person_crop(left_face, size, [left_face, right_face]) == (0, 0, 450, 500)
    assert _person_crop(right_face, size, [left_face, right_face]) == (450, 0, 1000, 500)
    # Alone, the crop reaches CROP_HALF_WIDTH face widths either side of the face's centre.
    assert _person_crop(right_face, size, [right_face]) == (700 - round(CROP_HALF_WIDTH * 100), 0, 1000, 500)


def test_a_crop_never_cuts_into_its_own_face_nor_stops_for_a_face_above_or_below() -> None:
    size = (1000, 800)
    big, small_beside = Box(x0=300, y0=100, x1=600, y1=450), Box(x0=610, y0=200, x1=650, y1=250)
    child_below = Box(x0=380, y0=500, x1=480, y1=620)  # overlaps the big face's span across: in front, not beside

    assert _person_crop(big, size, [big, small_beside, child_below])[2] == 600  # halfway (540) is inside the face
    left, _, right, _ = _person_crop(child_below, size, [big, child_below])
    assert (left, right) == (430 - 400, 430 + 400)  # four face widths either side of its centre, not stopped
