"""Peak memory of the generate step on a 24 MP photo (``python -m bench.print_memory [--quick]``).

The step runs in a fresh subprocess, so its high-water mark is its own: the photo, working image and mask are
made by this process and handed over as files. Reported per output size: the process peak (``VmHWM``, what
Lambda's memory setting must hold; ``ru_maxrss`` where /proc is missing), the peak minus the process after imports
and inputs (what the step itself adds), and tracemalloc's peak of Python-visible allocations (numpy arrays;
Pillow's own buffers are not traced).
The generate function's memory setting (infra/photobooth_infra/constants.py) is the budget it is compared with.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from photobooth import imaging

REQUEST_ID = "bench-print-01"
PHOTO_KEY = f"photo/{REQUEST_ID}/photo.jpg"
# infra/photobooth_infra/constants.py GENERATE.memory_mb; read from there when the CDK libraries are installed.
GENERATE_MEMORY_MB_FALLBACK = 1024


def generate_memory_mb() -> int:
    try:
        from photobooth_infra.constants import GENERATE
    except ImportError:
        return GENERATE_MEMORY_MB_FALLBACK
    return GENERATE.memory_mb


def _photo(width: int, height: int) -> bytes:
    """A camera-like JPEG: smooth gradients with sensor noise, a light oval where the person stands."""
    rng = np.random.default_rng(0)
    y, x = np.ogrid[0:height, 0:width]
    base = np.empty((height, width, 3), np.uint8)
    base[..., 0] = (x * 200 // width).astype(np.uint8)
    base[..., 1] = (y * 200 // height).astype(np.uint8)
    base[..., 2] = 90
    person = ((x - width / 2) / (width / 4)) ** 2 + ((y - height * 0.6) / (height / 2.5)) ** 2 <= 1
    base[person] = 210
    base += rng.integers(0, 24, (height, width, 1), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(base).save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def _inputs(folder: Path, width: int, height: int) -> dict:
    """The upload, the working image and the mask the earlier steps would have written."""
    photo = _photo(width, height)
    working, transform = imaging.normalise(photo, max_bytes=50_000_000, max_pixels=60_000_000)
    content_w, content_h = transform.content_size
    y, x = np.ogrid[0 : working.height, 0 : working.width]
    oval = ((x - content_w / 2) / (content_w / 4)) ** 2 + ((y - content_h * 0.6) / (content_h / 2.5)) ** 2 <= 1
    mask = np.where(oval, 255, 0).astype(np.uint8)
    (folder / "photo.jpg").write_bytes(photo)
    (folder / "input.tiff").write_bytes(imaging.encode_working_image(working))
    (folder / "mask.png").write_bytes(imaging.encode_mask_png(mask))
    return {"contentWidth": content_w, "contentHeight": content_h, "photoBytes": len(photo)}


def _proc_status_kib(field: str) -> int | None:
    """A memory figure of this process from /proc (Linux), in KiB; ``None`` elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak() -> None:
    """Start VmHWM again from the current size, so the peak is the step's and not the setup's (Linux >= 4.0)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _child(folder: Path, output_long_side: int, content_width: int, content_height: int) -> dict:
    """Runs in the subprocess: one generate step with the offline generator and in-memory stores."""
    import resource
    import tracemalloc

    from photobooth import pipeline
    from photobooth.config import Settings
    from photobooth.offline.scenes import ProceduralSceneGenerator
    from tests.support.fakes import MemoryObjectStore, MemoryStatusStore

    store = MemoryObjectStore()
    store.put(PHOTO_KEY, (folder / "photo.jpg").read_bytes(), "image/jpeg")
    store.put(f"work/{REQUEST_ID}/input.tiff", (folder / "input.tiff").read_bytes(), "image/tiff")
    store.put(f"work/{REQUEST_ID}/mask.png", (folder / "mask.png").read_bytes(), "image/png")
    status = MemoryStatusStore()
    status.create_pending({"requestId": REQUEST_ID, "status": "PROCESSING", "images": {}})
    request = pipeline.GenerateRequest(
        requestId=REQUEST_ID,
        bucket="bench",
        key=PHOTO_KEY,
        theme="cosmos",
        index=1,
        inputKey=f"work/{REQUEST_ID}/input.tiff",
        maskKey=f"work/{REQUEST_ID}/mask.png",
        contentWidth=content_width,
        contentHeight=content_height,
    )
    settings = Settings(backend="offline", output_long_side=output_long_side)
    generator = ProceduralSceneGenerator()
    before_kib = _proc_status_kib("VmRSS") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _reset_peak()
    tracemalloc.start()
    result = pipeline.generate(request, store=store, status=status, generator=generator, settings=settings)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # ru_maxrss carries the parent's high-water mark across fork and exec on Linux; VmHWM is this process's own.
    peak_kib = _proc_status_kib("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with Image.open(io.BytesIO(store.get(result["key"]))) as image:
        size = image.size
    return {
        "status": result["status"],
        "size": size,
        "before_mb": before_kib / 1024,
        "peak_mb": peak_kib / 1024,
        "traced_peak_mb": traced_peak / 2**20,
    }


def measure(width: int, height: int, output_long_sides: tuple[int, ...]) -> list[dict]:
    with tempfile.TemporaryDirectory() as folder:
        shape = _inputs(Path(folder), width, height)
        results = []
        for long_side in output_long_sides:
            command = [
                sys.executable,
                "-m",
                "bench.print_memory",
                "--child",
                folder,
                str(long_side),
                str(shape["contentWidth"]),
                str(shape["contentHeight"]),
            ]
            root = Path(__file__).resolve().parent.parent
            environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "src"), str(root)])}
            done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=environment, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"the generate step failed in the subprocess:\n{done.stderr[-2000:]}")
            results.append({"output_long_side": long_side, **json.loads(done.stdout.strip().splitlines()[-1])})
        return results


def run(quick: bool = False) -> list[str]:
    width, height = (3000, 2000) if quick else (6000, 4000)
    budget = generate_memory_mb()
    lines = []
    for found in measure(width, height, (2048, 0)):
        rule = "default 2048" if found["output_long_side"] else "0 = the original's size"
        lines.append(
            f"generate step, {width}x{height} ({width * height / 1e6:.0f} MP) photo, output_long_side "
            f"{rule} -> {found['size'][0]}x{found['size'][1]}: peak RSS {found['peak_mb']:.0f} MB "
            f"({found['peak_mb'] - found['before_mb']:.0f} MB over the loaded process, numpy/Python peak "
            f"{found['traced_peak_mb']:.0f} MB) of the function's {budget} MB"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a 6 MP photo instead of 24 MP")
    parser.add_argument(
        "--child", nargs=4, metavar=("FOLDER", "LONG_SIDE", "WIDTH", "HEIGHT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        folder, long_side, content_width, content_height = args.child
        print(json.dumps(_child(Path(folder), int(long_side), int(content_width), int(content_height))))
        return 0
    for line in run(args.quick):
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
