"""Inputs and recorded outputs for the speed-up tests: what GrabCut and the painted scenes produced before they
were made faster.

``tests/unit/reference/before_speedups.npz`` was written by ``python -m tests.support.reference_outputs`` on the
code before the speed-ups (commit ac9933a). Re-running it now would record the new code, so only do that when a
change is meant to alter the pictures, and say so in the commit. ``--masks`` records GrabCut's masks (and the face
boxes) alone and keeps the scenes: it was run when GrabCut's certain-person seed became the face's oval instead of
its box and GrabCut went back to four rounds (docs/decisions.md, "A face is the oval inside its detector box"),
which changed 0.2-1.9 % of each mask's pixels, beside the faces and necks.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from photobooth.models import Box, Theme
from photobooth.offline.scenes import SCENE_KEYWORDS
from tests.support import portraits

REFERENCE = Path(__file__).resolve().parent.parent / "unit" / "reference" / "before_speedups.npz"

# One theme per painted scene (the keyword picks it), and two seeds each.
SCENE_THEMES = [Theme(name=scene, prompt=f"a {scene.replace('-', ' ')}") for scene in SCENE_KEYWORDS] + [
    Theme(name="retro", prompt="a retro disco party")
]
SCENE_SEEDS = (7, 20261130)
SMALL_SCENE = (96, 72)  # compared pixel by pixel
LARGE_SCENE = (1024, 768)  # the booth's working size; compared after an area reduction to SCENE_SUMMARY
SCENE_SUMMARY = (64, 48)


def segmentation_photos() -> dict[str, Image.Image]:
    """The test portraits as the pipeline hands them to the segmenter (long side at most 1024)."""
    return {
        "astronaut": portraits.astronaut(),
        "astronaut_1024": portraits.astronaut().resize((1024, 1024), Image.Resampling.LANCZOS),
        "grace_hopper": portraits.grace_hopper(),
        "group_of_two": portraits.group_of_two(),
    }


def scene_mask(size: tuple[int, int]) -> np.ndarray:
    """A person standing right of centre, so the scenes' centrepiece goes left."""
    width, height = size
    mask = np.zeros((height, width), np.uint8)
    mask[height // 4 :, width // 2 : width * 3 // 4] = 255
    return mask


def summarise(scene: Image.Image) -> np.ndarray:
    """An area-average reduction in float32: a pixel difference of at most d stays at most d here."""
    return cv2.resize(np.asarray(scene, np.float32), SCENE_SUMMARY, interpolation=cv2.INTER_AREA)


def scene_key(theme: Theme, seed: int, size: tuple[int, int]) -> str:
    return f"scene/{zlib.crc32(theme.name.encode()):08x}/{seed}/{size[0]}x{size[1]}"


def _record(*, masks_only: bool = False) -> None:
    from photobooth.offline.faces import BundledFaceDetector
    from photobooth.offline.scenes import ProceduralSceneGenerator
    from photobooth.offline.segmentation import GrabCutSegmenter

    arrays: dict[str, np.ndarray] = {}
    if masks_only:
        with np.load(REFERENCE) as recorded:
            arrays = {key: recorded[key] for key in recorded.files if key.startswith("scene/")}
    detector, segmenter = BundledFaceDetector(), GrabCutSegmenter()
    for name, photo in segmentation_photos().items():
        boxes = [face.box for face in detector.detect_faces(photo)]
        arrays[f"boxes/{name}"] = np.array([[b.x0, b.y0, b.x1, b.y1] for b in boxes], np.int32)
        mask = segmenter.segment(photo, boxes)
        arrays[f"mask/{name}"] = np.packbits(mask >= 128)
        arrays[f"shape/{name}"] = np.array(mask.shape)
    if masks_only:
        np.savez_compressed(REFERENCE, **arrays)
        return
    generator = ProceduralSceneGenerator()
    for theme in SCENE_THEMES:
        for seed in SCENE_SEEDS:
            for size in (SMALL_SCENE, LARGE_SCENE):
                image = Image.new("RGB", size)
                scene = generator.generate(image, scene_mask(size), theme, seed)
                key = scene_key(theme, seed, size)
                arrays[key] = np.asarray(scene) if size == SMALL_SCENE else summarise(scene).astype(np.float16)
    np.savez_compressed(REFERENCE, **arrays)


def boxes_for(reference: np.lib.npyio.NpzFile, name: str) -> list[Box]:
    return [Box(x0=int(a), y0=int(b), x1=int(c), y1=int(d)) for a, b, c, d in reference[f"boxes/{name}"]]


def mask_for(reference: np.lib.npyio.NpzFile, name: str) -> np.ndarray:
    shape = tuple(int(v) for v in reference[f"shape/{name}"])
    bits = np.unpackbits(reference[f"mask/{name}"])[: shape[0] * shape[1]]
    return bits.reshape(shape).astype(bool)


if __name__ == "__main__":
    import sys

    _record(masks_only="--masks" in sys.argv[1:])
