"""A pad's alias on DynamoDB itself (moto evaluates the condition expressions): never re-pointed, never over a
request, never over an erased id (issue 18, defect 1)."""

from __future__ import annotations

import pytest

from photobooth.aws.dynamodb import DynamoStatusStore
from photobooth.ports import RequestExists, RequestGone
from tests.support.status_table import TABLE, mocked_status_table

UNTIL = 4102444800


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch):
    with mocked_status_table(monkeypatch) as resource:
        status = DynamoStatusStore(TABLE, resource)
        for request_id in ("first-request-1", "second-request-2"):
            status.create_pending({"requestId": request_id, "status": "PROCESSING", "images": {}})
        yield status


def test_an_alias_stands_for_its_request_and_may_be_made_again_for_it(store: DynamoStatusStore) -> None:
    store.create_alias("seedpad-0001", "first-request-1", until=UNTIL)
    store.create_alias("seedpad-0001", "first-request-1", until=UNTIL)  # the pad retried after a lost answer

    assert store.get("seedpad-0001") == {
        "requestId": "seedpad-0001",
        "aliasOf": "first-request-1",
        "expiresAt": UNTIL,
    }


def test_an_alias_is_never_re_pointed_to_another_request(store: DynamoStatusStore) -> None:
    store.create_alias("seedpad-0001", "first-request-1", until=UNTIL)

    with pytest.raises(RequestExists):
        store.create_alias("seedpad-0001", "second-request-2", until=UNTIL)

    assert store.get("seedpad-0001")["aliasOf"] == "first-request-1"  # type: ignore[index]


def test_an_alias_never_overwrites_a_request(store: DynamoStatusStore) -> None:
    with pytest.raises(RequestExists):
        store.create_alias("second-request-2", "first-request-1", until=UNTIL)

    assert store.get("second-request-2")["status"] == "PROCESSING"  # type: ignore[index]


def test_an_erased_id_is_told_apart_and_kept_erased(store: DynamoStatusStore) -> None:
    store.create_alias("seedpad-0001", "first-request-1", until=UNTIL)
    store.erase("seedpad-0001", until=UNTIL)

    with pytest.raises(RequestGone):
        store.create_alias("seedpad-0001", "second-request-2", until=UNTIL)

    assert store.get("seedpad-0001") is None
    assert store.was_erased("seedpad-0001")
    assert not store.was_erased("first-request-1") and not store.was_erased("never-seen-1")
