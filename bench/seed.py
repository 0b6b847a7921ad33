"""Faithful re-implementations of the seed's image code (kyopark2014/demo-ai-dansing-robot,
``lambda-photo-enhanced/lambda_function.py``), described in docs, not copied: the baselines ``make bench``
compares our code with. Each reproduces what the seed did, including its inefficiencies, and nothing more.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

import numpy as np
from PIL import Image

from photobooth.models import Box


def seed_load(data: bytes) -> Image.Image:
    """The seed's loader: a full decode with Pillow (no draft mode, no EXIF transpose), then ``resize`` with
    ``resample=0`` (NEAREST) so the long side is 1024 and the other side is floored to a multiple of 64. The aspect
    ratio is distorted and NEAREST aliases; there is no padding."""
    image = Image.open(io.BytesIO(data))
    width, height = image.size
    if width >= height:
        size = (1024, int(height * 1024 / width) // 64 * 64)
    else:
        size = (int(width * 1024 / height) // 64 * 64, 1024)
    return image.resize(size, resample=0)


def seed_mask_from_sam(mask_b64: str, size: tuple[int, int]) -> np.ndarray:
    """The seed's mask step: decode SAM's base64 PNG, then walk it with two nested Python loops over every pixel
    (``for i, row in enumerate(mask): for j, value in enumerate(row)``), writing an RGB tuple into a numpy image
    of the working size: black where the person is, white elsewhere."""
    mask = np.array(Image.open(io.BytesIO(base64.b64decode(mask_b64))))
    width, height = size
    painted = np.zeros((height, width, 3), np.uint8)
    for i, row in enumerate(mask):
        for j, value in enumerate(row):
            painted[i, j] = (0, 0, 0) if value else (255, 255, 255)
    return painted


def seed_paint_eyewear(painted: np.ndarray, boxes: Sequence[Box]) -> np.ndarray:
    """The seed's eyewear step: for every Rekognition label box above its threshold (compared as 0.7 on a 0-100
    scale, so every box passes) two nested Python loops over the box's width and height paint black."""
    for box in boxes:
        for x in range(box.x0, box.x1):
            for y in range(box.y0, box.y1):
                painted[y, x] = (0, 0, 0)
    return painted
