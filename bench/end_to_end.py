"""End-to-end figures, each from fresh child processes (``bench.workloads`` or the real ``photobooth`` CLI):
warm seconds per photo, a cold ``photobooth run`` (start-up, first photo, four photos), handler imports with and
without bytecode, and resident memory after ten photos with and without the malloc arena limit.

Wall seconds are what a visitor waits on an idle machine; on a shared one they mostly measure the neighbours, so
CPU seconds of the child are printed too.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.targets import Samples
from bench.timing import Spread
from photobooth import native_threads

ROOT = Path(__file__).resolve().parents[1]
HANDLERS = ("presign", "status", "detect_face", "segment", "generate", "finalize")
# glibc's own default arena cap on this machine: eight per core.
GLIBC_DEFAULT_ARENAS = str(8 * (os.cpu_count() or 1))


def _python(
    arguments: list[str], env: dict[str, str | None] | None = None, timeout: float = 1800
) -> tuple[dict, float]:
    """Run ``python ARGS`` with this checkout first on the path; return its last JSON line and its CPU seconds.
    A variable given as None is removed from the child's environment."""
    merged = {**os.environ, **(env or {})}
    environment = {name: value for name, value in merged.items() if value is not None}
    environment["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT), environment.get("PYTHONPATH", "")])
    before = os.times()
    done = subprocess.run(
        [sys.executable, *arguments], env=environment, capture_output=True, text=True, timeout=timeout, check=False
    )
    after = os.times()
    if done.returncode != 0:
        raise RuntimeError(f"{arguments} failed:\n{done.stderr[-3000:]}")
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return json.loads(done.stdout.strip().splitlines()[-1]), cpu


def warm(themes: int, photos: int, samples: Samples) -> list[str]:
    result, _ = _python(["-m", "bench.workloads", "warm", "--themes", str(themes), "--photos", str(photos)])
    wall, cpu = Spread(tuple(result["seconds"])), Spread(tuple(result["cpu"]))
    samples.add(f"warm {themes} themes", wall.values)
    return [f"warm photo, {themes} themes: {wall.show()} wall; CPU {cpu.show()}"]


_PHOTO_LINE = re.compile(r": SUCCEEDED, \d+ image\(s\) in ([0-9.]+)s")


def cold_run(photos: int, rounds: int, samples: Samples) -> list[str]:
    """``photobooth run`` on ``photos`` copies of a booth photo from a fresh process: start-up is the time to the
    first photo's line minus that photo's own seconds."""
    from bench.workloads import booth_photo

    starts, firsts, totals, cpus = [], [], [], []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as folder:
            base = booth_photo(Path(folder))
            paths = [base] + [base.with_name(f"visitor{i}.jpg") for i in range(1, photos)]
            for path in paths[1:]:
                path.write_bytes(base.read_bytes())
            environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
            command = [sys.executable, "-m", "photobooth.local.cli", "run", *map(str, paths), "--out", folder + "/o"]
            before, started = os.times(), time.perf_counter()
            child = subprocess.Popen(
                command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
            )
            assert child.stdout is not None
            seen: list[tuple[float, float]] = []
            for line in child.stdout:
                match = _PHOTO_LINE.search(line)
                if match:
                    seen.append((time.perf_counter() - started, float(match.group(1))))
            if child.wait(timeout=1800) != 0 or len(seen) != photos:
                raise RuntimeError(f"photobooth run failed: {len(seen)} of {photos} photos")
            totals.append(time.perf_counter() - started)
            after = os.times()
            cpus.append(
                (after.children_user - before.children_user) + (after.children_system - before.children_system)
            )
            first_line, first_seconds = seen[0]
            firsts.append(first_seconds)
            starts.append(first_line - first_seconds)
    samples.add("run start-up", starts)
    samples.add("run first photo", firsts)
    samples.add(f"run {photos} photos", totals)
    return [
        f"fresh `photobooth run`: start-up {Spread(tuple(starts)).show()}",
        f"    first photo {Spread(tuple(firsts)).show()}",
        f"    {photos} photos from cold {Spread(tuple(totals)).show()} wall; CPU {Spread(tuple(cpus)).show()}",
    ]


def handler_imports(rounds: int, samples: Samples) -> list[str]:
    """Seconds to import each handler module in a fresh interpreter as on Lambda (``LAMBDA_TASK_ROOT`` set),
    with bytecode already compiled and with none: ``PYTHONPYCACHEPREFIX`` points at an empty folder and nothing is
    written, so every module is compiled, as a layer shipped without .pyc is on every cold start. (On Lambda boto3
    comes with the runtime and has its bytecode; here it is compiled too, so "without" is a little pessimistic.)"""
    lines = ["handler import (fresh interpreter, Lambda-like environment; medians, CPU is the steadier figure)"]
    with tempfile.TemporaryDirectory() as task_root, tempfile.TemporaryDirectory() as empty_cache:
        lambda_like: dict[str, str | None] = {
            "LAMBDA_TASK_ROOT": task_root,
            "AWS_LAMBDA_FUNCTION_NAME": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            **native_threads.ENVIRONMENT,  # as the CDK app sets them
            # The first run writes the bytecode that "with .pyc" reads: a shell that sets this variable would
            # otherwise have the checkout's own modules compiled on every run.
            "PYTHONDONTWRITEBYTECODE": None,
        }
        without = {**lambda_like, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": empty_cache}
        for function in HANDLERS:
            _python(["-m", "bench.workloads", "import", function], lambda_like)  # make sure the bytecode exists
            compiled: list[dict] = []
            source: list[dict] = []
            for _ in range(rounds):
                compiled.append(_python(["-m", "bench.workloads", "import", function], lambda_like)[0])
                source.append(_python(["-m", "bench.workloads", "import", function], without)[0])
            samples.add(f"import {function}", [r["cpu"] for r in compiled])
            lines.append(
                f"    {function:12s} with .pyc {_import_figures(compiled)}; without {_import_figures(source)}"
            )
        # The floor: what boto3, Powertools, pydantic (and numpy and Pillow for the workflow) cost before any line
        # of photobooth runs.
        for kind in ("api", "workflow"):
            command = ["-m", "bench.workloads", "import-libraries", kind]
            floor = [_python(command, lambda_like)[0] for _ in range(rounds)]
            lines.append(f"    {kind + ' libraries':12s} with .pyc {_import_figures(floor)} (no photobooth code)")
    return lines


def _import_figures(runs: list[dict]) -> str:
    cpu, wall = Spread(tuple(r["cpu"] for r in runs)), Spread(tuple(r["seconds"] for r in runs))
    return f"CPU {cpu.show('ms')}, wall {wall.median * 1000:.0f} ms"


def memory(photos: int, samples: Samples) -> list[str]:
    """Resident memory of one process after ``photos`` photos: with the CLI's arena limit and with glibc's default."""
    limited, _ = _python(["-m", "bench.workloads", "warm", "--photos", str(photos - 1)])
    default, _ = _python(
        ["-m", "bench.workloads", "warm", "--photos", str(photos - 1)], {"MALLOC_ARENA_MAX": GLIBC_DEFAULT_ARENAS}
    )
    samples.add(f"rss after {photos} photos", [limited["rss_mib"]])
    return [
        f"RSS after {photos} photos: {limited['rss_mib']:.0f} MiB with MALLOC_ARENA_MAX=2, "
        f"{default['rss_mib']:.0f} MiB with glibc's default ({GLIBC_DEFAULT_ARENAS}): "
        f"{limited['rss_mib'] / default['rss_mib']:.2f}x"
    ]


def run(quick: bool, samples: Samples) -> list[str]:
    """One run of every end-to-end figure; its samples are added to ``samples`` for the targets."""
    lines = warm(3, 2 if quick else 5, samples)
    if not quick:
        lines += warm(5, 3, samples)
    lines += cold_run(photos=4, rounds=1 if quick else 2, samples=samples)
    lines += handler_imports(rounds=1 if quick else 3, samples=samples)
    lines += memory(photos=4 if quick else 10, samples=samples)
    return lines
