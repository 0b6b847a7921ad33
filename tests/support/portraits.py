"""Test photos: public-domain portraits that ship inside PyPI wheels, and images generated here.

Nothing in this module reads the network. ``astronaut`` (Eileen Collins, NASA, public domain) comes with
scikit-image; ``grace_hopper`` (US Navy, public domain) with matplotlib; ``cat`` and ``coffee`` (scikit-image,
CC0) are photos with no human face.
"""

from __future__ import annotations

import io
import os
from functools import cache

from PIL import Image


@cache
def astronaut() -> Image.Image:
    from skimage import data

    return Image.fromarray(data.astronaut()).convert("RGB")


@cache
def grace_hopper() -> Image.Image:
    import matplotlib

    path = os.path.join(matplotlib.get_data_path(), "sample_data", "grace_hopper.jpg")
    with Image.open(path) as img:
        return img.convert("RGB")


@cache
def cat() -> Image.Image:
    from skimage import data

    return Image.fromarray(data.chelsea()).convert("RGB")


@cache
def coffee() -> Image.Image:
    from skimage import data

    return Image.fromarray(data.coffee()).convert("RGB")


@cache
def group_of_two() -> Image.Image:
    """Two people side by side on one canvas: the astronaut and Grace Hopper at similar face sizes."""
    left = astronaut().resize((512, 512))
    right = grace_hopper().resize((int(512 * grace_hopper().width / grace_hopper().height), 512))
    canvas = Image.new("RGB", (left.width + right.width, 512), (200, 200, 200))
    canvas.paste(left, (0, 0))
    canvas.paste(right, (left.width, 0))
    return canvas


def encode(image: Image.Image, fmt: str = "JPEG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def jpeg_bytes(image: Image.Image | None = None, quality: int = 90) -> bytes:
    return encode(image or astronaut(), "JPEG", quality=quality)


def png_bytes(image: Image.Image | None = None) -> bytes:
    return encode(image or astronaut(), "PNG")


def flat_png(width: int, height: int, *, bit_depth: int = 8, colour_type: int = 2) -> bytes:
    """A PNG of one flat colour, written by hand so any size costs a few hundred KB (zlib squeezes the zero rows):
    the memory-heavy input of a decompression test. ``colour_type`` 2 is RGB, 6 is RGBA (PNG spec, IHDR)."""
    import struct
    import zlib

    channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour_type]
    row = b"\x00" + bytes(width * channels * bit_depth // 8)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
