"""Speed and memory of the image path as ratios against baselines run alongside (``python -m bench [--quick]``).

Ratios, not seconds: a busy machine slows both sides alike. Baselines are the previous system's approaches
(a per-pixel Python loop for the eyewear mask, a full-size decode before resizing) or the plainest correct
alternative (a naive alpha blend for the paste-back).
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import sys
import time
from collections.abc import Callable

import numpy as np
from PIL import Image

from photobooth import imaging
from photobooth.models import Box


def _best_of(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _photo(width: int, height: int) -> bytes:
    """A camera-sized JPEG with photo-like content (smooth gradients plus noise), made here."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([(x * 255 // width), (y * 255 // height), ((x + y) * 255 // (width + height))], axis=-1)
    pixels = np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


# --- mask from boxes: the seed's per-pixel loop vs numpy ------------------------------------------------------------


def _loop_mask(boxes: list[Box], size: tuple[int, int]) -> np.ndarray:
    width, height = size
    mask = np.zeros((height, width), np.uint8)
    for y in range(height):
        for x in range(width):
            for box in boxes:
                if box.x0 <= x < box.x1 and box.y0 <= y < box.y1:
                    mask[y, x] = 255
    return mask


def bench_mask(quick: bool) -> str:
    size = (256, 256) if quick else (512, 512)
    boxes = [Box(x0=40, y0=30, x1=120, y1=110), Box(x0=150, y0=60, x1=230, y1=140)]
    ours = _best_of(lambda: imaging.boxes_mask(boxes, size), 5)
    baseline = _best_of(lambda: _loop_mask(boxes, size), 1)
    assert (imaging.boxes_mask(boxes, size) == _loop_mask(boxes, size)).all()
    return f"box mask {size[0]}x{size[1]}: numpy is {baseline / ours:,.0f}x faster than the per-pixel loop"


# --- normalise: draft decode + uniform scale vs full decode then resize ---------------------------------------------


def _naive_normalise(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    image.load()
    scale = 1024 / max(image.size)
    return image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)


def _ours(data: bytes) -> Image.Image:
    return imaging.normalise(data, max_bytes=50_000_000, max_pixels=60_000_000)[0]


def _status_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _peak_rss_child(which: str, data: bytes, queue: multiprocessing.Queue) -> None:
    """Peak resident memory the work adds: Linux resets the high-water mark when "5" is written to clear_refs,
    so imports done before do not hide it."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    before = _status_kib("VmRSS")
    (_ours if which == "ours" else _naive_normalise)(data)
    queue.put(_status_kib("VmHWM") - before)


def _peak_rss(which: str, data: bytes) -> float:
    context = multiprocessing.get_context("spawn")  # a fresh process: its peak is this work alone
    queue: multiprocessing.Queue = context.Queue()
    child = context.Process(target=_peak_rss_child, args=(which, data, queue))
    child.start()
    grown = queue.get(timeout=120)
    child.join(timeout=30)
    return max(float(grown), 1.0)


def bench_normalise(quick: bool) -> list[str]:
    width, height = (2000, 1500) if quick else (4032, 3024)
    data = _photo(width, height)
    ours = _best_of(lambda: _ours(data), 3)
    naive = _best_of(lambda: _naive_normalise(data), 3)
    lines = [f"normalise {width}x{height} JPEG: {naive / ours:.1f}x faster than decode-then-resize"]
    if not quick and sys.platform == "linux":
        ours_rss, naive_rss = _peak_rss("ours", data), _peak_rss("naive", data)
        lines.append(
            f"normalise {width}x{height} JPEG: peak memory {ours_rss / naive_rss:.2f}x of decode-then-resize"
        )
    return lines


# --- paste-back: feather + colour clean-up vs a naive alpha blend ---------------------------------------------------


def bench_paste(quick: bool) -> str:
    side = 512 if quick else 1024
    rng = np.random.default_rng(1)
    original = Image.fromarray(rng.integers(0, 255, (side, side, 3), dtype=np.uint8))
    generated = Image.fromarray(rng.integers(0, 255, (side, side, 3), dtype=np.uint8))
    mask = np.zeros((side, side), np.uint8)
    mask[side // 4 : side, side // 3 : 2 * side // 3] = 255

    def naive() -> Image.Image:
        alpha = (mask.astype(np.float32) / 255)[..., None]
        blended = np.asarray(original) * alpha + np.asarray(generated) * (1 - alpha)
        return Image.fromarray(blended.astype(np.uint8))

    ours = _best_of(lambda: imaging.paste_people(original, generated, mask), 5)
    baseline = _best_of(naive, 5)
    return f"paste-back {side}x{side}: {ours / baseline:.1f}x the time of a naive alpha blend (it also removes halos)"


def run(quick: bool = False) -> list[str]:
    lines = [bench_mask(quick), *bench_normalise(quick), bench_paste(quick)]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args()
    started = time.perf_counter()
    for line in run(args.quick):
        print(line, flush=True)
    print(f"({time.perf_counter() - started:.1f}s)", file=sys.stderr)
    return 0
