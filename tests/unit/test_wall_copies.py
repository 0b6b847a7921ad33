"""The event wall shows copies under a random ``wallId``, never a key with the requestId (photobooth.wall): the
wall is served without any key, and a requestId opens the visitor's status, original photo and erasure."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from PIL import Image

from photobooth import lifecycle, naming, pipeline, wall
from photobooth.config import Settings
from tests.support import portraits
from tests.support.fakes import MemoryObjectStore, MemoryStatusStore

SETTINGS = Settings(backend="offline")
UPLOADED = datetime(2026, 11, 30, 10, 0, 0, tzinfo=UTC)
REQUEST = "req-000001"


def _result(width: int = 2048, height: int = 1536) -> bytes:
    pixels = np.random.default_rng(7).integers(0, 255, (height, width, 3), dtype=np.uint8)
    return portraits.jpeg_bytes(Image.fromarray(pixels))


def _record(show_on_wall: bool) -> dict:
    return {"requestId": REQUEST, "status": "PROCESSING", "images": {}, **wall.consent_fields(show_on_wall)}


def _ok(index: int) -> dict:
    return {"index": index, "theme": f"t{index}", "status": "SUCCEEDED", "key": f"generated/{REQUEST}/p_{index}.jpeg"}


def _failed(index: int) -> dict:
    return {
        "index": index,
        "theme": f"t{index}",
        "status": "FAILED",
        "error": {"code": "GENERATION_FAILED", "message": "no"},
    }


def _finalize(status, store, images):
    for image in images:
        if image["status"] == "SUCCEEDED":
            store.put(image["key"], _result(), "image/jpeg")
    request = pipeline.FinalizeRequest(requestId=REQUEST, uploadedAt=UPLOADED.isoformat(), images=images)
    return pipeline.finalize(
        request, status=status, store=store, settings=SETTINGS, now=UPLOADED + timedelta(seconds=10)
    )


def test_consent_gives_the_record_a_random_wall_id_unrelated_to_the_request():
    first, second = wall.consent_fields(True), wall.consent_fields(True)

    assert naming.WALL_ID_PATTERN.fullmatch(first["wallId"]) and first["wallId"] != second["wallId"]
    assert "wallId" not in wall.consent_fields(False)


def test_a_wall_id_is_checked_before_it_becomes_a_key():
    assert naming.wall_prefix("A" * 22) == f"wall/{'A' * 22}/"
    assert naming.wall_key("A" * 22, 2) == f"wall/{'A' * 22}/2.jpeg"
    for bad in ("../generated", "short", "a/b" * 8, "", None):
        with pytest.raises(naming.InvalidName):
            naming.wall_prefix(bad)  # type: ignore[arg-type]


def test_finalize_writes_screen_size_copies_of_the_succeeded_results_before_the_terminal_status():
    store = MemoryObjectStore()
    seen_at_update: list[list[str]] = []

    class WatchingStatus(MemoryStatusStore):
        def update(self, request_id: str, fields: dict) -> None:
            if "status" in fields:
                seen_at_update.append(store.list_keys("wall/"))
            super().update(request_id, fields)

    status = WatchingStatus()
    status.create_pending(_record(True))
    wall_id = status.items[REQUEST]["wallId"]

    assert _finalize(status, store, [_ok(1), _failed(2), _ok(3)])["status"] == "PARTIAL"

    expected = [f"wall/{wall_id}/1.jpeg", f"wall/{wall_id}/3.jpeg"]
    assert store.list_keys("wall/") == expected
    assert seen_at_update == [expected], "the copies exist before the request is terminal"
    data, content_type = store.objects[expected[0]]
    with Image.open(io.BytesIO(data)) as copy:
        assert (copy.format, copy.size, content_type) == ("JPEG", (1280, 960), "image/jpeg")


@pytest.mark.parametrize(
    ("show_on_wall", "images"), [(False, [_ok(1)]), (True, [_failed(1)])], ids=["private", "nothing succeeded"]
)
def test_finalize_copies_nothing_for_a_private_or_failed_request(show_on_wall, images):
    store, status = MemoryObjectStore(), MemoryStatusStore()
    status.create_pending(_record(show_on_wall))

    _finalize(status, store, images)

    assert store.list_keys("wall/") == []


def test_an_erasure_racing_finalize_leaves_no_wall_copy():
    """The visitor's DELETE lands just before finalize writes a copy: erasure found nothing under the wall prefix
    and the record is a tombstone now, so finalize itself removes the copy when its terminal update is refused."""
    status = MemoryStatusStore()
    status.create_pending(_record(True))

    class ErasedWhileCopying(MemoryObjectStore):
        def put(self, key: str, data: bytes, content_type: str) -> None:
            if key.startswith(naming.WALL_PREFIX) and status.get(REQUEST) is not None:
                lifecycle.erase_request(REQUEST, store=self, status=status, retention_days=7)
            super().put(key, data, content_type)

    store = ErasedWhileCopying()

    _finalize(status, store, [_ok(1), _ok(2)])

    assert store.list_keys("") == []
    assert status.get(REQUEST) is None


def test_a_result_erased_before_finalize_read_it_is_not_copied_and_finalize_still_ends():
    store = MemoryObjectStore()

    class ErasedAfterRead(MemoryStatusStore):
        racing = True

        def get(self, request_id: str) -> dict | None:
            record = super().get(request_id)
            if record is not None and self.racing:
                self.racing = False
                lifecycle.erase_request(request_id, store=store, status=self, retention_days=7)
            return record

    status = ErasedAfterRead()
    status.create_pending(_record(True))

    assert _finalize(status, store, [_ok(1)])["status"] == "SUCCEEDED"

    assert store.list_keys("") == []
    assert status.get(REQUEST) is None


def test_erasure_deletes_the_wall_copies_of_the_request_only():
    store, status = MemoryObjectStore(), MemoryStatusStore()
    status.create_pending(_record(True))
    other = {**_record(True), "requestId": "req-000002"}
    status.create_pending(other)
    mine, theirs = status.items[REQUEST]["wallId"], other["wallId"]
    for key in (naming.wall_key(mine, 1), naming.wall_key(theirs, 1), f"generated/{REQUEST}/p_1.jpeg"):
        store.put(key, b"x", "image/jpeg")

    lifecycle.erase_request(REQUEST, store=store, status=status, retention_days=7)

    assert store.list_keys("") == [naming.wall_key(theirs, 1)]


def test_the_wall_answer_presigns_only_wall_copies_and_names_no_request():
    store, status = MemoryObjectStore(), MemoryStatusStore()
    shown = {
        **_record(True),
        "status": "SUCCEEDED",
        "createdAt": "2026-11-30T10:00:00+00:00",
        "themeList": "forest",
        "images": {"1": {"index": 1, "theme": "forest", "status": "SUCCEEDED", "key": f"generated/{REQUEST}/p.jpeg"}},
    }
    # Opted in before wall copies existed: no wallId, so it stays off the wall rather than show its requestId.
    legacy = {**shown, "requestId": "req-legacy1", "createdAt": "2026-11-30T11:00:00+00:00"}
    del legacy["wallId"]
    status.create_pending(shown)
    status.create_pending(legacy)

    answer = wall.list_wall(settings=SETTINGS, store=store, status=status)

    assert [photo["url"].split("?")[0] for photo in answer["photos"]] == [
        f"https://bucket.example/wall/{shown['wallId']}/1.jpeg"
    ]
    text = str(answer)
    assert REQUEST not in text and "req-legacy1" not in text and "generated/" not in text
