"""Erasure tombstones and the end of a request whose execution died (photobooth.lifecycle)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from photobooth import lifecycle
from photobooth.models import ImageResult, ImageStatus
from photobooth.ports import RequestExists, RequestGone
from tests.support.fakes import MemoryObjectStore, MemoryStatusStore

NOW = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)


def _record(status: str, **extra) -> dict:
    return {"requestId": "req-000001", "status": status, "images": {}, "uploadedAt": "2026-11-30T11:59:30Z", **extra}


def test_erasure_leaves_a_tombstone_that_hides_the_request_and_refuses_its_return():
    store, status = MemoryObjectStore(), MemoryStatusStore()
    status.create_pending(_record("PROCESSING", filename="me.jpg"))
    for key in ("photo/req-000001/me.jpg", "work/req-000001/input.png", "generated/req-000001/photo_me_1.jpeg"):
        store.put(key, b"x", "image/jpeg")
    store.put("photo/req-000002/other.jpg", b"y", "image/jpeg")

    deleted = lifecycle.erase_request("req-000001", store=store, status=status, retention_days=7, now=NOW)

    assert len(deleted) == 3 and store.list_keys("") == ["photo/req-000002/other.jpg"]
    assert status.get("req-000001") is None
    tombstone = status.items["req-000001"]
    assert tombstone == {"requestId": "req-000001", "status": "ERASED", "expiresAt": int(NOW.timestamp()) + 7 * 86400}
    with pytest.raises(RequestExists):
        status.create_pending(_record("PENDING_UPLOAD"))
    with pytest.raises(RequestGone):
        status.record_image("req-000001", ImageResult(index=1, theme="forest", status=ImageStatus.SUCCEEDED))
    with pytest.raises(RequestGone):
        status.update("req-000001", {"status": "SUCCEEDED"})


@pytest.mark.parametrize("state", ["PENDING_UPLOAD", "PROCESSING"])
def test_an_unfinished_request_ends_failed_internal_with_its_time(state):
    status = MemoryStatusStore()
    status.create_pending(_record(state))

    assert lifecycle.fail_unfinished("req-000001", status=status, retention_days=7, now=NOW) is True

    record = status.get("req-000001")
    assert record["status"] == "FAILED" and record["errorCode"] == "INTERNAL"
    assert record["timeTaken"] == 30.0
    assert record["expiresAt"] == int(NOW.timestamp()) + 7 * 86400


@pytest.mark.parametrize("state", ["SUCCEEDED", "PARTIAL", "FAILED"])
def test_a_terminal_request_is_left_as_it_is(state):
    status = MemoryStatusStore()
    status.create_pending(_record(state, errorCode="NO_FACE"))

    assert lifecycle.fail_unfinished("req-000001", status=status, retention_days=7, now=NOW) is False
    assert status.get("req-000001")["status"] == state


def test_an_erased_or_unknown_request_is_not_brought_back():
    status = MemoryStatusStore()
    status.erase("req-000001", until=1)

    assert lifecycle.fail_unfinished("req-000001", status=status, retention_days=7, now=NOW) is False
    assert lifecycle.fail_unfinished("unknown-01", status=status, retention_days=7, now=NOW) is False
    assert status.items["req-000001"]["status"] == "ERASED" and "unknown-01" not in status.items


@pytest.mark.parametrize(
    ("execution_input", "expected"),
    [
        (json.dumps({"detail": {"object": {"key": "photo/req-000001/me.jpg"}}}), "req-000001"),
        (json.dumps({"detail": {"object": {"key": "photo/req-000001/"}}}), None),
        (json.dumps({"detail": {"object": {"key": "photo/x"}}}), None),
        (json.dumps({"detail": {"object": {"key": "photo/../../x/y.jpg"}}}), None),
        (json.dumps({"something": "else"}), None),
        ("not json", None),
        (None, None),
        (json.dumps([1, 2]), None),
    ],
)
def test_the_request_of_an_execution_comes_from_its_input_key(execution_input, expected):
    assert lifecycle.request_id_of_execution({"input": execution_input}) == expected
