"""The local server's recovery rules that need no AWS: upload times and the stop line."""

from __future__ import annotations

from datetime import UTC, datetime

from photobooth.local.recovery import DrainReport, _upload_time


def test_a_resumed_request_keeps_its_upload_time():
    record = {"uploadedAt": "2026-11-30T08:00:05Z", "createdAt": "2026-11-30T08:00:00+00:00"}
    assert _upload_time(record) == datetime(2026, 11, 30, 8, 0, 5, tzinfo=UTC)


def test_a_request_never_claimed_counts_from_its_creation():
    assert _upload_time({"createdAt": "2026-11-30T08:00:00"}) == datetime(2026, 11, 30, 8, tzinfo=UTC)


def test_a_record_without_times_counts_from_now():
    before = datetime.now(UTC)
    assert before <= _upload_time({"uploadedAt": "not a time"}) <= datetime.now(UTC)


def test_the_stop_line_says_what_was_left():
    assert DrainReport([], []).summary() == "stopped: no request was in flight"
    assert DrainReport(["a", "b"], []).summary() == "stopped: 2 of 2 request(s) in flight finished"
    left = DrainReport(["a", "b"], ["b"]).summary()
    assert left.startswith("stopped: 1 of 2 request(s) in flight finished; 1 left PROCESSING will be resumed")
