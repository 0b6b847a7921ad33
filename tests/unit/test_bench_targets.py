"""The README's speed targets table is what ``make bench`` would say for the figures it shows: the same targets, the
figures traced to the bench output printed above it, and each verdict the bench's own rule (bench/targets.py). And
the rule itself: "met" only for a median under the target on an idle machine."""

from __future__ import annotations

import re

import pytest

from bench import end_to_end, targets
from tests.support.fresh import ROOT

README = (ROOT / "README.md").read_text()
SPEED = README[README.index("## Speed\n") : README.index("## Cost\n")]
OUTPUT = SPEED[SPEED.index("```\n== image path") : SPEED.index("\n```\n", SPEED.index("```\n== image path") + 4)]

# How each figure the targets use appears in the bench's output: (median, n).
FIGURE_LINES = {
    "warm 3 themes": r"^warm photo, 3 themes: ([0-9.]+) s \(min [0-9.]+, max [0-9.]+, n=(\d+)\) wall",
    "warm 5 themes": r"^warm photo, 5 themes: ([0-9.]+) s \(min [0-9.]+, max [0-9.]+, n=(\d+)\) wall",
    "run start-up": r"^fresh `photobooth run`: start-up ([0-9.]+) s \(min [0-9.]+, max [0-9.]+, n=(\d+)\)",
    "run first photo": r"^    first photo ([0-9.]+) s \(min [0-9.]+, max [0-9.]+, n=(\d+)\)",
    "run 4 photos": r"^    4 photos from cold ([0-9.]+) s \(min [0-9.]+, max [0-9.]+, n=(\d+)\) wall",
    **{
        f"import {name}": rf"^    {name} +with \.pyc CPU ([0-9]+) ms \(min [0-9]+, max [0-9]+, n=(\d+)\)"
        for name in end_to_end.HANDLERS
    },
    "rss after 10 photos": r"^RSS after 10 photos: ([0-9]+) MiB with MALLOC_ARENA_MAX=2()",
}


def _figure(name: str, output: str = OUTPUT) -> tuple[float, int]:
    match = re.search(FIGURE_LINES[name], output, re.MULTILINE)
    assert match, f"no {name!r} line in the output"
    value = float(match.group(1))
    return (value / 1000 if " ms " in match.group(0) else value), int(match.group(2) or 1)


def _table() -> list[list[str]]:
    start = SPEED.index("| what | median (n) | target | verdict |")
    rows = []
    for line in SPEED[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows


def test_the_readme_lists_the_benchs_targets_in_its_order():
    assert [row[0] for row in _table()] == [target.label for target in targets.TARGETS]
    assert [row[2] for row in _table()] == [f"{target.limit:g} {target.unit}" for target in targets.TARGETS]


@pytest.mark.parametrize("target", targets.TARGETS, ids=lambda target: target.label)
def test_each_figure_and_verdict_is_what_the_bench_gives_for_the_output_shown(target):
    (row,) = [row for row in _table() if row[0] == target.label]
    samples = targets.Samples()
    for name in target.figures:
        median, count = _figure(name)
        samples.add(name, [median] * count)  # one run: the median of its samples is the median printed

    (line,) = [line for line in targets.lines(samples, runs=1, load=0.0, cores=2) if line.startswith(target.label)]

    figure, said = line.removeprefix(target.label + ": ").split(", target ")
    assert row[1] == figure
    assert row[3] == said.split(": ", 1)[1]


def test_met_needs_a_median_under_the_target_on_an_idle_machine():
    day = targets.Samples()
    day.add("warm 3 themes", [1.31, 1.88, 1.6])  # a day's spread: its median is over 1.5 s
    day.add("warm 5 themes", [1.49, 1.51, 1.86])
    (three, five) = targets.lines(day, runs=3, load=0.1, cores=2)[1:3]
    assert three.endswith("target 1.5 s: not met")
    assert five.endswith("target 2 s: met")
    busy = targets.lines(day, runs=3, load=1.5, cores=2)
    assert "NOT idle" in busy[0] and busy[2].endswith("no verdict")
    assert busy[3] == "`photobooth run` start-up (wall): not measured in this run, target 2 s"


def test_the_readme_parses_the_lines_the_bench_prints_today(monkeypatch):
    """The figure lines are matched against what end_to_end prints now (its children faked), not only against the
    README's copy."""
    answers = iter(
        [{"seconds": [1.2, 1.35, 1.4], "cpu": [2.0, 2.1, 2.2]}]
        + [{"cpu": 0.3, "seconds": 0.31}] * (len(end_to_end.HANDLERS) * 3 + 2)
        + [{"rss_mib": 343.0}, {"rss_mib": 999.0}]
    )
    monkeypatch.setattr(end_to_end, "_python", lambda *args, **kwargs: (next(answers), 0.0))
    samples = targets.Samples()
    printed = "\n".join(
        end_to_end.warm(3, 3, samples) + end_to_end.handler_imports(1, samples) + end_to_end.memory(10, samples)
    )
    assert _figure("warm 3 themes", printed) == (1.35, 3)
    assert _figure("import status", printed) == (0.3, 1)
    assert _figure("rss after 10 photos", printed) == (343.0, 1)
    assert samples.values["warm 3 themes"] == [1.2, 1.35, 1.4]
