"""Pure image functions: read an upload safely, map coordinates, build masks, paste people back, encode.

Nothing here touches AWS, the network or module state; every function takes arrays or Pillow images and returns
new ones. Masks follow the project convention: ``numpy.uint8`` of shape ``(height, width)``, 255 = person.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from photobooth.errors import ImageTooLarge, InvalidImage, UnsupportedImageType
from photobooth.models import Box

# OpenCV (about 100-200 ms to import) is imported inside the functions that use it: "Record the result" and the
# upload's own normalisation never need it, and every Lambda cold start would pay for it.

_EXIF_ORIENTATION = 0x0112
# Orientations 5-8 rotate by 90 degrees, so width and height swap (EXIF 2.3, tag 274).
_SWAPPING_ORIENTATIONS = frozenset({5, 6, 7, 8})
# Float noise such as 511.99999997 must not floor to 511 when boxes are mapped between images.
_ROUNDING_SLACK = 1e-6


@dataclass(frozen=True)
class Transform:
    """How the working image relates to the original upload."""

    original_size: tuple[int, int]  # (w, h) after EXIF orientation
    scale: float  # working = original * scale (uniform: aspect ratio kept)
    content_size: tuple[int, int]  # (w, h) of the scaled photo inside the working image
    working_size: tuple[int, int]  # (w, h), both multiples of `multiple`; content at (0,0), the rest is padding

    def __post_init__(self) -> None:
        # A Transform travels between workflow steps as JSON, where tuples come back as lists.
        for name in ("original_size", "content_size", "working_size"):
            width, height = getattr(self, name)
            object.__setattr__(self, name, (int(width), int(height)))
        object.__setattr__(self, "scale", float(self.scale))
        if self.scale <= 0:
            raise ValueError(f"scale must be positive, got {self.scale}")
        if not all(c <= w for c, w in zip(self.content_size, self.working_size, strict=True)):
            raise ValueError(f"content {self.content_size} does not fit the working size {self.working_size}")

    def to_original(self, box: Box) -> Box:
        """The box in pixels of the (orientation-corrected) original, rounded outwards so it still covers."""
        return _scale_box(box, 1.0 / self.scale, self.original_size)

    def to_working(self, box: Box) -> Box:
        """The box in pixels of the working image, rounded outwards and clipped to the photo (not the padding)."""
        return _scale_box(box, self.scale, self.content_size)

    def crop_to_content(self, image: Image.Image) -> Image.Image:
        """Drop the padding again: the part of a working-size image that shows the photo."""
        if image.size != self.working_size:
            raise ValueError(f"image is {image.size}, expected the working size {self.working_size}")
        return image.crop((0, 0, *self.content_size))


def _scale_box(box: Box, factor: float, limit: tuple[int, int]) -> Box:
    width, height = limit
    x0 = math.floor(box.x0 * factor + _ROUNDING_SLACK)
    y0 = math.floor(box.y0 * factor + _ROUNDING_SLACK)
    x1 = math.ceil(box.x1 * factor - _ROUNDING_SLACK)
    y1 = math.ceil(box.y1 * factor - _ROUNDING_SLACK)
    x0, x1 = min(max(x0, 0), width), min(max(x1, 0), width)
    y0, y1 = min(max(y0, 0), height), min(max(y1, 0), height)
    return Box(x0=x0, y0=y0, x1=max(x0, x1), y1=max(y0, y1))


# ---------------------------------------------------------------------------------------------------------------
# Reading uploads


def _sniff_other_format(head: bytes) -> str | None:
    """Name a recognisable image (or image-like) format that is not JPEG or PNG, from its magic bytes."""
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    if head[:2] == b"BM":
        return "BMP"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return "TIFF"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return "AVIF"
        if brand in (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1", b"msf1"):
            return "HEIF"
        if brand in (b"crx ",):
            return "Canon raw"
        return "ISO media (video or HEIF)"
    if head[:12] == b"\x00\x00\x00\x0cjP  \r\n\x87\n" or head[:4] == b"\xff\x4f\xff\x51":
        return "JPEG 2000"
    if head[:2] == b"\xff\x0a" or head[:12] == b"\x00\x00\x00\x0cJXL \r\n\x87\n":
        return "JPEG XL"
    if head[:4] == b"8BPS":
        return "Photoshop"
    if head[:4] in (b"\x00\x00\x01\x00", b"\x00\x00\x02\x00"):
        return "ICO"
    if head[:4] == b"qoif":
        return "QOI"
    if head[:4] == b"%PDF":
        return "PDF"
    text = head.lstrip()[:256].lower()
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text):
        return "SVG"
    return None


def _is_jpeg_or_png(head: bytes) -> bool:
    return head[:3] == b"\xff\xd8\xff" or head[:8] == b"\x89PNG\r\n\x1a\n"


def normalise(
    data: bytes,
    *,
    max_bytes: int,
    max_pixels: int,
    long_side: int = 1024,
    multiple: int = 64,
    max_decoded_bytes: int | None = None,
) -> tuple[Image.Image, Transform]:
    """Turn an upload into the working image: RGB, upright, long side <= ``long_side``, padded to ``multiple``.

    The photo is scaled uniformly (never up) and padded at the right and bottom by repeating its edge pixels,
    so the aspect ratio is kept and nothing is cropped; image models need sides that are multiples of 64.
    Limits are checked before any pixel is decoded, so a small file that declares a huge canvas (a
    decompression bomb) costs nothing. The working long side is ``long_side`` rounded up to ``multiple``.
    ``max_decoded_bytes`` bounds the memory the decoder needs (pixels x bytes per pixel, so a 16-bit PNG counts
    twice an 8-bit one); ``None`` means three bytes for each of ``max_pixels``.
    """
    if long_side < 1 or multiple < 1:
        raise ValueError("long_side and multiple must be positive")
    if not data:
        raise InvalidImage("the upload is empty")
    if len(data) > max_bytes:
        raise ImageTooLarge(f"the upload has {len(data)} bytes; the limit is {max_bytes}")
    head = bytes(data[:64])
    if not _is_jpeg_or_png(head):
        other = _sniff_other_format(head)
        if other is not None:
            raise UnsupportedImageType(f"{other} images are not supported; use JPEG or PNG")
        raise InvalidImage("the upload is not a JPEG or PNG image")

    budget = max_decoded_bytes if max_decoded_bytes is not None else 3 * max_pixels
    image, original_size = _decode(data, max_pixels=max_pixels, max_decoded_bytes=budget, long_side=long_side)
    image = _to_rgb(image)

    width, height = original_size
    scale = min(1.0, long_side / max(width, height))
    content_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if image.size != content_size:
        image = image.resize(content_size, Image.Resampling.LANCZOS, reducing_gap=3.0)

    working_size = (_round_up(content_size[0], multiple), _round_up(content_size[1], multiple))
    pixels = np.asarray(image)
    pad = ((0, working_size[1] - content_size[1]), (0, working_size[0] - content_size[0]), (0, 0))
    # Edge replication rather than a flat colour: models see no artificial border to continue.
    working = Image.fromarray(np.pad(pixels, pad, mode="edge"))
    return working, Transform(
        original_size=original_size, scale=scale, content_size=content_size, working_size=working_size
    )


def _round_up(value: int, multiple: int) -> int:
    return -(-value // multiple) * multiple


def _png_bits_per_sample(data: bytes) -> int:
    """The bit depth in a PNG's IHDR (byte 24); JPEG samples are 8 bits (12-bit JPEG is not decoded by Pillow)."""
    return data[24] if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 24 else 8


