"""``POST /photo`` as the seed's pads use it (api.start_for_uploaded), with in-memory ports and a fake clock."""

from __future__ import annotations

import pytest

from photobooth import api
from photobooth.config import Settings
from tests.support.fakes import MemoryObjectStore, MemoryStatusStore

SETTINGS = Settings(backend="offline", bucket_name="booth-bucket")
KEY = "photo/owner-request-1/andy_portrait_2.jpg"


class HeldWorkflow:
    """A workflow that starts and never finishes (or finishes when told): the pad's wait must end anyway."""

    def __init__(self) -> None:
        self.started: list[str] = []

    def start(self, request_id: str, event: dict) -> None:
        self.started.append(request_id)


class AcceptsOnly:
    def __init__(self, key: str) -> None:
        self.key = key

    def accepts(self, presented: str | None) -> bool:
        return presented == self.key


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def ports():
    store, status = MemoryObjectStore(), MemoryStatusStore()
    store.put(KEY, b"jpeg bytes", "image/jpeg")
    return store, status


def _start(ports, body, clock, starter, **kwargs):
    store, status = ports
    return api.start_for_uploaded(
        {"bucket": "booth-bucket", "key": KEY} | body,
        settings=SETTINGS,
        store=store,
        status=status,
        starter=starter,
        clock=clock,
        sleep=clock.sleep,
        **kwargs,
    )


def test_a_held_workflow_answers_202_after_the_bounded_wait_with_back_off(ports):
    clock, starter = FakeClock(), HeldWorkflow()

    code, answer = _start(ports, {"requestId": "owner-request-1"}, clock, starter)

    assert (code, answer) == (202, {"requestId": "owner-request-1", "statusUrl": "/photo/owner-request-1"})
    assert starter.started == ["owner-request-1"]
    assert clock.now == pytest.approx(SETTINGS.photo_wait_seconds)
    assert clock.sleeps[0] == 0.25 and max(clock.sleeps) <= 2.0  # polls the record with back-off, not in a spin
    assert clock.sleeps == sorted(clock.sleeps[:-1]) + clock.sleeps[-1:]


@pytest.mark.parametrize(("body", "kwargs"), [({"wait": 0}, {}), ({}, {"respond_async": True})])
def test_asking_not_to_wait_answers_at_once(ports, body, kwargs):
    clock, starter = FakeClock(), HeldWorkflow()

    code, _ = _start(ports, {"requestId": "owner-request-1", **body}, clock, starter, **kwargs)

    assert code == 202 and clock.sleeps == [] and starter.started == ["owner-request-1"]


def test_a_wait_longer_than_the_setting_is_cut_to_it(ports):
    clock = FakeClock()

    _start(ports, {"wait": 600}, clock, HeldWorkflow())

    assert clock.now == pytest.approx(SETTINGS.photo_wait_seconds)


def test_the_pads_own_id_becomes_an_alias_and_the_answer_names_the_owner(ports):
    store, status = ports
    clock = FakeClock()

    def finish_while_waiting(seconds: float) -> None:
        FakeClock.sleep(clock, seconds)
        status.update("owner-request-1", {"status": "SUCCEEDED", "timeTaken": 12.5})

    clock.sleep = finish_while_waiting  # type: ignore[method-assign]
    code, answer = _start(ports, {"requestId": "b123456abc"}, clock, HeldWorkflow())

    assert code == 200 and answer["requestId"] == "owner-request-1" and answer["status"] == "SUCCEEDED"
    assert answer["time_taken"] == 12.5 and answer["url"] == [] and answer["statusUrl"] == "/photo/owner-request-1"
    assert status.items["b123456abc"]["aliasOf"] == "owner-request-1"
    with pytest.raises(api.Unauthorized):  # a pad's own id is guessable: reading through it needs the booth key
        api.get_status("b123456abc", settings=SETTINGS, store=store, status=status)
    pad = api.Caller(presented_key="the-key", booth_key=lambda: AcceptsOnly("the-key"))
    via_alias = api.get_status("b123456abc", settings=SETTINGS, store=store, status=status, caller=pad)
    assert via_alias["requestId"] == "owner-request-1" and via_alias["status"] == "SUCCEEDED"


def test_an_alias_never_takes_over_a_real_request(ports):
    store, status = ports
    status.create_pending({"requestId": "someone-else", "status": "PROCESSING", "images": {}})

    with pytest.raises(api.Conflict, match="already stands for another request"):
        _start(ports, {"requestId": "someone-else", "wait": 0}, FakeClock(), HeldWorkflow())

    assert "aliasOf" not in status.items["someone-else"]
    assert (
        api.get_status("someone-else", settings=SETTINGS, store=store, status=status)["requestId"] == "someone-else"
    )


def test_a_second_start_for_a_running_request_starts_nothing(ports):
    _, status = ports
    starter = HeldWorkflow()
    _start(ports, {"wait": 0}, FakeClock(), starter)
    status.update("owner-request-1", {"status": "PROCESSING"})

    _start(ports, {"wait": 0}, FakeClock(), starter)

    assert starter.started == ["owner-request-1"]
