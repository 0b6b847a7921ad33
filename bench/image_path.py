"""The image path against baselines run alongside in the same process: the seed's own code (``bench.seed``),
the previous setting of this code where a change was a pure speed-up, or the plainest correct alternative.

Both sides of each pair are interleaved over several rounds (``bench.timing``); ratios of medians are printed,
and where ours is slower the line says so and why.
"""

from __future__ import annotations

import base64
import io
import multiprocessing
import sys

import numpy as np
from PIL import Image

from bench import seed
from bench.timing import interleaved, ratio_line
from photobooth import imaging
from photobooth.models import Box
from photobooth.ports import Segmenter


def _photo(width: int, height: int) -> bytes:
    """A camera-sized JPEG with photo-like content (smooth gradients plus noise), made here."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([(x * 255 // width), (y * 255 // height), ((x + y) * 255 // (width + height))], axis=-1)
    pixels = np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def _astronaut(side: int) -> Image.Image:
    from skimage import data

    return Image.fromarray(data.astronaut()).resize((side, side), Image.Resampling.LANCZOS)


# --- SAM mask to the model's mask: the seed's per-pixel loops vs numpy -------------------------------------------


def bench_mask(quick: bool) -> list[str]:
    side = 256 if quick else 1024
    person = np.zeros((side, side), np.uint8)
    person[side // 5 :, side // 4 : 3 * side // 4] = 255
    buffer = io.BytesIO()
    Image.fromarray(person).save(buffer, format="PNG")
    sam_b64 = base64.b64encode(buffer.getvalue()).decode()
    eyewear = [Box(x0=side * 3 // 8, y0=side // 4, x1=side * 5 // 8, y1=side * 5 // 16)]

    def seed_side() -> np.ndarray:
        return seed.seed_paint_eyewear(seed.seed_mask_from_sam(sam_b64, (side, side)), eyewear)

    def ours() -> np.ndarray:
        people = imaging.decode_mask_png(base64.b64decode(sam_b64))
        return imaging.invert_mask(imaging.merge_masks(people, imaging.boxes_mask(eyewear, (side, side))))

    assert np.array_equal(seed_side()[..., 0], ours()), "the two sides must paint the same mask"
    spreads = interleaved({"ours": ours, "seed": seed_side}, rounds=2 if quick else 3)
    label = f"SAM mask + eyewear -> model mask, {side}x{side}: numpy vs the seed's per-pixel loops"
    return ratio_line(label, spreads["ours"], spreads["seed"])


# --- loading an upload: ours vs the seed's NEAREST resize ----------------------------------------------------------


def _ours_normalise(data: bytes) -> Image.Image:
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
    (_ours_normalise if which == "ours" else seed.seed_load)(data)
    queue.put(_status_kib("VmHWM") - before)


def _peak_rss(which: str, data: bytes) -> float:
    context = multiprocessing.get_context("spawn")  # a fresh process: its peak is this work alone
    queue: multiprocessing.Queue = context.Queue()
    child = context.Process(target=_peak_rss_child, args=(which, data, queue))
    child.start()
    grown = queue.get(timeout=300)
    child.join(timeout=60)
    return max(float(grown), 1.0)


def bench_normalise(quick: bool) -> list[str]:
    width, height = (2000, 1500) if quick else (4032, 3024)
    data = _photo(width, height)
    spreads = interleaved(
        {"ours": lambda: _ours_normalise(data), "seed": lambda: seed.seed_load(data)}, rounds=3 if quick else 5
    )
    lines = ratio_line(
        f"load a {width}x{height} JPEG: draft decode + LANCZOS + edge padding vs the seed's full decode + NEAREST",
        spreads["ours"],
        spreads["seed"],
        why_slower="LANCZOS filtering, EXIF orientation and edge padding keep the aspect ratio and avoid aliasing; "
        "the seed's NEAREST resize distorts the picture (the other side floored to a multiple of 64).",
    )
    if not quick and sys.platform == "linux":
        ours_rss, seed_rss = _peak_rss("ours", data), _peak_rss("seed", data)
        lines.append(f"    peak memory: ours {ours_rss / 1024:.0f} MiB, seed {seed_rss / 1024:.0f} MiB")
    return lines


# --- PNG for Bedrock and SAM: zlib level 1 (now) vs Pillow's default level 6 (before) -------------------------------


def bench_png(quick: bool) -> list[str]:
    working = _astronaut(512 if quick else 1024)

    def level_6() -> bytes:
        buffer = io.BytesIO()
        working.save(buffer, format="PNG")
        return buffer.getvalue()

    spreads = interleaved({"ours": lambda: imaging.encode_png(working), "before": level_6}, rounds=3 if quick else 5)
    extra = len(imaging.encode_png(working)) / len(level_6()) - 1
    lines = ratio_line(
        f"PNG for the image models {working.width}x{working.height}: zlib level 1 vs Pillow's default (before)",
        spreads["ours"],
        spreads["before"],
    )
    lines.append(f"    bytes: {extra:+.0%} (lossless either way)")
    return lines


# --- the working image handed to the later steps: raw TIFF (now) vs PNG at zlib level 1 (before) ----------------


def bench_working_image(quick: bool) -> list[str]:
    """One write by the detect step and one read, as the segment step and each generate step read it."""
    working = _astronaut(512 if quick else 1024)

    def read(data: bytes) -> Image.Image:
        with Image.open(io.BytesIO(data)) as image:
            return image.convert("RGB")

    spreads = interleaved(
        {
            "ours": lambda: read(imaging.encode_working_image(working)),
            "before": lambda: read(imaging.encode_png(working)),
        },
        rounds=3 if quick else 5,
    )
    more = len(imaging.encode_working_image(working)) - len(imaging.encode_png(working))
    lines = ratio_line(
        f"working image {working.width}x{working.height}, written once and read once: raw TIFF vs PNG level 1 "
        "(the code before)",
        spreads["ours"],
        spreads["before"],
    )
    lines.append(f"    bytes: {more / 2**20:+.1f} MiB per request in S3 (lossless either way)")
    return lines


def _segmenters(
    quick: bool, title: str, ours: Segmenter, before: Segmenter, why_slower: str = ""
) -> tuple[list[str], float]:
    """Both segmenters on the astronaut, interleaved; the ratio lines and the IoU of their masks."""
    from photobooth.offline.faces import BundledFaceDetector

    photo = _astronaut(512 if quick else 1024)
    boxes = [face.box for face in BundledFaceDetector().detect_faces(photo)]
    spreads = interleaved(
        {"ours": lambda: ours.segment(photo, boxes), "before": lambda: before.segment(photo, boxes)},
        rounds=2 if quick else 3,
    )
    mask_ours, mask_before = ours.segment(photo, boxes) >= 128, before.segment(photo, boxes) >= 128
    iou = float((mask_ours & mask_before).sum() / (mask_ours | mask_before).sum())
    title = title.format(size=f"{photo.width}x{photo.height}")
    return ratio_line(title, spreads["ours"], spreads["before"], why_slower), iou


# --- GrabCut, the fallback segmenter: 4 rounds (now) vs 3 (before the face's oval became its seed) ----------------


def bench_grabcut(quick: bool) -> list[str]:
    from photobooth.offline.segmentation import GrabCutSegmenter

    lines, iou = _segmenters(
        quick,
        "GrabCut on a {size} portrait: 4 rounds vs 3 (the setting before the face's oval became its seed)",
        GrabCutSegmenter(),
        GrabCutSegmenter(iterations=3),
        "with only the face's oval certain person, the fourth round removes a patch of wall beside her neck that "
        "the third leaves",
    )
    return [*lines, f"    mask IoU against the 3-round mask: {iou:.4f}"]


def bench_selfie(quick: bool) -> list[str]:
    """The default offline segmenter against today's GrabCut (the fallback: 4 rounds, the face's oval as its seed).
    When the selfie model replaced GrabCut, GrabCut ran 3 rounds with the face's box as its seed; that code is not
    run here, so the line names the GrabCut it measures. Not a pure speed-up: a different model, so the masks
    differ; the IoU says by how much, and tests/unit/test_offline_models.py holds both to one bar."""
    from photobooth.offline.segmentation import GrabCutSegmenter, SelfieSegmenter

    lines, iou = _segmenters(
        quick,
        "person mask of a {size} portrait: the selfie model vs today's GrabCut fallback (4 rounds, oval seed)",
        SelfieSegmenter(),
        GrabCutSegmenter(),
    )
    return [*lines, f"    mask IoU against GrabCut's: {iou:.2f} (the selfie model keeps the helmet she holds)"]


# --- paste-back: feather + colour clean-up vs a naive alpha blend ---------------------------------------------------


def bench_paste(quick: bool) -> list[str]:
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

    spreads = interleaved(
        {"ours": lambda: imaging.paste_people(original, generated, mask), "naive": naive}, rounds=3 if quick else 5
    )
    return ratio_line(
        f"paste-back {side}x{side}: ours vs a naive alpha blend (the seed pasted nothing back)",
        spreads["ours"],
        spreads["naive"],
        why_slower="the feathered edge and the colour clean-up (no halo of the old background) cost distance "
        "transforms and per-pixel colour maths that a hard alpha blend skips.",
    )


def run(quick: bool = False) -> list[str]:
    lines: list[str] = []
    for section in (
        bench_mask,
        bench_normalise,
        bench_png,
        bench_working_image,
        bench_selfie,
        bench_grabcut,
        bench_paste,
    ):
        lines.extend(section(quick))
    return lines