def _decoded_bytes(image: Image.Image, data: bytes) -> int:
    """Bytes the decoder produces for ``image`` at its (possibly draft-reduced) size: pixels x bands x sample."""
    width, height = image.size
    bands = 1 if image.mode == "P" else len(image.getbands())
    return width * height * math.ceil(bands * _png_bits_per_sample(data) / 8)


def _decode(
    data: bytes, *, max_pixels: int, max_decoded_bytes: int, long_side: int
) -> tuple[Image.Image, tuple[int, int]]:
    """Decode JPEG/PNG pixels after checking the declared size; return the upright image and its full size."""
    try:
        image: Image.Image = Image.open(io.BytesIO(data), formats=["JPEG", "PNG"])
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge("the image declares more pixels than allowed") from exc
    except Exception as exc:  # Pillow raises many types for hostile headers; all mean "not readable".
        raise InvalidImage(f"the image header could not be read ({type(exc).__name__})") from exc

    width, height = image.size
    # Pillow's own bomb limit only warns below twice its size; honour it here rather than by changing the
    # process-wide warning filters (handlers may share the process with other threads).
    limit = min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels)
    if width < 1 or height < 1:
        raise InvalidImage("the image declares no pixels")
    if width * height > limit:
        raise ImageTooLarge(f"the image declares {width}x{height} pixels; the limit is {limit}")

    scale = min(1.0, long_side / max(width, height))
    if scale < 1.0:
        # JPEG can decode straight at 1/2, 1/4 or 1/8 size (never below the request): much faster for
        # 12-megapixel phone photos, and the final resize still does the anti-aliasing.
        image.draft(None, (math.ceil(width * scale), math.ceil(height * scale)))
    decoded = _decoded_bytes(image, data)
    if decoded > max_decoded_bytes:
        raise ImageTooLarge(f"decoding the image needs {decoded} bytes; the limit is {max_decoded_bytes}")
    try:
        image.load()
        orientation = _orientation(image)
        if orientation in range(2, 9):
            image = ImageOps.exif_transpose(image)
    except Exception as exc:  # truncated or corrupt data: zlib, EOF, "image file is truncated", ...
        raise InvalidImage(f"the image data is corrupt or truncated ({type(exc).__name__})") from exc

    original_size = (height, width) if orientation in _SWAPPING_ORIENTATIONS else (width, height)
    return image, original_size


