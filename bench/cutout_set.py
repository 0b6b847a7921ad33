"""The cut-out's reference set (issue 22): photos of people in front of cluttered backgrounds, each with a person
mask made by hand, built at run time from public-domain pictures that ship inside PyPI wheels.

Only two photos of people ship in wheels: scikit-image's astronaut (Eileen Collins, NASA) and matplotlib's Grace
Hopper (US Navy), both public domain. Their person outlines were drawn by hand as polygons
(``bench/reference_masks/*.json``, which say how). The other photos are composites: each person cut out by their
hand-drawn outline, scaled or mirrored, and placed on other pictures from the wheels (scikit-image's rocket launch
(SpaceX, public domain), coffee cup and cat (CC0)). A composite's reference mask is the same polygon, moved as the
person was, so it is exact for the composite by construction.

The last photo is the booth's own camera frame: the astronaut as the e2e tests' fake camera and the booth page
send her (:func:`camera_frame`).

What the set cannot show honestly: a raised hand or long loose hair (neither person has them, and drawing them in
would be a fake); its hardest hair is the astronaut's curled fringe and Grace Hopper's wisps beside her cap.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

REFERENCE_MASKS = Path(__file__).with_name("reference_masks")
_SUBPIXEL_BITS = 4  # cv2.fillPoly's fixed-point shift: polygon corners placed to 1/16 px after scaling


@dataclass(frozen=True)
class ReferencePhoto:
    name: str
    image: Image.Image  # RGB
    person: np.ndarray  # bool (h, w): the hand-made reference, True = person
    about: str
    people: int = 1


@dataclass(frozen=True)
class Outline:
    """One person's hand-drawn outline in their source photo."""

    image: Image.Image
    polygons: list[np.ndarray]  # float (n, 2) each, x and y in the source photo's pixels

    def mask(
        self,
        scale: float = 1.0,
        offset: tuple[float, float] = (0.0, 0.0),
        size: tuple[int, int] | None = None,
        mirror: bool = False,
    ) -> np.ndarray:
        """The outline filled, after scaling (and mirroring) the source and placing it at ``offset``, on a canvas of
        ``size`` (w, h); default: the scaled source's own size."""
        width, height = size or (round(self.image.width * scale), round(self.image.height * scale))
        canvas = np.zeros((height, width), np.uint8)
        points = []
        for polygon in self.polygons:
            placed = polygon.copy()
            if mirror:
                placed[:, 0] = self.image.width - 1 - placed[:, 0]  # pixel x goes to (w - 1 - x)
            # Polygon vertices sit on pixel centres; scaling maps centre to centre.
            placed = (placed + 0.5) * scale - 0.5 + np.asarray(offset)
            points.append(np.round(placed * (1 << _SUBPIXEL_BITS)).astype(np.int32))
        cv2.fillPoly(canvas, points, 255, lineType=cv2.LINE_8, shift=_SUBPIXEL_BITS)
        return canvas > 0


def outline(name: str) -> Outline:
    """The hand-drawn outline of ``astronaut`` or ``grace_hopper`` with its photo."""
    spec = json.loads((REFERENCE_MASKS / f"{name}.json").read_text())
    image = _source(name)
    if list(image.size) != spec["size"]:
        raise ValueError(f"{name}: the polygons were drawn on a {spec['size']} photo, the wheel's is {image.size}")
    return Outline(image, [np.asarray(polygon, np.float64) for polygon in spec["people"]])


def _source(name: str) -> Image.Image:
    if name == "astronaut":
        from skimage import data

        return Image.fromarray(data.astronaut()).convert("RGB")
    if name == "grace_hopper":
        import matplotlib

        with Image.open(os.path.join(matplotlib.get_data_path(), "sample_data", "grace_hopper.jpg")) as image:
            return image.convert("RGB")
    raise ValueError(f"no hand-drawn outline for {name!r}")


def _background(name: str, size: tuple[int, int]) -> Image.Image:
    """A scikit-image picture cropped to ``size``'s aspect ratio (centred) and scaled to it."""
    from skimage import data

    picture = Image.fromarray(getattr(data, name)()).convert("RGB")
    width, height = size
    scale = max(width / picture.width, height / picture.height)
    cropped_w, cropped_h = width / scale, height / scale
    left, top = (picture.width - cropped_w) / 2, (picture.height - cropped_h) / 2
    return picture.resize(size, Image.Resampling.LANCZOS, box=(left, top, left + cropped_w, top + cropped_h))


def _place(
    canvas: np.ndarray, person: np.ndarray, who: Outline, *, height: int, left: int, top: int, mirror: bool = False
) -> None:
    """Paste ``who`` scaled to ``height`` px at (left, top) onto ``canvas`` (uint8 RGB, changed) and add their
    reference to ``person``. The paste's edge is softened by a fraction of a pixel, as a camera's would be."""
    scale = height / who.image.height
    size = (canvas.shape[1], canvas.shape[0])
    source = who.image.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if mirror else who.image
    scaled = np.asarray(source.resize((round(who.image.width * scale), height), Image.Resampling.LANCZOS))
    shifted = np.zeros_like(canvas)
    x0, y0 = max(left, 0), max(top, 0)
    x1, y1 = min(left + scaled.shape[1], size[0]), min(top + scaled.shape[0], size[1])
    shifted[y0:y1, x0:x1] = scaled[y0 - top : y1 - top, x0 - left : x1 - left]
    reference = who.mask(scale, (left, top), size, mirror)
    alpha = cv2.GaussianBlur(reference.astype(np.float32), (0, 0), 0.6)[..., None]
    canvas[:] = np.rint(alpha * shifted + (1 - alpha) * canvas).astype(np.uint8)
    person |= reference


