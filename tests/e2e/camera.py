"""A fake webcam for Chromium: a still photo written as a short Y4M clip (``--use-file-for-fake-video-capture``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

WIDTH, HEIGHT = 640, 480
FRAMES = 3


def letterbox(image: Image.Image, width: int = WIDTH, height: int = HEIGHT) -> Image.Image:
    """The photo scaled to fit the camera frame, centred on a neutral grey background."""
    scale = min(width / image.width, height / image.height)
    fitted = image.convert("RGB").resize((round(image.width * scale), round(image.height * scale)), Image.LANCZOS)
    frame = Image.new("RGB", (width, height), (128, 128, 128))
    frame.paste(fitted, ((width - fitted.width) // 2, (height - fitted.height) // 2))
    return frame


def _yuv420(frame: Image.Image) -> bytes:
    """BT.601 full-range planar Y, U, V with 2x2 chroma subsampling, as Y4M's C420jpeg expects."""
    y, u, v = (np.asarray(plane, dtype=np.float32) for plane in frame.convert("YCbCr").split())
    h, w = y.shape

    def subsample(plane: np.ndarray) -> np.ndarray:
        return plane.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))

    planes = (y, subsample(u), subsample(v))
    return b"".join(np.clip(np.rint(p), 0, 255).astype(np.uint8).tobytes() for p in planes)


def write_y4m(image: Image.Image, path: Path) -> Path:
    """Write ``image`` as a few identical 30 fps frames; Chromium loops the clip."""
    frame = letterbox(image)
    header = f"YUV4MPEG2 W{frame.width} H{frame.height} F30:1 Ip A1:1 C420jpeg\n".encode()
    payload = _yuv420(frame)
    with path.open("wb") as out:
        out.write(header)
        for _ in range(FRAMES):
            out.write(b"FRAME\n")
            out.write(payload)
    return path