def _orientation(image: Image.Image) -> int:
    # Broken EXIF must not cost the visitor their photo: treat it as "no rotation".
    try:
        return int(image.getexif().get(_EXIF_ORIENTATION, 1))
    except Exception:
        return 1


def _to_rgb(image: Image.Image) -> Image.Image:
    """Any JPEG/PNG mode to 8-bit sRGB, transparency composited onto white."""
    image = _to_srgb(image)
    mode = image.mode
    if mode.startswith("I;16") or mode == "I":
        # Pillow's own I;16 -> RGB conversion clips at 255, turning most of a 16-bit photo white.
        wide = np.asarray(image).astype(np.float32)
        grey = np.clip(np.rint(wide / 257.0), 0, 255).astype(np.uint8)
        return Image.fromarray(np.repeat(grey[:, :, None], 3, axis=2))
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    if mode == "RGB":
        return image
    return image.convert("RGB")


def _to_srgb(image: Image.Image) -> Image.Image:
    """Apply an embedded colour profile (Display P3 phone photos, print CMYK) so colours survive in sRGB."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        from PIL import ImageCms

        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in ImageCms.getProfileDescription(source).lower():
            return image
        output_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=output_mode)
    except Exception:
        # A broken or exotic profile is not worth refusing a photo over; plain conversion is close enough.
        return image
    return converted if converted is not None else image


# ---------------------------------------------------------------------------------------------------------------
# Encoding


def _without_metadata(image: Image.Image, modes: tuple[str, ...]) -> Image.Image:
    # Pillow copies comments and colour profiles from ``info`` into saved files; results must carry no metadata.
    clean = image.convert("RGB") if image.mode not in modes else image.copy()
    clean.info.clear()
    return clean


def encode_jpeg(image: Image.Image, quality: int = 90) -> bytes:
    """Baseline JPEG, RGB, without EXIF or any other metadata (location and device data stay private)."""
    buffer = io.BytesIO()
    _without_metadata(image, ("RGB",)).save(buffer, format="JPEG", quality=quality, optimize=True, progressive=False)
    return buffer.getvalue()


# zlib level 1: these PNGs are hand-offs between workflow steps and to the image models, read once and deleted.
# On a 1024 x 1024 photo level 1 encodes about 5x faster than Pillow's default (6) for some 13 % more bytes,
# and PNG stays lossless at every level.
HANDOFF_PNG_LEVEL = 1


def encode_png(image: Image.Image) -> bytes:
    """Lossless PNG without metadata, compressed for speed; modes PNG cannot store become RGB."""
    buffer = io.BytesIO()
    clean = _without_metadata(image, ("RGB", "RGBA", "L", "LA", "1", "P", "I;16"))
    clean.save(buffer, format="PNG", compress_level=HANDOFF_PNG_LEVEL)
    return buffer.getvalue()


def encode_working_image(image: Image.Image) -> bytes:
    """The working image as uncompressed TIFF, without metadata, for the steps after detection.

    It is written once and read by the segment step and every generate step, then deleted with the request. PNG
    at zlib level 1 cost about 100 ms to encode and 45 ms per read on a 1024 px photo; raw TIFF costs a few
    milliseconds either way, for some 2 MB more per request in S3 (read inside the region, deleted after).
    """
    buffer = io.BytesIO()
    _without_metadata(image, ("RGB",)).save(buffer, format="TIFF", compression="raw")
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------------------------
# Masks (uint8, (h, w), 255 = person)


def _check_mask(mask: np.ndarray) -> np.ndarray:
    if mask.ndim != 2:
        raise ValueError(f"a mask is a 2-D array, got shape {mask.shape}")
    if mask.dtype == np.bool_:
        return mask.astype(np.uint8) * 255
    if mask.dtype != np.uint8:
        raise ValueError(f"a mask is uint8 (or bool), got {mask.dtype}")
    return mask


def encode_mask_png(mask: np.ndarray) -> bytes:
    """8-bit greyscale PNG of the mask, values unchanged (a bool mask becomes 0/255)."""
    buffer = io.BytesIO()
    mask_image = Image.fromarray(np.ascontiguousarray(_check_mask(mask)))
    mask_image.save(buffer, format="PNG", compress_level=HANDOFF_PNG_LEVEL)
    return buffer.getvalue()


def decode_mask_png(data: bytes, size: tuple[int, int] | None = None) -> np.ndarray:
    """A mask image (L, 1, RGB, RGBA, ...) as uint8 0/255, thresholded at 128, optionally resized to (w, h).

    Resizing is nearest-neighbour so the mask stays binary. Raises ``ValueError`` for unreadable data: masks
    come from our own models, so a bad one is an internal failure, not the visitor's.
    """
    import cv2

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            grey: np.ndarray
            if image.mode.startswith("I;16") or image.mode == "I":
                grey = np.asarray(image).astype(np.float32) / 257.0
            else:
                grey = np.asarray(image.convert("L"))
    except Exception as exc:
        raise ValueError(f"the mask is not a readable image ({type(exc).__name__})") from exc
    mask: np.ndarray = np.where(grey >= 128, 255, 0).astype(np.uint8)
    if size is not None and (mask.shape[1], mask.shape[0]) != tuple(size):
        mask = cv2.resize(mask, (int(size[0]), int(size[1])), interpolation=cv2.INTER_NEAREST)
    return mask


def boxes_mask(boxes: Sequence[Box], size: tuple[int, int]) -> np.ndarray:
    """255 inside any of ``boxes`` (clipped to the image), 0 elsewhere; ``size`` is (w, h)."""
    width, height = size
    mask = np.zeros((height, width), dtype=np.uint8)
    for box in boxes:
        mask[max(box.y0, 0) : max(box.y1, 0), max(box.x0, 0) : max(box.x1, 0)] = 255
    return mask


def faces_mask(faces: Sequence[Box], size: tuple[int, int]) -> np.ndarray:
    """255 inside the ellipse inscribed in each face box, 0 elsewhere; ``size`` is (w, h).

    A face is an oval. A detector's box reaches past it at the corners (beside the chin and the temples); kept as a
    rectangle, those corners pasted blocks of the old background back with the person wherever the segmenter had
    rightly left them out. The ellipse keeps the eyes, nose, mouth and cheeks whatever the segmenter says, and
    leaves the corners (hair, neck, background) to it.
    """
    width, height = size
    mask = np.zeros((height, width), dtype=np.uint8)
    for box in faces:
        x0, y0, x1, y1 = max(box.x0, 0), max(box.y0, 0), min(box.x1, width), min(box.y1, height)
        if x1 <= x0 or y1 <= y0:
            continue
        # Pixel centres against the ellipse through the midpoints of the box's sides.
        cx, cy = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
        rx, ry = max(box.width, 1) / 2, max(box.height, 1) / 2
        across = ((np.arange(x0, x1, dtype=np.float32) + 0.5 - cx) / rx) ** 2
        down = ((np.arange(y0, y1, dtype=np.float32) + 0.5 - cy) / ry) ** 2
        inside = down[:, None] + across[None, :] <= 1.0
        mask[y0:y1, x0:x1][inside] = 255
    return mask


def merge_masks(*masks: np.ndarray) -> np.ndarray:
    """The union of masks of one size (pixel-wise maximum, so soft masks stay soft)."""
    if not masks:
        raise ValueError("merge_masks needs at least one mask")
    checked = [_check_mask(m) for m in masks]
    if len({m.shape for m in checked}) != 1:
        raise ValueError(f"masks differ in shape: {[m.shape for m in checked]}")
    return np.maximum.reduce(checked).astype(np.uint8)


def invert_mask(mask: np.ndarray) -> np.ndarray:
    """Swap person and background (for models that paint the white area)."""
    return np.subtract(255, _check_mask(mask), dtype=np.uint8)


# ---------------------------------------------------------------------------------------------------------------
# Paste the real people back onto a generated scene


def paste_people(
    original: Image.Image, generated: Image.Image, person_mask: np.ndarray, *, feather: int = 6
) -> Image.Image:
    """``generated`` with the people of ``original`` on top (mask values >= 128 count as person).

    - Outside the mask the result is ``generated``; inside the mask eroded by ``feather`` px it is ``original``,
      pixel for pixel (faces are never altered).
    - In the band between the two, alpha rises smoothly (smoothstep of the distance to the mask edge) and the
      colour is cleaned of the old background. Each band pixel is modelled as a mix of a foreground colour F,
      pulled from the nearest interior pixel, and the old background colour B, pulled from the nearest pixel
      outside the mask (both lightly smoothed against noise). Projecting the pixel onto the line from F to B
      gives its background share beta; that share is taken out of the colour (``I - beta * (B - F)``) and out of
      the alpha (``alpha * (1 - beta)``). Fringes of a green screen and rims of a too-generous mask therefore
      show the new scene instead of a halo, while detail across the F-B line (hair strands) is kept.
    """
    if original.size != generated.size:
        raise ValueError(f"original is {original.size} but generated is {generated.size}")
    width, height = original.size
    if person_mask.shape != (height, width):
        raise ValueError(f"mask shape {person_mask.shape} does not match the image size {original.size}")
    if feather < 0:
        raise ValueError("feather must not be negative")

    overlay = _overlay(np.asarray(original.convert("RGB")), person_mask, feather)
    return Image.fromarray(overlay.onto(np.asarray(generated.convert("RGB"))))


@dataclass(frozen=True)
class _Overlay:
    """The people of one photo (or tile), ready to lay over any background of its size: ``core`` pixels are the
    photo's own (``core_pixels``), each ``band`` pixel mixes its ``colour`` (the old background taken out) with the
    background by its ``weight``. Nothing here depends on the background, so one photo's themes can share it."""

    core: np.ndarray  # bool (h, w)
    core_pixels: np.ndarray  # uint8 (n, 3), in raster order
    band: np.ndarray  # bool (h, w)
    weight: np.ndarray  # float32 (m, 1), in raster order
    colour: np.ndarray  # float32 (m, 3)

    def onto(self, background: np.ndarray) -> np.ndarray:
        """A new uint8 (h, w, 3) array: ``background`` with the people laid over it."""
        result = np.array(background)
        result[self.core] = self.core_pixels
        if self.weight.size:
            blended = self.weight * self.colour + (1.0 - self.weight) * result[self.band].astype(np.float32)
            result[self.band] = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
        return result

    def cropped(self, left: int, top: int, right: int, bottom: int) -> _Overlay:
        """The same overlay for a rectangle of it (raster order inside a rectangle is the whole's order)."""
        inside = np.zeros_like(self.core)
        inside[top:bottom, left:right] = True
        return _Overlay(
            core=self.core[top:bottom, left:right],
            core_pixels=self.core_pixels[inside[self.core]],
            band=self.band[top:bottom, left:right],
            weight=self.weight[inside[self.band]],
            colour=self.colour[inside[self.band]],
        )


