"""Who may wait in ``POST /photo`` (issue 18, item 4): the server bounds the waiting calls and stops a wait whose
caller hung up; the promised wait counts from the call, not from the end of the calls made before waiting."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from photobooth import waiting
from tests.support.fakes import MemoryObjectStore, MemoryStatusStore
from tests.unit.test_api_start import KEY, FakeClock, HeldWorkflow, _start


@pytest.fixture
def ports():
    store, status = MemoryObjectStore(), MemoryStatusStore()
    store.put(KEY, b"jpeg bytes", "image/jpeg")
    return store, status


class Caller:
    def __init__(self, *, places: bool = True, hangs_up_after: int | None = None) -> None:
        self.places = places
        self.hangs_up_after = hangs_up_after
        self.looks = 0

    @contextlib.contextmanager
    def may_wait(self) -> Iterator[bool]:
        yield self.places

    def gone(self) -> bool:
        self.looks += 1
        return self.hangs_up_after is not None and self.looks > self.hangs_up_after


def test_a_call_past_the_bound_on_waiting_calls_answers_202_at_once(ports):
    clock, starter = FakeClock(), HeldWorkflow()

    with waiting.calling(Caller(places=False)):
        code, answer = _start(ports, {"requestId": "owner-request-1"}, clock, starter)

    assert (code, answer) == (202, {"requestId": "owner-request-1", "statusUrl": "/photo/owner-request-1"})
    assert clock.sleeps == [] and starter.started == ["owner-request-1"], "started, but not waited for"


def test_a_wait_ends_when_its_caller_hangs_up(ports):
    clock, starter = FakeClock(), HeldWorkflow()
    caller = Caller(hangs_up_after=3)

    with waiting.calling(caller):
        code, _ = _start(ports, {"requestId": "owner-request-1"}, clock, starter)

    assert code == 202
    assert len(clock.sleeps) == 3 and clock.now < 5, f"kept polling for {clock.now}s after the caller left"


class SlowStore:
    """Every call before the wait takes 2 s of the clock (a busy server)."""

    def __init__(self, store, clock: FakeClock) -> None:
        self._store, self._clock = store, clock

    def __getattr__(self, name: str):
        method = getattr(self._store, name)

        def slow(*args, **kwargs):
            self._clock.now += 2.0
            return method(*args, **kwargs)

        return slow


def test_the_promised_wait_counts_from_the_call(ports):
    clock, starter = FakeClock(), HeldWorkflow()
    store, status = ports

    code, _ = _start((SlowStore(store, clock), status), {"requestId": "owner-request-1", "wait": 10}, clock, starter)

    assert code == 202
    assert clock.now == pytest.approx(10.0), "the caller was kept longer than the wait it asked for"


def test_on_lambda_every_caller_may_wait_and_none_is_seen_to_leave():
    caller = waiting.current_caller()
    with caller.may_wait() as may_wait:
        assert may_wait is True
    assert caller.gone() is False
