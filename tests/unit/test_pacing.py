"""photobooth.pacing: booked slots never closer than the pace, a retried booking gets its own slots back, and the
estimate a visitor is told."""

from __future__ import annotations

import itertools
import threading
from dataclasses import replace

import pytest

from photobooth import pacing


class MemoryPace:
    """A PaceStore with the DynamoDB adapter's version check, shared by threads."""

    def __init__(self, pre_seconds: float = 0.0) -> None:
        self.record = pacing.PaceRecord(pre_seconds=pre_seconds)
        self.lock = threading.Lock()
        self.conflicts = 0

    def read(self) -> pacing.PaceRecord:
        with self.lock:
            return self.record

    def write(self, record: pacing.PaceRecord, *, read_version: int | None, forget: tuple[str, ...] = ()) -> None:
        with self.lock:
            if self.record.version != read_version:
                self.conflicts += 1
                raise pacing.BookingConflict("changed")
            announced = {rid: a for rid, a in self.record.announced.items() if rid not in forget}
            self.record = replace(
                record,
                pre_seconds=self.record.pre_seconds,
                tail_seconds=self.record.tail_seconds,
                announced=announced,
            )

    def announce(self, request_id: str, announced: pacing.Announced) -> None:
        with self.lock:
            self.record = replace(self.record, announced={**self.record.announced, request_id: announced})

    def learn(self, *, pre_seconds: float, tail_seconds: float) -> None:
        with self.lock:
            self.record = replace(self.record, pre_seconds=pre_seconds, tail_seconds=tail_seconds, learned=True)