def _overlay(source: np.ndarray, person_mask: np.ndarray, feather: int) -> _Overlay:
    """What :func:`paste_people` lays over a background: everything it computes that does not depend on it."""
    import cv2

    person = _check_mask(person_mask) >= 128
    if feather == 0 or not person.any() or person.all():
        return _hard_overlay(source, person)

    # Exact Euclidean distance of each person pixel to the background (1 at the edge). The image border is no
    # edge: people cut off by the frame are not faded out there.
    depth = cv2.distanceTransform(person.astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    core = depth >= feather
    band = person & ~core
    if not band.any():
        return _hard_overlay(source, core)

    ramp = np.clip((depth[band] - 0.5) / max(feather - 0.5, 0.5), 0.0, 1.0)
    alpha = ramp * ramp * (3.0 - 2.0 * ramp)

    smooth = cv2.blur(source, (3, 3)).reshape(-1, 3).astype(np.float32)
    background = smooth[_nearest(~person)[band]]
    if core.any():
        foreground = smooth[_nearest(core)[band]]
    else:  # a person thinner than the feather: the deepest pixel is the best guess at their colour
        foreground = np.broadcast_to(smooth[int(np.argmax(depth))], background.shape)
    observed = source[band].astype(np.float32)

    spread = background - foreground
    spread_sq = np.einsum("ij,ij->i", spread, spread)
    beta = np.einsum("ij,ij->i", observed - foreground, spread) / np.maximum(spread_sq, 1e-6)
    # When foreground and old background look alike the projection is noise: fade the correction out.
    beta = np.clip(beta, 0.0, 1.0) * (spread_sq / (spread_sq + 24.0**2))

    colour = np.clip(observed - beta[:, None] * spread, 0.0, 255.0)
    weight = (alpha * (1.0 - beta))[:, None]
    return _Overlay(core, source[core], band, weight, colour)


def _hard_overlay(source: np.ndarray, keep: np.ndarray) -> _Overlay:
    return _Overlay(
        keep, source[keep], np.zeros_like(keep), np.zeros((0, 1), np.float32), np.zeros((0, 3), np.float32)
    )


def _nearest(targets: np.ndarray) -> np.ndarray:
    """For every pixel, the flat index of the nearest ``targets`` pixel (OpenCV's 5x5 chamfer distance)."""
    import cv2

    _, labels = cv2.distanceTransformWithLabels(
        (~targets).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_5, labelType=cv2.DIST_LABEL_PIXEL
    )
    # Every target pixel carries its own label; map labels back to positions without assuming their order.
    flat_targets = np.flatnonzero(targets)
    index_of_label = np.zeros(int(labels.max()) + 1, dtype=np.int64)
    index_of_label[labels.reshape(-1)[flat_targets]] = flat_targets
    return index_of_label[labels]


# ---------------------------------------------------------------------------------------------------------------
# Print-quality results: the background grown to the output size, the people from the original at full resolution


def output_size(original_size: tuple[int, int], long_side: int) -> tuple[int, int]:
    """The result's (w, h): the original's aspect ratio with ``long_side`` as its long side, never larger than the
    original (print quality comes from the original's pixels, not from enlarging them); 0 keeps the original's."""
    if long_side < 0:
        raise ValueError("long_side must not be negative")
    width, height = original_size
    if long_side == 0 or long_side >= max(width, height):
        return width, height
    scale = long_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def load_original(
    data: bytes, *, long_side: int, max_pixels: int, max_decoded_bytes: int
) -> tuple[Image.Image, tuple[int, int]]:
    """The upload as upright 8-bit sRGB at :func:`output_size` for ``long_side``, and the original's own size.

    JPEGs decode straight at a reduced scale when the output is smaller (``draft``), so a 24 MP photo never
    occupies full-size memory for a 2048 px result; at the original's size the pixels are the decoder's own,
    untouched. The same limits as :func:`normalise` apply (the upload already passed them in the detect step).
    """
    # ``_decode`` reduces only below ``long_side``: a limit no photo reaches decodes at full size.
    image, original_size = _decode(
        data, max_pixels=max_pixels, max_decoded_bytes=max_decoded_bytes, long_side=long_side or 2**31
    )
    image = _to_rgb(image)
    size = output_size(original_size, long_side)
    if image.size != size:
        image = image.resize(size, Image.Resampling.LANCZOS)
    return image, original_size


def upscale(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``image`` resampled to ``size`` (w, h) with Lanczos: the sharpest of Pillow's filters without ringing halos
    strong enough to show in a painted background."""
    return image.convert("RGB").resize(size, Image.Resampling.LANCZOS)


def upscale_mask(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A soft uint8 mask at ``size`` (w, h): bilinear, so the working mask's stair steps become a ramp whose middle
    (128) follows a smooth contour. :func:`compose_print` refines that ramp against the full-resolution photo."""
    import cv2

    return cv2.resize(np.ascontiguousarray(_check_mask(mask)), size, interpolation=cv2.INTER_LINEAR)


def compose_print(
    original: Image.Image,
    background: Image.Image,
    soft_mask: np.ndarray,
    *,
    feather: int,
    refine_radius: int,
    tile: int = 256,
) -> Image.Image:
    """Paste the people of ``original`` onto ``background`` (both at the output size); ``background`` is changed
    in place and returned. What ``cut_out(original, soft_mask, ...).onto(background)`` gives, a tile at a time,
    so that memory stays a few full-size 8-bit images at 24 MP."""
    if original.size != background.size:
        raise ValueError(f"original is {original.size} but background is {background.size}")
    for box, overlay in _people_tiles(original, soft_mask, feather, refine_radius, tile):
        _lay_tile(background, original, box, overlay)
    return background


@dataclass(frozen=True)
class CutOut:
    """The people of one photo at the output size, ready to lay over any background of that size (one per theme).

    Holds what :func:`compose_print` computes that does not depend on the background: which tiles are copied from
    the photo as they are, and for each tile on the outline its blend (:class:`_Overlay`).
    """

    original: Image.Image
    tiles: tuple[tuple[tuple[int, int, int, int], _Overlay | None], ...]

    def onto(self, background: Image.Image) -> Image.Image:
        """``background`` (RGB, the photo's output size) with the people on it; changed in place and returned."""
        if background.size != self.original.size:
            raise ValueError(f"background is {background.size} but the cut-out is {self.original.size}")
        for box, overlay in self.tiles:
            _lay_tile(background, self.original, box, overlay)
        return background


def cut_out(
    original: Image.Image, soft_mask: np.ndarray, *, feather: int, refine_radius: int, tile: int = 256
) -> CutOut:
    """The people of ``original`` (at the output size) as a :class:`CutOut`: for the themes of one photo made in
    one process, which then share the work (:func:`compose_print` does the same a tile at a time)."""
    return CutOut(original, tuple(_people_tiles(original, soft_mask, feather, refine_radius, tile)))


def _people_tiles(
    original: Image.Image, soft_mask: np.ndarray, feather: int, refine_radius: int, tile: int
) -> Iterator[tuple[tuple[int, int, int, int], _Overlay | None]]:
    """The tiles that carry people: ``(box, None)`` for a tile copied from ``original`` as it is, ``(box, overlay)``
    for a tile on the outline.

    A tile whose neighbourhood is all person is copied as it is (faces keep every original pixel), a tile without
    person is left alone, and only tiles on the outline get the mask refined and the edge blended. There the soft
    mask's ramp is snapped to edges of the photo with a guided filter (He et al., grey guide, ``refine_radius``),
    limited to the ramp itself, and :func:`paste_people`'s blend covers a ``feather`` px band with the old
    background's colour taken out. Each tile is worked on with a margin wide enough that what it gives is what a
    whole-image pass would give.
    """
    width, height = original.size
    if soft_mask.shape != (height, width):
        raise ValueError(f"mask shape {soft_mask.shape} does not match the image size {original.size}")
    if feather < 0 or refine_radius < 0 or tile < 1:
        raise ValueError("feather and refine_radius must not be negative, tile must be positive")
    mask = _check_mask(soft_mask)
    reach = 2 * refine_radius + 1  # the guided filter's output depends on pixels this far away
    margin = 2 * feather + reach + 2
    for y0 in range(0, height, tile):
        for x0 in range(0, width, tile):
            x1, y1 = min(x0 + tile, width), min(y0 + tile, height)
            near = mask[max(y0 - reach, 0) : y1 + reach, max(x0 - reach, 0) : x1 + reach]
            if not near.any():
                continue
            box = (max(x0 - margin, 0), max(y0 - margin, 0), min(x1 + margin, width), min(y1 + margin, height))
            window = mask[box[1] : box[3], box[0] : box[2]]
            if window.min() == 255:
                yield (x0, y0, x1, y1), None
                continue
            source = original.crop(box).convert("RGB")
            refined = _refine_edge(window, source, refine_radius)
            overlay = _overlay(np.asarray(source), refined, feather)
            yield (x0, y0, x1, y1), overlay.cropped(x0 - box[0], y0 - box[1], x1 - box[0], y1 - box[1])


def _lay_tile(
    background: Image.Image, original: Image.Image, box: tuple[int, int, int, int], overlay: _Overlay | None
) -> None:
    if overlay is None:
        background.paste(original.crop(box), box[:2])
    else:
        tile = np.asarray(background.crop(box).convert("RGB"))
        background.paste(Image.fromarray(overlay.onto(tile)), box[:2])


def _refine_edge(soft: np.ndarray, guide: Image.Image, radius: int, eps: float = 1e-3) -> np.ndarray:
    """A 0/255 mask: the soft mask's ramp decided by a guided filter on the photo's grey levels, 128 elsewhere.

    Only pixels on the ramp (neither 0 nor 255, grown by ``radius``) may change, so the filter cannot punch holes
    into a person or leave specks in the background where the photo has texture.
    """
    import cv2

    hard = np.where(soft >= 128, np.uint8(255), np.uint8(0))
    ramp = (soft > 0) & (soft < 255)
    if radius == 0 or not ramp.any():
        return hard
    kernel = np.ones((2 * radius + 1, 2 * radius + 1), np.uint8)
    ramp = cv2.dilate(ramp.astype(np.uint8), kernel).astype(bool)

    grey = cv2.cvtColor(np.asarray(guide), cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    alpha = soft.astype(np.float32) / 255.0
    size = (2 * radius + 1, 2 * radius + 1)

    def mean(values: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(values, -1, size, borderType=cv2.BORDER_REFLECT)

    mean_grey, mean_alpha = mean(grey), mean(alpha)
    covariance = mean(grey * alpha) - mean_grey * mean_alpha
    variance = mean(grey * grey) - mean_grey * mean_grey
    slope = covariance / (variance + eps)
    offset = mean_alpha - slope * mean_grey
    guided = mean(slope) * grey + mean(offset)
    hard[ramp] = np.where(guided[ramp] >= 0.5, np.uint8(255), np.uint8(0))
    return hard
