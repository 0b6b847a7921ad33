"""``photobooth run``'s driver (``photobooth.local.batch.process``) in process: it must not take the CPU from the
photo it waits for. Both tests failed on the driver that polled the record ten times a second with a new boto3
session per photo (every session loads the service models again: some 100 ms of CPU under the GIL)."""

from __future__ import annotations

import json
import sys

import boto3
import pytest

from photobooth.local import batch
from tests.support import portraits
from tests.support.cloud import Cloud


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "visitor.jpg"
    path.write_bytes(portraits.jpeg_bytes(portraits.astronaut()))
    return path


def test_the_driver_looks_at_the_record_when_a_run_ends_not_ten_times_a_second(cloud: Cloud, photo, monkeypatch):
    from moto.dynamodb.responses import DynamoHandler

    looks: list[str] = []
    original = DynamoHandler.get_item

    def counted(self):  # type: ignore[no-untyped-def]
        body = self.body if isinstance(self.body, dict) else json.loads(self.body)
        if body.get("ProjectionExpression") == "#status":
            looks.append("status")
        return original(self)

    monkeypatch.setattr(DynamoHandler, "get_item", counted)

    outcome = batch.process(photo, photo.parent / "out", cloud.local, ["forest", "beach"])

    assert outcome.status == "SUCCEEDED", outcome
    # The photo takes seconds here: ten looks a second made dozens. One look before the run ends, one after it
    # (and one more each half second should the run's end go unnoticed).
    assert 1 <= len(looks) <= 2 + 2 * round(outcome.seconds), (len(looks), outcome.seconds)


def test_the_driver_builds_its_clients_once_per_thread(cloud: Cloud, photo, monkeypatch):
    sessions: list[object] = []

    class CountedSession(boto3.session.Session):
        def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            if sys._getframe(1).f_globals.get("__name__") == batch.__name__:  # the handlers' own do not count
                sessions.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(boto3.session, "Session", CountedSession)

    first = batch.process(photo, photo.parent / "one", cloud.local, ["forest"])
    second = batch.process(photo, photo.parent / "two", cloud.local, ["forest"])

    assert (first.status, second.status) == ("SUCCEEDED", "SUCCEEDED")
    assert len(first.results) == len(second.results) == 1
    assert len(sessions) == 1
