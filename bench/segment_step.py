"""The segment step in a Lambda-like sandbox: GrabCut against the selfie model on ONNX Runtime (issue 22 item 3).

    python -m bench.segment_step [--quick] [--rounds N]

What the segment function does on AWS, run here as the real step (``pipeline.segment``: read the working image,
cut the people out, merge faces and eyewear, write the mask PNG) with in-memory stores, in a child process that
has what the function has:

- **one core**: ``taskset -c 0``. The function has 2048 MB, which Lambda pairs with a little over one vCPU (1,769 MB
  is one full vCPU: https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html); ONNX Runtime and GrabCut
  run on one thread here anyway;
- **its memory as a limit**: a cgroup (v1 ``memory.limit_in_bytes`` or v2 ``memory.max``) of the function's size
  (``cost.memory_mb("segment")``), when this machine lets us make one (as root); otherwise the line says so.

Photos: the scikit-image astronaut and matplotlib's Grace Hopper (public domain) pasted side by side on
scikit-image's coffee cup, at 12 MP (4000 x 3000) and 2 MP (1632 x 1224), as JPEGs. detect_face normalises a photo to
the working image (long side 1024) before the segment step, so the step reads the same size for both; the 12 MP line
still shows what the working image of a camera photo costs. Faces come from the offline detector (Rekognition's
boxes on AWS), found before the timing.

Both segmenters are built before the timing (the segment function builds its segmenter at init, in SnapStart's
snapshot); the build time is printed on its own line. Then the two steps alternate (``bench.timing.interleaved``:
CPU seconds of the child, one untimed warm-up each) and the ratio of medians is printed against GrabCut, the
fallback the selfie model replaces as the default.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUEST_ID = "bench-segment-step"
PHOTOS = {"12 MP": (4000, 3000), "2 MP": (1632, 1224)}


def _photo(width: int, height: int) -> bytes:
    from tests.support import portraits

    scale = width / 4000
    background = portraits.coffee().resize((width, height))
    hopper = portraits.grace_hopper().resize((round(1700 * scale), round(2000 * scale)))
    astronaut = portraits.astronaut().resize((round(1900 * scale), round(1900 * scale)))
    background.paste(hopper, (round(200 * scale), round(1000 * scale)))
    background.paste(astronaut, (round(2000 * scale), round(1100 * scale)))
    buffer = io.BytesIO()
    background.save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def _child(rounds: int) -> dict:
    """In the sandbox: both segmenters on both photos, through the real step."""
    from bench.timing import interleaved
    from photobooth import imaging, pipeline
    from photobooth.config import Settings
    from photobooth.offline.faces import BundledFaceDetector
    from photobooth.offline.segmentation import GrabCutSegmenter, offline_segmenter
    from photobooth.offline.selfie_model import SELFIE_ONNX, OnnxSelfieModel
    from tests.support.fakes import MemoryObjectStore

    settings = Settings(backend="offline")
    started = time.process_time()
    selfie = offline_segmenter("selfie", model=SELFIE_ONNX)
    selfie_build = time.process_time() - started
    assert isinstance(selfie._model, OnnxSelfieModel), "the selfie model on ONNX Runtime"  # type: ignore[union-attr]
    started = time.process_time()
    grabcut = GrabCutSegmenter()
    grabcut_build = time.process_time() - started
    detector = BundledFaceDetector()

    results: dict = {"build": {"selfie": selfie_build, "grabcut": grabcut_build}, "photos": {}}
    for name, (width, height) in PHOTOS.items():
        data = _photo(width, height)
        working, transform = pipeline.working_image(data, settings)
        content = transform.crop_to_content(working)
        faces = [face.box for face in detector.detect_faces(content)]
        store = MemoryObjectStore()
        input_key = f"work/{REQUEST_ID}/input.tiff"
        store.put(input_key, imaging.encode_working_image(working), "image/tiff")
        content_width, content_height = transform.content_size
        request = pipeline.SegmentRequest(
            requestId=REQUEST_ID,
            bucket="bench",
            detection=pipeline.Detection(
                sourceKey=f"photo/{REQUEST_ID}/visitor.jpg",
                inputKey=input_key,
                faces=faces,
                contentWidth=content_width,
                contentHeight=content_height,
            ),
        )
        spreads = interleaved(
            {
                "selfie": lambda request=request, store=store: pipeline.segment(
                    request, store=store, segmenter=selfie
                ),
                "grabcut": lambda request=request, store=store: pipeline.segment(
                    request, store=store, segmenter=grabcut
                ),
            },
            rounds=rounds,
        )
        results["photos"][name] = {
            "size": [width, height],
            "working": list(working.size),
            "faces": len(faces),
            "selfie": list(spreads["selfie"].values),
            "grabcut": list(spreads["grabcut"].values),
        }
    results["cpus"] = sorted(os.sched_getaffinity(0))
    return results


# --- the sandbox ----------------------------------------------------------------------------------------------


def _memory_cgroup(limit_mb: int) -> tuple[Path, str] | None:
    """A fresh memory cgroup under this process's own, limited to ``limit_mb``; None where none can be made."""
    limit = str(limit_mb * 2**20)
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controllers == "memory":  # cgroup v1
            parent, limit_file = Path("/sys/fs/cgroup/memory") / path.lstrip("/"), "memory.limit_in_bytes"
        elif controllers == "" and Path("/sys/fs/cgroup/cgroup.controllers").is_file():  # cgroup v2
            parent, limit_file = Path("/sys/fs/cgroup") / path.lstrip("/"), "memory.max"
        else:
            continue
        group = parent / f"photobooth-bench-{os.getpid()}"
        try:
            group.mkdir()
            (group / limit_file).write_text(limit)
        except OSError:
            with contextlib.suppress(OSError):
                group.rmdir()
            continue
        return group, limit_file
    return None


