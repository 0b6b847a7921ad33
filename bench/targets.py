"""The speed targets, and the verdict ``make bench`` prints for each: "met" only when the median of every sample
this bench took (over all its runs) is under the target, on a machine that was idle when the bench started.

The README's targets table lists the same labels in the same order (tests/unit/test_bench_targets.py checks that,
and that each verdict it states is the one :func:`verdict` gives for its figures).
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field

API_HANDLERS = ("presign", "status")
WORKFLOW_HANDLERS = ("detect_face", "segment", "generate", "finalize")
# An idle machine's one-minute load average stays near 0; above this share of the cores, something else is running
# and wall seconds measure it as much as the booth.
IDLE_LOAD_PER_CORE = 0.25


@dataclass(frozen=True)
class Target:
    label: str
    limit: float
    unit: str  # "s", "ms" or "MiB"
    figures: tuple[str, ...]  # the samples it is judged on; several: the slowest of their medians counts
    # Why the bench gives no verdict (it measures something else than the target names), or "".
    not_measured: str = ""


TARGETS: tuple[Target, ...] = (
    Target("warm photo, 3 themes (wall)", 1.5, "s", ("warm 3 themes",)),
    Target("warm photo, 5 themes (wall)", 2.0, "s", ("warm 5 themes",)),
    Target("`photobooth run` start-up (wall)", 2.0, "s", ("run start-up",)),
    Target("`photobooth run` first photo (wall)", 2.5, "s", ("run first photo",)),
    Target("4 photos from a cold start (wall)", 8.0, "s", ("run 4 photos",)),
    Target(
        "API handler import with .pyc (CPU, the slowest handler's median)",
        250,
        "ms",
        tuple(f"import {name}" for name in API_HANDLERS),
    ),
    Target(
        "workflow handler import with .pyc (CPU, the slowest handler's median)",
        350,
        "ms",
        tuple(f"import {name}" for name in WORKFLOW_HANDLERS),
    ),
    Target(
        "RSS of `photobooth serve` after 10 photos",
        600,
        "MiB",
        ("rss after 10 photos",),
        not_measured="the bench measures the embedded engine without the web server (`bench.workloads warm`)",
    ),
)


@dataclass
class Samples:
    """Every sample the end-to-end figures took, by figure name, over all runs (seconds, or MiB for RSS)."""

    values: dict[str, list[float]] = field(default_factory=dict)

    def add(self, name: str, values: Iterable[float]) -> None:
        self.values.setdefault(name, []).extend(values)


def machine_is_idle(load: float, cores: int) -> bool:
    return load <= IDLE_LOAD_PER_CORE * cores


def verdict(median: float, limit: float, idle: bool) -> str:
    if median >= limit:
        return "not met"
    return "met" if idle else "under the target, on a busy machine: no verdict"


def _shown(value: float, unit: str) -> str:
    return f"{value * 1000:.0f} ms" if unit == "ms" else (f"{value:.0f} MiB" if unit == "MiB" else f"{value:.2f} s")


def _limit(target: Target) -> str:
    return f"{target.limit:g} {target.unit}"


def lines(samples: Samples, runs: int, load: float, cores: int = os.cpu_count() or 1) -> list[str]:
    idle = machine_is_idle(load, cores)
    said = [
        f"== targets (medians of all samples of {runs} run(s); load average {load:.2f} on {cores} cores at the "
        f"start: {'idle' if idle else 'NOT idle, so nothing is called met'})"
    ]
    for target in TARGETS:
        found = [samples.values[name] for name in target.figures if samples.values.get(name)]
        if len(found) != len(target.figures):
            said.append(f"{target.label}: not measured in this run, target {_limit(target)}")
            continue
        medians = [statistics.median(values) for values in found]
        worst = max(medians)
        count = sum(len(values) for values in found)
        figure = _shown(worst, target.unit)
        if target.not_measured:
            said.append(
                f"{target.label}: {figure} (n={count}), target {_limit(target)}: no verdict: {target.not_measured}"
            )
            continue
        limit = target.limit / 1000 if target.unit == "ms" else target.limit
        said.append(f"{target.label}: {figure} (n={count}), target {_limit(target)}: {verdict(worst, limit, idle)}")
    return said
