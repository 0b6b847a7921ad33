"""Pacing the image models (issue 20): every model call has a booked slot, and the visitor is told when.

One record in the status table (``PACE_KEY``, a key no request can have: ``#`` is outside the requestId pattern)
holds the next free slot and the bookings of the requests still in the queue. A request books all its calls at
once as soon as the workflow claims it, so the queue is in the order the photos arrived: its first slot is
``max(now + pre-steps, next free)``, the next ones follow one interval apart, and the record is written back only
if nobody booked meanwhile (``version``; optimistic, retried on a conflict). The workflow waits for each slot with a
Wait state (free in a Standard workflow) and calls the model. So the calls never exceed the pace, a waiting request
costs nothing and fails for nothing, and the wait is known: the last slot plus the time an image takes after its
slot. The booth learns both times from its recent requests (``pre_seconds``: normalise, faces and cut-out;
``tail_seconds``: from a last slot to the images recorded). docs/decisions.md, 2026-12-07, issue 20.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Protocol

PACE_KEY = "#model-pace"

# What the booth assumes before it has seen a request: the pre-steps (normalise, faces, cut-out) and the time from
# a call's slot to its image recorded (one Stability call and the paste). Learned values replace them.
DEFAULT_PRE_SECONDS = 8.0
DEFAULT_TAIL_SECONDS = 15.0
# How much one new observation moves a learned time (an exponentially weighted mean): recent enough to follow a
# slower model, smooth enough that one odd photo does not swing every visitor's estimate.
LEARNING_WEIGHT = 0.3
# A booking stays in the record this long after its last slot: the estimate of a request in its last call still
# finds it, and the record stays small (entries older than that are dropped at the next booking).
KEEP_AFTER_LAST_SLOT = 600.0
# Bookings racing for the record: each retry re-reads it. Enough for a burst of a hundred pads at once.
MAX_BOOKING_ATTEMPTS = 50
# An announced upload (POST /upload answered, photo not claimed yet) counts in the queue this long: the upload URL's
# life and a minute more. One that never comes (the visitor left) stops counting then.
ANNOUNCED_FOR = 360.0


@dataclass(frozen=True)
class Announced:
    """A request whose ``POST /upload`` was answered and whose photo has not been claimed yet."""

    calls: int
    at: float


@dataclass(frozen=True)
class Booking:
    """One request's slots: epoch seconds of its first and last model call (``last`` = ``first`` + (n-1) *
    interval)."""

    first: float
    last: float


@dataclass(frozen=True)
class PaceRecord:
    next_slot: float = 0.0
    bookings: dict[str, Booking] = field(default_factory=dict)
    pre_seconds: float = DEFAULT_PRE_SECONDS
    tail_seconds: float = DEFAULT_TAIL_SECONDS
    learned: bool = False  # the times were observed at least once (else they are the defaults)
    version: int | None = None  # None: the record does not exist yet
    announced: dict[str, Announced] = field(default_factory=dict)

    def announced_before(self, request_id: str, at: float, now: float) -> list[Announced]:
        """Uploads announced before ``at`` (not ``request_id``'s own), still expected, not booked yet."""
        return [
            a
            for rid, a in self.announced.items()
            if rid != request_id and rid not in self.bookings and a.at < at and a.at + ANNOUNCED_FOR >= now
        ]


class BookingConflict(Exception):
    """Someone else wrote the pace record since it was read."""


class PaceStore(Protocol):
    def read(self) -> PaceRecord: ...

    def write(self, record: PaceRecord, *, read_version: int | None, forget: tuple[str, ...] = ()) -> None:
        """Replace the queue (its ``version`` is ``read_version + 1``) and drop the announced uploads ``forget``;
        raise :class:`BookingConflict` when the stored version is no longer ``read_version``."""
        ...

    def announce(self, request_id: str, announced: Announced) -> None:
        """Note an upload on its way (a plain update of its own entry: it races with nothing)."""
        ...

    def learn(self, *, pre_seconds: float, tail_seconds: float) -> None:
        """Set the learned times only (a plain update: bookings do not write them, and last writer wins is fine)."""
        ...


def interval_seconds(calls_per_minute: float) -> float:
    return 60.0 / calls_per_minute


def _learned(previous: float, observed: float, *, first: bool = False) -> float:
    """The new typical time; the first observation replaces the default outright (a measurement beats a guess)."""
    return observed if first else (1 - LEARNING_WEIGHT) * previous + LEARNING_WEIGHT * observed


def book(
    store: PaceStore,
    request_id: str,
    calls: int,
    *,
    calls_per_minute: float,
    now: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> Booking:
    """Book ``calls`` consecutive slots for ``request_id``, the first no earlier than its pre-steps should end; a
    request that already holds a booking gets the same one back (the step may be retried after it booked)."""
    interval = interval_seconds(calls_per_minute)
    for _ in range(MAX_BOOKING_ATTEMPTS):
        record = store.read()
        if request_id in record.bookings:
            return record.bookings[request_id]
        at = now()
        first = max(at + record.pre_seconds, record.next_slot)
        booking = Booking(first=first, last=first + (calls - 1) * interval)
        kept = {rid: b for rid, b in record.bookings.items() if b.last + KEEP_AFTER_LAST_SLOT >= at}
        forget = tuple(rid for rid, a in record.announced.items() if rid == request_id or a.at + ANNOUNCED_FOR < at)
        updated = replace(
            record,
            next_slot=booking.last + interval,
            bookings={**kept, request_id: booking},
            version=(record.version or 0) + 1,
            announced={rid: a for rid, a in record.announced.items() if rid not in forget},
        )
        try:
            store.write(updated, read_version=record.version, forget=forget)
        except BookingConflict:
            sleep(random.uniform(0.005, 0.05))  # another request booked first: read again
            continue
        return booking
    raise BookingConflict(f"the pace record kept changing; {request_id} could not book")


def learn(store: PaceStore, request_id: str, *, now: float, pre_seconds: float | None) -> None:
    """After a request's images are recorded: how long its last call took from its slot to here, and how long its
    pre-steps took (``None``: not known)."""
    record = store.read()
    booking = record.bookings.get(request_id)
    if booking is None or now < booking.last:
        return  # not booked (or its slots dropped long ago): nothing to learn from
    first = not record.learned
    tail = _learned(record.tail_seconds, now - booking.last, first=first)
    pre = record.pre_seconds if pre_seconds is None else _learned(record.pre_seconds, pre_seconds, first=first)
    store.learn(pre_seconds=pre, tail_seconds=tail)


@dataclass(frozen=True)
class Estimate:
    ready_at: float
    queue_ahead: int

    def as_fields(self) -> dict:
        """``expectedReadyAt`` and ``queueAhead`` as CONTRACT.md names them."""
        return {"expectedReadyAt": iso_utc(self.ready_at), "queueAhead": self.queue_ahead}


def estimate(record: PaceRecord, request_id: str, calls: int, *, calls_per_minute: float, now: float) -> Estimate:
    """When ``request_id``'s pictures are expected and how many requests are ahead of it for the models.

    Booked: its last slot plus the learned time after a slot; ahead are the bookings before its own whose last
    call is still to come. Not booked yet (the photo is on its way): it will book behind every booking and behind
    the uploads announced before its own (a group's photos, sent together), after its pre-steps."""
    interval = interval_seconds(calls_per_minute)
    booking = record.bookings.get(request_id)
    if booking is not None:
        ahead = sum(
            1 for rid, b in record.bookings.items() if rid != request_id and b.first < booking.first and b.last >= now
        )
        return Estimate(ready_at=max(booking.last + record.tail_seconds, now), queue_ahead=ahead)
    own = record.announced.get(request_id)
    before = record.announced_before(request_id, own.at if own else now, now)
    first = max(now + record.pre_seconds, record.next_slot) + interval * sum(a.calls for a in before)
    ahead = sum(1 for b in record.bookings.values() if b.last >= now) + len(before)
    return Estimate(ready_at=first + (calls - 1) * interval + record.tail_seconds, queue_ahead=ahead)


def iso_utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def wait_until(epoch: float) -> str:
    """A Wait state's ``TimestampPath`` value, in the ``YYYY-MM-DDTHH:MM:SSZ`` form both interpreters and AWS
    accept: whole seconds, so the second before the slot's (a Wait may end up to a second after its timestamp);
    the step waits out the rest itself (:func:`sleep_until_slot`), and the call starts at its slot."""
    return datetime.fromtimestamp(math.floor(epoch) - 1, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def slots(booking: Booking, calls: int, calls_per_minute: float) -> list[dict]:
    """The Map's items: each call's slot, for the Wait state (``waitUntil``) and the generate step (``at``)."""
    interval = interval_seconds(calls_per_minute)
    return [
        {"at": booking.first + i * interval, "waitUntil": wait_until(booking.first + i * interval)}
        for i in range(calls)
    ]


def sleep_until_slot(
    at: float, *, now: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep
) -> float:
    """The Wait state wakes on a whole second (and moto's may wake a second or two early): the generate step waits
    the rest itself so that no call starts before its slot. Returns the seconds slept."""
    early = at - now()
    if early > 0:
        sleep(early)
        return early
    return 0.0
