"""``python -m bench event``'s arithmetic: what it sets the booth to, the visitors it sends, and the figures it
prints (bench/event.py). A wrong scale or percentile would print a table in README "Speed" that the booth does not
earn."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from bench import event


def test_the_booth_is_set_to_80_percent_of_the_quota_and_everything_runs_k_times_faster(tmp_path: Path):
    plan = event.parse(["--visitors-per-minute", "4", "--quota-rpm", "5", "--minutes", "2", "--time-scale", "6"])
    assert plan.pace_per_minute == 4.0  # 80 % of 5
    assert plan.capacity_visitors_per_minute == pytest.approx(4.0 / 3)  # three themes, three calls each
    environment = plan.booth_environment(tmp_path / "calls.jsonl")
    # Six times faster: 24 calls a wall minute, the quota's minute lasts 10 s, a 6 s call takes 1 s.
    assert environment["PHOTOBOOTH_MODEL_CALLS_PER_MINUTE"] == "24"
    assert environment["PHOTOBOOTH_STANDIN_QUOTA"] == "5"
    assert float(environment["PHOTOBOOTH_STANDIN_WINDOW_SECONDS"]) == pytest.approx(10.0)
    assert float(environment["PHOTOBOOTH_STANDIN_CALL_SECONDS"]) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "argv",
    [
        ["--visitors-per-minute", "0", "--quota-rpm", "5", "--minutes", "1"],
        ["--visitors-per-minute", "2", "--quota-rpm", "-1", "--minutes", "1"],
        ["--visitors-per-minute", "2", "--quota-rpm", "5", "--minutes", "1", "--themes", "6"],
        ["--visitors-per-minute", "2", "--minutes", "1"],
    ],
)
def test_impossible_runs_are_refused(argv: list[str]):
    with pytest.raises(SystemExit) as refused:
        event.parse(argv)
    assert refused.value.code == 2


def test_arrivals_average_the_asked_rate_in_bursts_and_repeat_with_the_seed():
    times = event.arrivals(6.0, 60.0, seed=3)
    assert times == event.arrivals(6.0, 60.0, seed=3)
    assert times != event.arrivals(6.0, 60.0, seed=4)
    assert times == sorted(times) and times[0] > 0 and times[-1] < 3600
    assert len(times) / 60 == pytest.approx(6.0, rel=0.1)  # 360 visitors expected in an hour
    burst_sizes = [times.count(at) for at in sorted(set(times))]
    assert set(burst_sizes) == {1, 2, 3} and statistics.mean(burst_sizes) == pytest.approx(2.0, rel=0.1)


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 21)]  # 1..20
    assert event.percentile(values, 0.5) == 10.0
    assert event.percentile(values, 0.95) == 19.0
    assert event.percentile([7.0], 0.95) == 7.0
    assert event.percentile([], 0.5) is None


def test_the_summary_counts_outcomes_waits_and_the_first_shown_estimates_error():
    plan = event.parse(["--visitors-per-minute", "4", "--quota-rpm", "5", "--minutes", "2", "--time-scale", "2"])
    visitors = [
        # Arrived in the first minute: its estimate is not judged.
        event.Visitor(arrived=10.0, uploaded=100.0, promised=150.0, ended=110.0, status="SUCCEEDED"),
        # Waited 20 wall s (40 event s), was told 25: error 0.25.
        event.Visitor(arrived=70.0, uploaded=200.0, promised=225.0, ended=220.0, status="SUCCEEDED"),
        # Waited 10, was told 9: error 0.1; ended PARTIAL.
        event.Visitor(arrived=80.0, uploaded=300.0, promised=309.0, ended=310.0, status="PARTIAL"),
        event.Visitor(arrived=90.0, uploaded=400.0, promised=405.0, ended=405.0, status="FAILED", code="INTERNAL"),
        event.Visitor(arrived=95.0, uploaded=500.0, promised=520.0),  # never ended
    ]
    summary = event.summarise(plan, visitors, calls=12, throttled=1, wall_seconds=90.0)
    assert summary["visitors"] == 5 and summary["succeeded"] == 2 and summary["failed"] == 2
    assert summary["failed_by_code"] == {"PARTIAL": 1, "INTERNAL": 1}
    assert summary["lost"] == 1
    assert summary["model_calls_over_quota"] == 1
    # Waits in event seconds (x2): 20, 40, 20, 10.
    assert summary["p50_seconds"] == 20.0 and summary["p95_seconds"] == 40.0
    # Errors after the first minute: 0.25, 0.1, 0.0.
    assert summary["eta_error_p50"] == 0.1 and summary["eta_error_p95"] == 0.25
