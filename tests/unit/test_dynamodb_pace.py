"""The models' queue on DynamoDB itself (moto evaluates the condition expressions): a booking written over another
one read meanwhile is refused, and the record round-trips (photobooth.aws.dynamodb.DynamoPace)."""

from __future__ import annotations

import pytest

from photobooth import pacing
from photobooth.aws.dynamodb import DynamoPace
from tests.support.status_table import TABLE, mocked_status_table


@pytest.fixture
def pace(monkeypatch: pytest.MonkeyPatch):
    with mocked_status_table(monkeypatch) as resource:
        yield DynamoPace(TABLE, resource)


def test_an_empty_table_has_an_idle_queue_with_the_default_times(pace: DynamoPace) -> None:
    assert pace.read() == pacing.PaceRecord()


def test_a_booking_over_one_made_since_the_read_is_refused(pace: DynamoPace) -> None:
    seen = pace.read()
    pacing.book(pace, "request-aaaa", 3, calls_per_minute=6.0, now=lambda: 1_000.5)
    late = pacing.PaceRecord(next_slot=5.0, bookings={"request-bbbb": pacing.Booking(1.0, 2.0)}, version=1)
    with pytest.raises(pacing.BookingConflict):
        pace.write(late, read_version=seen.version)
    stored = pace.read()
    first = 1_000.5 + pacing.DEFAULT_PRE_SECONDS
    assert stored.bookings == {"request-aaaa": pacing.Booking(first=first, last=first + 20.0)}
    assert stored.next_slot == first + 30.0 and stored.version == 1


def test_the_next_booking_follows_and_learned_times_are_kept(pace: DynamoPace) -> None:
    pace.learn(pre_seconds=0.0, tail_seconds=pacing.DEFAULT_TAIL_SECONDS)
    pacing.book(pace, "request-aaaa", 2, calls_per_minute=6.0, now=lambda: 100.0)  # slots 100, 110
    pacing.learn(pace, "request-aaaa", now=120.0, pre_seconds=3.0)
    second = pacing.book(pace, "request-bbbb", 2, calls_per_minute=6.0, now=lambda: 101.0)
    assert second == pacing.Booking(first=120.0, last=130.0)
    stored = pace.read()
    assert stored.tail_seconds == pytest.approx(0.7 * pacing.DEFAULT_TAIL_SECONDS + 0.3 * 10.0)
    assert stored.pre_seconds == pytest.approx(0.3 * 3.0)
    assert stored.learned and stored.version == 2


def test_an_announced_upload_is_kept_until_its_request_books(pace: DynamoPace) -> None:
    pace.announce("request-aaaa", pacing.Announced(calls=3, at=50.0))  # before the record exists
    pace.announce("request-bbbb", pacing.Announced(calls=2, at=51.0))
    assert pace.read().announced == {
        "request-aaaa": pacing.Announced(calls=3, at=50.0),
        "request-bbbb": pacing.Announced(calls=2, at=51.0),
    }
    pacing.book(pace, "request-aaaa", 3, calls_per_minute=6.0, now=lambda: 52.0)
    stored = pace.read()
    assert stored.announced == {"request-bbbb": pacing.Announced(calls=2, at=51.0)}
    assert set(stored.bookings) == {"request-aaaa"}


@pytest.mark.parametrize(
    ("environment", "guess"),
    [
        pytest.param({"PHOTOBOOTH_BACKEND": "offline"}, 0.0, id="offline, no pace set: no quota to protect"),
        pytest.param(
            {"PHOTOBOOTH_BACKEND": "offline", "PHOTOBOOTH_MODEL_CALLS_PER_MINUTE": "12"},
            pacing.DEFAULT_PRE_SECONDS,
            id="offline with a pace (a stand-in model's quota)",
        ),
        pytest.param({"PHOTOBOOTH_BACKEND": "aws"}, pacing.DEFAULT_PRE_SECONDS, id="aws"),
    ],
)
def test_a_booth_without_a_quota_does_not_hold_its_first_visitor_for_a_guess(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], guess: float
) -> None:
    """Until the pre-steps' time was observed, booking places the first slot after a guess of it (8 s, made for
    AWS), so the call cannot come late and too close to the next one. The offline booth's painters have no quota:
    nothing to space, and the guess only made its first photo after a start take 9.3 s (4 photos from a cold
    `photobooth run`: 15.4 s) where the steps take under 2 s."""
    from photobooth import wiring

    for name in ("PHOTOBOOTH_BACKEND", "PHOTOBOOTH_MODEL_CALLS_PER_MINUTE"):
        monkeypatch.delenv(name, raising=False)
    with mocked_status_table(monkeypatch):
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        wiring.reset()
        try:
            store = wiring.model_pace()
            assert store.read().pre_seconds == guess
            assert (
                pacing.book(store, "request-aaaa", 1, calls_per_minute=60.0, now=lambda: 100.0).first == 100 + guess
            )
        finally:
            wiring.reset()
