"""Face-box geometry shared by every face detector and the pipeline.

All boxes are pixel :class:`~photobooth.models.Box` es of one image, clipped to it. The system this replaces let a
face that overflowed the photo's edge produce negative coordinates, which Python's negative indexing then wrapped
around to the opposite side of the image; everything here clips instead.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

from photobooth.models import Box, Face


def _clip(value: int, upper: int) -> int:
    return max(0, min(upper, value))


def _floor(value: float) -> int:
    # Rounding away float noise first keeps 0.1 * 300 (= 30.000000000000004) from growing a box by a pixel.
    return math.floor(round(value, 6))


def _ceil(value: float) -> int:
    return math.ceil(round(value, 6))


def relative_box_to_pixels(bbox: Mapping[str, float], size: tuple[int, int]) -> Box | None:
    """Rekognition's relative ``{Left, Top, Width, Height}`` (shares of the image, may lie partly outside it) as
    a pixel box clipped to an image of ``size`` (width, height). ``None`` when nothing of the box is inside.

    The box is rounded outwards so that a face is never cropped by rounding.
    """
    width, height = size
    left = float(bbox.get("Left", 0.0))
    top = float(bbox.get("Top", 0.0))
    right = left + float(bbox.get("Width", 0.0))
    bottom = top + float(bbox.get("Height", 0.0))
    x0 = _clip(_floor(left * width), width)
    y0 = _clip(_floor(top * height), height)
    x1 = _clip(_ceil(right * width), width)
    y1 = _clip(_ceil(bottom * height), height)
    if x1 <= x0 or y1 <= y0:
        return None
    return Box(x0=x0, y0=y0, x1=x1, y1=y1)


def keep_faces(
    faces: Sequence[Face], size: tuple[int, int], *, min_confidence: float, min_size_ratio: float
) -> list[Face]:
    """Every face (in the given order) whose confidence (0-100) is at least ``min_confidence`` and whose short
    side is at least ``min_size_ratio`` times the image's short side. A group photo keeps all its people."""
    min_side = min_size_ratio * min(size)
    return [
        face
        for face in faces
        if face.confidence >= min_confidence and min(face.box.width, face.box.height) >= min_side
    ]


def expand_box(box: Box, ratio: float, size: tuple[int, int]) -> Box:
    """``box`` grown around its centre by ``ratio`` of its own width and height (0.5 → 1.5 times as wide and as
    tall), clipped to an image of ``size`` (width, height)."""
    if ratio < 0:
        raise ValueError(f"expand ratio must not be negative, got {ratio}")
    width, height = size
    grow_x = box.width * ratio / 2
    grow_y = box.height * ratio / 2
    return Box(
        x0=_clip(_floor(box.x0 - grow_x), width),
        y0=_clip(_floor(box.y0 - grow_y), height),
        x1=_clip(_ceil(box.x1 + grow_x), width),
        y1=_clip(_ceil(box.y1 + grow_y), height),
    )


def union_box(boxes: Iterable[Box]) -> Box:
    """The smallest box that contains every box given (at least one)."""
    boxes = list(boxes)
    if not boxes:
        raise ValueError("union_box needs at least one box")
    return Box(
        x0=min(b.x0 for b in boxes),
        y0=min(b.y0 for b in boxes),
        x1=max(b.x1 for b in boxes),
        y1=max(b.y1 for b in boxes),
    )
