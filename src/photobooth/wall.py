"""The event wall (issue 10): a big screen shows the newest pictures of visitors who ticked the second, separate
consent ("show my pictures on the event screen").

Privacy rules, all enforced here and by ``StatusStore.list_wall``:
- only requests whose record says ``showOnWall`` and that finished with pictures (SUCCEEDED or PARTIAL);
- the store is asked for at most ``WALL_LIMIT`` requests, newest first; the bucket is never listed;
- the answer names no request. The wall is served without any key, and a requestId opens the visitor's status
  (with their original photo) and erasure. So the wall shows screen-size copies at ``wall/{wallId}/{i}.jpeg``,
  written by the finalize step (``pipeline._copy_to_wall``); ``wallId`` is a random id stored in the record at upload
  and unrelated to the requestId. No ``generated/`` or ``photo/`` key is ever presigned here;
- an erased request has no record, so it is gone from the next answer, and erasure deletes its copies.

On DynamoDB the wall reads the sparse global secondary index ``WALL_INDEX``: only opted-in records carry its
partition attribute, so the index holds exactly the wall's candidates (see docs/decisions.md).
"""

from __future__ import annotations

import hashlib
from typing import Any

from photobooth import naming
from photobooth.config import Settings
from photobooth.models import ImageStatus, RequestStatus
from photobooth.ports import ObjectStore, StatusStore

WALL_INDEX = "wall"
WALL_PARTITION_ATTRIBUTE = "wallPartition"
WALL_SORT_ATTRIBUTE = "createdAt"
WALL_PARTITION = "wall"
WALL_INDEX_DEFINITION = {  # what infra/ and the local moto table create
    "IndexName": WALL_INDEX,
    "KeySchema": [
        {"AttributeName": WALL_PARTITION_ATTRIBUTE, "KeyType": "HASH"},
        {"AttributeName": WALL_SORT_ATTRIBUTE, "KeyType": "RANGE"},
    ],
    "Projection": {"ProjectionType": "KEYS_ONLY"},
}
WALL_LIMIT = 30
WALL_LONG_SIDE = 1280  # px: sharp on a big screen, and not the print-size result
WALL_ID_ATTRIBUTE = "wallId"
SHOWN_STATUSES = frozenset({RequestStatus.SUCCEEDED.value, RequestStatus.PARTIAL.value})


def consent_fields(show_on_wall: bool) -> dict[str, Any]:
    """What a new record stores about the wall consent; the index attribute only when the visitor opted in."""
    fields: dict[str, Any] = {"showOnWall": show_on_wall}
    if show_on_wall:
        fields[WALL_PARTITION_ATTRIBUTE] = WALL_PARTITION
        fields[WALL_ID_ATTRIBUTE] = naming.new_wall_id()
    return fields


def wall_id_of(record: dict | None) -> str | None:
    """The record's valid ``wallId``; ``None`` for a private request or one opted in before wall copies existed
    (such a request is not shown: the wall never presigns a key that contains a requestId)."""
    if not record or record.get("showOnWall") is not True:
        return None
    wall_id = record.get(WALL_ID_ATTRIBUTE)
    try:
        return naming.validate_wall_id(wall_id)
    except naming.InvalidName:
        return None


def is_shown(record: dict) -> bool:
    return record.get("showOnWall") is True and record.get("status") in SHOWN_STATUSES


def _opaque_id(wall_id: str, index: str) -> str:
    """Stable per picture, so the slideshow knows what is new."""
    return hashlib.sha256(f"wall:{wall_id}:{index}".encode()).hexdigest()[:20]


def list_wall(*, settings: Settings, store: ObjectStore, status: StatusStore, limit: int = WALL_LIMIT) -> dict:
    photos: list[dict] = []
    for record in status.list_wall(limit):
        wall_id = wall_id_of(record)
        if not is_shown(record) or wall_id is None:  # the store already filters; a second look costs nothing
            continue
        themes = [name for name in str(record.get("themeList", "")).split(",") if name]
        images: dict[str, Any] = record.get("images") or {}
        for index in sorted(images, key=int):
            entry = images[index]
            if entry.get("status") != ImageStatus.SUCCEEDED.value or not entry.get("key"):
                continue
            position = int(index) - 1
            photos.append(
                {
                    "id": _opaque_id(wall_id, index),
                    "url": store.presign_get(naming.wall_key(wall_id, int(index)), settings.download_url_expires),
                    "theme": themes[position] if 0 <= position < len(themes) else "",
                }
            )
    return {"photos": photos[:limit], "limit": limit}