def _composite(background: str, size: tuple[int, int], *people: dict) -> tuple[Image.Image, np.ndarray]:
    canvas = np.array(_background(background, size))
    person = np.zeros((size[1], size[0]), bool)
    for placement in people:
        who = outline(placement.pop("who"))
        _place(canvas, person, who, **placement)
    return Image.fromarray(canvas), person


@cache
def reference_set() -> tuple[ReferencePhoto, ...]:
    """The reference photos, the same every time (built in about a second)."""
    astronaut, hopper = outline("astronaut"), outline("grace_hopper")
    photos = [
        ReferencePhoto(
            "astronaut",
            astronaut.image,
            astronaut.mask(),
            "square; a flag and a shuttle model behind her, a helmet held in front",
        ),
        ReferencePhoto("grace_hopper", hopper.image, hopper.mask(), "portrait; the flag and its gold fringe behind"),
    ]
    # The two-person test photo the issue saw leak: both photos side by side, each with its own background.
    left = astronaut.image.resize((512, 512))
    scale = 512 / hopper.image.height
    right = hopper.image.resize((round(hopper.image.width * scale), 512))
    pair = Image.new("RGB", (left.width + right.width, 512), (200, 200, 200))
    pair.paste(left, (0, 0))
    pair.paste(right, (left.width, 0))
    pair_person = np.zeros((512, pair.width), bool)
    pair_person[:, :512] = astronaut.mask(512 / astronaut.image.height)
    pair_person[:, 512:] = hopper.mask(scale)
    photos.append(ReferencePhoto("side_by_side", pair, pair_person, "landscape, two people, two flags", people=2))

    image, person = _composite(
        "rocket",
        (1024, 768),
        {"who": "astronaut", "height": 600, "left": 0, "top": 168, "mirror": True},
        {"who": "grace_hopper", "height": 560, "left": 546, "top": 208},
    )
    photos.append(
        ReferencePhoto("launch_pad", image, person, "landscape 4:3, two people before a launch tower", people=2)
    )
    image, person = _composite(
        "coffee",
        (768, 1024),
        {"who": "astronaut", "height": 700, "left": 68, "top": 324},
    )
    photos.append(ReferencePhoto("cafe", image, person, "portrait 3:4, the astronaut mirrored over a coffee table"))
    image, person = _composite(
        "chelsea",
        (1024, 640),
        {"who": "grace_hopper", "height": 440, "left": 649, "top": 200},
    )
    photos.append(ReferencePhoto("with_the_cat", image, person, "wide, a smaller person beside a cat"))
    image, person = camera_frame(astronaut)
    photos.append(ReferencePhoto("camera_frame", image, person, "the e2e camera's frame: grey bars, mirrored, JPEG"))
    return tuple(photos)


def camera_frame(who: Outline) -> tuple[Image.Image, np.ndarray]:
    """``who`` as the booth page uploads them from the e2e tests' fake camera (``tests/e2e/camera.py``, the README's
    screenshots): letterboxed into its 640 x 480 frame between grey bars, mirrored by the page (``mirror: true``,
    its default) and sent as a JPEG at 90 % (``web/js/camera.js``), with their outline moved as the picture was.

    A square photo in a 4:3 frame leaves a flat bar beside each side of the picture: the selfie model then took the
    flag between the astronaut's arm and the bar for her (the README's screenshots, docs/decisions.md)."""
    from tests.e2e.camera import HEIGHT, WIDTH, letterbox

    frame = letterbox(who.image).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    scale = min(WIDTH / who.image.width, HEIGHT / who.image.height)
    fitted = (round(who.image.width * scale), round(who.image.height * scale))
    offset = ((WIDTH - fitted[0]) // 2, (HEIGHT - fitted[1]) // 2)  # the frame is mirrored about its centre
    buffer = io.BytesIO()
    frame.save(buffer, format="JPEG", quality=90)  # the page's JPEG_QUALITY
    with Image.open(buffer) as sent:
        image = sent.convert("RGB")
    return image, who.mask(scale, offset, (WIDTH, HEIGHT), mirror=True)


def twelve_megapixels() -> ReferencePhoto:
    """The launch pad photo at 4032 x 3024, a phone camera's 12 MP: for the segment step's time on a large upload."""
    launch = next(photo for photo in reference_set() if photo.name == "launch_pad")
    size = (4032, 3024)
    person = cv2.resize(launch.person.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
    return ReferencePhoto(
        "launch_pad_12mp", launch.image.resize(size, Image.Resampling.LANCZOS), person, "the launch pad at 12 MP", 2
    )