def _peak_mb(group: Path) -> float | None:
    for name in ("memory.max_usage_in_bytes", "memory.peak"):
        with contextlib.suppress(OSError, ValueError):
            return int((group / name).read_text()) / 2**20
    return None


def run(quick: bool = False, rounds: int | None = None) -> list[str]:
    from bench.timing import Spread, ratio_line
    from photobooth import cost

    rounds = rounds or (3 if quick else 7)
    memory_mb = cost.memory_mb("segment")
    group = _memory_cgroup(memory_mb)
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    # The child joins the cgroup before it imports anything: everything it allocates counts.
    join = f"open({str(group[0] / 'cgroup.procs')!r}, 'w').write(str(__import__('os').getpid()));" if group else ""
    code = f"{join}import json, bench.segment_step as s; print(json.dumps(s._child({rounds})))"
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    try:
        done = subprocess.run(
            [*pin, sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=False
        )
        peak = _peak_mb(group[0]) if group else None
    finally:
        if group:
            with contextlib.suppress(OSError):
                group[0].rmdir()
    if done.returncode != 0:
        return [f"segment step: the sandboxed child failed ({done.returncode}): {done.stderr.strip()[-2000:]}"]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    sandbox = (
        f"cpus {result['cpus']}"
        + (f", memory cgroup of {memory_mb} MB (the function's), peak {peak:.0f} MB" if group and peak else "")
        + ("" if group else ", no memory cgroup (needs root and a writable cgroup tree)")
    )
    lines = [
        f"segment step in a Lambda-like sandbox ({sandbox}); building the segmenter (at init, in the snapshot): "
        f"selfie model {result['build']['selfie'] * 1000:.0f} ms, GrabCut {result['build']['grabcut'] * 1000:.0f} ms"
    ]
    for name, photo in result["photos"].items():
        width, height = photo["size"]
        lines += ratio_line(
            f"segment step, {name} photo ({width}x{height}, working image {photo['working'][0]}x"
            f"{photo['working'][1]}, {photo['faces']} faces): selfie model on ONNX Runtime vs GrabCut",
            Spread(tuple(photo["selfie"])),
            Spread(tuple(photo["grabcut"])),
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.segment_step", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="three rounds instead of seven")
    parser.add_argument("--rounds", type=int, help="rounds of each step")
    args = parser.parse_args()
    print("\n".join(run(args.quick, args.rounds)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
