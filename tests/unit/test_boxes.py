"""Face-box geometry: Rekognition's relative boxes become pixel boxes clipped to the image."""

from __future__ import annotations

import pytest

from photobooth.boxes import expand_box, keep_faces, relative_box_to_pixels, union_box
from photobooth.models import Box, Face

SIZE = (400, 300)  # width, height


def rel(left: float, top: float, width: float, height: float) -> dict[str, float]:
    return {"Left": left, "Top": top, "Width": width, "Height": height}


def face(x0: int, y0: int, x1: int, y1: int, confidence: float = 99.0) -> Face:
    return Face(box=Box(x0=x0, y0=y0, x1=x1, y1=y1), confidence=confidence)


class TestRelativeBoxToPixels:
    def test_box_inside_the_image_scales_to_pixels(self):
        assert relative_box_to_pixels(rel(0.25, 0.1, 0.5, 0.5), SIZE) == Box(x0=100, y0=30, x1=300, y1=180)

    def test_fractional_pixels_round_outwards(self):
        assert relative_box_to_pixels(rel(0.2501, 0.1001, 0.2, 0.2), SIZE) == Box(x0=100, y0=30, x1=181, y1=91)

    def test_float_noise_does_not_grow_the_box(self):
        # 0.1 * 300 is 30.000000000000004 in floating point
        assert relative_box_to_pixels(rel(0.1, 0.1, 0.1, 0.1), (300, 300)) == Box(x0=30, y0=30, x1=60, y1=60)

    @pytest.mark.parametrize(
        ("bbox", "expected"),
        [
            pytest.param(rel(-0.1, 0.2, 0.3, 0.3), Box(x0=0, y0=60, x1=80, y1=150), id="left edge"),
            pytest.param(rel(0.2, -0.15, 0.3, 0.3), Box(x0=80, y0=0, x1=200, y1=45), id="top edge"),
            pytest.param(rel(0.85, 0.2, 0.3, 0.3), Box(x0=340, y0=60, x1=400, y1=150), id="right edge"),
            pytest.param(rel(0.2, 0.9, 0.3, 0.3), Box(x0=80, y0=270, x1=200, y1=300), id="bottom edge"),
            pytest.param(rel(-0.5, -0.5, 2.0, 2.0), Box(x0=0, y0=0, x1=400, y1=300), id="every edge"),
        ],
    )
    def test_box_overflowing_an_edge_is_clipped_not_wrapped(self, bbox, expected):
        assert relative_box_to_pixels(bbox, SIZE) == expected

    @pytest.mark.parametrize(
        "bbox",
        [
            pytest.param(rel(-0.5, 0.2, 0.4, 0.3), id="left of the image"),
            pytest.param(rel(0.2, -0.5, 0.3, 0.4), id="above the image"),
            pytest.param(rel(1.0, 0.2, 0.3, 0.3), id="right of the image"),
            pytest.param(rel(0.2, 1.2, 0.3, 0.3), id="below the image"),
            pytest.param(rel(0.2, 0.2, 0.0, 0.3), id="zero width"),
        ],
    )
    def test_box_with_nothing_inside_the_image_is_none(self, bbox):
        assert relative_box_to_pixels(bbox, SIZE) is None


class TestKeepFaces:
    def test_every_face_above_both_thresholds_is_kept_in_order(self):
        faces = [face(10, 10, 60, 70, 99.5), face(200, 20, 260, 90, 97.0)]

        kept = keep_faces(faces, SIZE, min_confidence=90.0, min_size_ratio=0.1)

        assert kept == faces

    def test_low_confidence_faces_are_dropped(self):
        sure, unsure = face(10, 10, 60, 70, 95.0), face(200, 20, 260, 90, 89.9)

        assert keep_faces([sure, unsure], SIZE, min_confidence=90.0, min_size_ratio=0.1) == [sure]

    def test_confidence_equal_to_the_threshold_is_kept(self):
        edge = face(10, 10, 60, 70, 90.0)

        assert keep_faces([edge], SIZE, min_confidence=90.0, min_size_ratio=0.1) == [edge]

    def test_faces_smaller_than_the_ratio_of_the_short_side_are_dropped(self):
        # short image side 300 * 0.1 = 30 px; the short side of each face counts
        big = face(0, 0, 30, 40)
        narrow = face(100, 0, 129, 100)
        flat = face(200, 0, 300, 29)

        assert keep_faces([big, narrow, flat], SIZE, min_confidence=90.0, min_size_ratio=0.1) == [big]

    def test_no_faces_gives_an_empty_list(self):
        assert keep_faces([], SIZE, min_confidence=90.0, min_size_ratio=0.03) == []


class TestExpandBox:
    def test_grows_around_the_centre(self):
        assert expand_box(Box(x0=100, y0=100, x1=200, y1=160), 0.5, SIZE) == Box(x0=75, y0=85, x1=225, y1=175)

    def test_zero_ratio_keeps_the_box(self):
        box = Box(x0=100, y0=100, x1=200, y1=160)

        assert expand_box(box, 0.0, SIZE) == box

    def test_is_clipped_to_the_image(self):
        assert expand_box(Box(x0=5, y0=250, x1=395, y1=295), 1.0, SIZE) == Box(x0=0, y0=227, x1=400, y1=300)

    def test_negative_ratio_is_refused(self):
        with pytest.raises(ValueError):
            expand_box(Box(x0=5, y0=5, x1=10, y1=10), -0.1, SIZE)


class TestUnionBox:
    def test_covers_every_box(self):
        boxes = [Box(x0=10, y0=50, x1=60, y1=90), Box(x0=200, y0=20, x1=260, y1=70), Box(x0=30, y0=5, x1=40, y1=9)]

        assert union_box(boxes) == Box(x0=10, y0=5, x1=260, y1=90)

    def test_one_box_is_itself(self):
        box = Box(x0=1, y0=2, x1=3, y1=4)

        assert union_box([box]) == box

    def test_no_boxes_is_refused(self):
        with pytest.raises(ValueError):
            union_box([])
