"""Interleaved timing: both sides of a comparison run in alternation, round after round, so a neighbour's load
spike slows both alike; each side reports min / median / max.

Times are this process's CPU seconds (all its threads): on a shared machine wall time mostly measures the
neighbours, while CPU time of single-process work stays close to what an idle machine's wall clock shows.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Spread:
    values: tuple[float, ...]

    @property
    def min(self) -> float:
        return min(self.values)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def max(self) -> float:
        return max(self.values)

    def show(self, unit: str = "s") -> str:
        scale, suffix = (1000.0, "ms") if unit == "ms" else (1.0, "s")
        digits = 0 if unit == "ms" and self.median >= 0.01 else 2
        low, mid, high = (f"{v * scale:.{digits}f}" for v in (self.min, self.median, self.max))
        return f"{mid} {suffix} (min {low}, max {high}, n={len(self.values)})"


def interleaved(sides: dict[str, Callable[[], object]], rounds: int) -> dict[str, Spread]:
    """Time every side once per round, in alternating order, after one untimed warm-up call each."""
    for run in sides.values():
        run()
    times: dict[str, list[float]] = {name: [] for name in sides}
    names = list(sides)
    for index in range(rounds):
        for name in names if index % 2 == 0 else reversed(names):
            started = time.process_time()
            sides[name]()
            times[name].append(time.process_time() - started)
    return {name: Spread(tuple(values)) for name, values in times.items()}


def ratio_line(label: str, ours: Spread, baseline: Spread, why_slower: str = "") -> list[str]:
    """Both sides' spreads and the ratio of medians, with the reason where ours is the slower side."""
    speedup = baseline.median / ours.median
    lines = [f"{label}", f"    ours      {ours.show('ms')}", f"    baseline  {baseline.show('ms')}"]
    if speedup >= 1:
        lines.append(f"    -> {speedup:,.1f}x faster")
    else:
        lines.append(f"    -> SLOWER: {1 / speedup:.2f}x the baseline's time. Why: {why_slower}")
    return lines