def test_slots_of_racing_bookings_are_one_interval_apart_and_none_before_now():
    store, now = MemoryPace(), 1_000.0
    per_minute = 12.0  # one call every 5 s
    bookings: dict[str, pacing.Booking] = {}

    def book(index: int) -> None:
        bookings[f"request{index:04d}"] = pacing.book(
            store, f"request{index:04d}", 3, calls_per_minute=per_minute, now=lambda: now, sleep=lambda _: None
        )

    threads = [threading.Thread(target=book, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    slots = sorted(b.first + i * 5.0 for b in bookings.values() for i in range(3))
    assert len(slots) == 60
    assert slots[0] == now
    assert all(later - earlier == pytest.approx(5.0) for earlier, later in itertools.pairwise(slots))
    assert store.record.next_slot == pytest.approx(now + 60 * 5.0)


def test_a_retried_booking_gets_the_same_slots_and_takes_no_new_ones():
    store = MemoryPace()
    first = pacing.book(store, "request0001", 2, calls_per_minute=6.0, now=lambda: 50.0)
    again = pacing.book(store, "request0001", 2, calls_per_minute=6.0, now=lambda: 55.0)
    assert again == first == pacing.Booking(first=50.0, last=60.0)
    assert store.record.next_slot == 70.0


def test_an_idle_queue_books_at_once_and_drops_old_bookings():
    store = MemoryPace()
    pacing.book(store, "old-request", 1, calls_per_minute=60.0, now=lambda: 0.0)
    later = pacing.KEEP_AFTER_LAST_SLOT + 100.0
    booking = pacing.book(store, "new-request", 2, calls_per_minute=60.0, now=lambda: later)
    assert booking == pacing.Booking(first=later, last=later + 1.0)
    assert set(store.record.bookings) == {"new-request"}


def test_the_estimate_of_a_booked_request_is_its_last_slot_plus_the_learned_tail():
    store = MemoryPace()
    for index in range(3):
        pacing.book(store, f"request{index}", 3, calls_per_minute=6.0, now=lambda: 100.0)
    record = replace(store.read(), tail_seconds=12.0)

    third = pacing.estimate(record, "request2", 3, calls_per_minute=6.0, now=101.0)
    # request2's slots: 160, 170, 180 (after six calls ten seconds apart); the image is recorded 12 s later.
    assert third == pacing.Estimate(ready_at=192.0, queue_ahead=2)
    first = pacing.estimate(record, "request0", 3, calls_per_minute=6.0, now=101.0)
    assert first == pacing.Estimate(ready_at=132.0, queue_ahead=0)


def test_the_estimate_of_a_request_not_booked_yet_queues_it_behind_every_booking():
    store = MemoryPace()
    pacing.book(store, "ahead-1", 3, calls_per_minute=6.0, now=lambda: 100.0)  # slots 100, 110, 120
    record = replace(store.read(), pre_seconds=5.0, tail_seconds=10.0)
    # Its pre-steps would end at 106, but the queue is busy until 130; three calls: 130, 140, 150.
    waiting = pacing.estimate(record, "mine", 3, calls_per_minute=6.0, now=101.0)
    assert waiting == pacing.Estimate(ready_at=160.0, queue_ahead=1)
    # An empty queue: the pre-steps, the calls one interval apart, the tail.
    idle = pacing.PaceRecord(pre_seconds=5.0, tail_seconds=10.0)
    assert pacing.estimate(idle, "mine", 2, calls_per_minute=6.0, now=200.0) == pacing.Estimate(225.0, 0)


def test_a_booking_starts_when_the_pre_steps_should_end_if_the_queue_is_idle():
    store = MemoryPace(pre_seconds=4.0)
    assert pacing.book(store, "request0001", 2, calls_per_minute=6.0, now=lambda: 100.0) == pacing.Booking(104, 114)
    # Busy: behind the queue, whatever the pre-steps.
    assert pacing.book(store, "request0002", 1, calls_per_minute=6.0, now=lambda: 101.0) == pacing.Booking(124, 124)


def test_the_booth_learns_the_tail_and_the_pre_steps_from_requests():
    store = MemoryPace(pre_seconds=pacing.DEFAULT_PRE_SECONDS)
    pacing.book(store, "request0001", 1, calls_per_minute=6.0, now=lambda: 100.0)  # slot 108
    pacing.book(store, "request0002", 1, calls_per_minute=6.0, now=lambda: 100.0)  # slot 118
    # The first observation replaces the defaults; the next ones move the times by 30 %.
    pacing.learn(store, "request0001", now=113.0, pre_seconds=2.0)
    assert (store.record.pre_seconds, store.record.tail_seconds) == (2.0, 5.0)
    pacing.learn(store, "request0002", now=121.0, pre_seconds=4.0)
    assert store.record.pre_seconds == pytest.approx(0.7 * 2.0 + 0.3 * 4.0)
    assert store.record.tail_seconds == pytest.approx(0.7 * 5.0 + 0.3 * 3.0)
    # Pre-steps not known (a record without their usage): only the tail moves.
    pre = store.record.pre_seconds
    pacing.learn(store, "request0002", now=121.0, pre_seconds=None)
    assert store.record.pre_seconds == pre
    # A request without a booking teaches nothing.
    pacing.learn(store, "unbooked-1", now=500.0, pre_seconds=100.0)
    assert store.record.pre_seconds == pre


def test_the_wait_state_ends_in_the_second_before_the_slot_and_the_step_waits_out_the_rest():
    booking = pacing.Booking(first=1_765_000_000.25, last=1_765_000_010.25)
    slots = pacing.slots(booking, 2, calls_per_minute=6.0)
    assert slots == [
        {"at": 1_765_000_000.25, "waitUntil": "2025-12-06T05:46:39Z"},
        {"at": 1_765_000_010.25, "waitUntil": "2025-12-06T05:46:49Z"},
    ]
    slept: list[float] = []
    assert pacing.sleep_until_slot(100.0, now=lambda: 99.4, sleep=slept.append) == pytest.approx(0.6)
    assert slept == [pytest.approx(0.6)]
    assert pacing.sleep_until_slot(100.0, now=lambda: 100.5, sleep=slept.append) == 0.0
    assert pacing.iso_utc(1_765_000_000.25) == "2025-12-06T05:46:40.250Z"


def test_a_groups_photos_sent_together_are_told_apart_and_their_announcements_end_at_booking():
    store = MemoryPace(pre_seconds=5.0)
    for index, at in enumerate((100.0, 100.1, 100.2)):
        store.announce(f"friend-{index}", pacing.Announced(calls=3, at=at))
    record = replace(store.read(), tail_seconds=10.0)
    # An idle queue: the first friend's calls at 105.2, 115.2, 125.2 (now + pre-steps); each next one three calls on.
    told = [pacing.estimate(record, f"friend-{i}", 3, calls_per_minute=6.0, now=100.2) for i in range(3)]
    assert [t.ready_at for t in told] == pytest.approx([135.2, 165.2, 195.2])
    assert [t.queue_ahead for t in told] == [0, 1, 2]

    pacing.book(store, "friend-0", 3, calls_per_minute=6.0, now=lambda: 101.0)  # slots 106, 116, 126
    assert set(store.record.announced) == {"friend-1", "friend-2"}
    second = pacing.estimate(store.read(), "friend-2", 3, calls_per_minute=6.0, now=101.0)
    # Behind the booked friend (next free 136) and the one announced before it: 166, 176, 186.
    assert second == pacing.Estimate(ready_at=186.0 + pacing.DEFAULT_TAIL_SECONDS, queue_ahead=2)


def test_an_upload_that_never_came_stops_counting():
    store = MemoryPace(pre_seconds=0.0)
    store.announce("left-early", pacing.Announced(calls=3, at=0.0))
    later = pacing.ANNOUNCED_FOR + 10.0
    assert pacing.estimate(store.read(), "mine", 1, calls_per_minute=6.0, now=later).queue_ahead == 0
    pacing.book(store, "mine", 1, calls_per_minute=6.0, now=lambda: later)
    assert store.record.announced == {}
