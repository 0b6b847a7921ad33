"""The event wall (issue 10): a big screen shows the newest pictures of visitors who ticked the second, separate
consent ("show my pictures on the event screen").

Privacy rules, all enforced here and by ``StatusStore.list_wall``:
- only requests whose record says ``showOnWall`` and that finished with pictures (SUCCEEDED or PARTIAL);
- the store is asked for at most ``WALL_LIMIT`` requests, newest first; the bucket is never listed;
- the answer names no request: each picture has an opaque ``id`` for the slideshow. The presigned URLs still show
  the object key, whose layout (CONTRACT.md: generated/{requestId}/…) contains the requestId; docs/decisions.md
  says what that means for erasure and how to close it;
- an erased request has no record, so it is gone from the next answer.

On DynamoDB the wall reads the sparse global secondary index ``WALL_INDEX``: only opted-in records carry its
partition attribute, so the index holds exactly the wall's candidates (see docs/decisions.md).
"""

from __future__ import annotations

import hashlib
from typing import Any

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
SHOWN_STATUSES = frozenset({RequestStatus.SUCCEEDED.value, RequestStatus.PARTIAL.value})


def consent_fields(show_on_wall: bool) -> dict[str, Any]:
    """What a new record stores about the wall consent; the index attribute only when the visitor opted in."""
    fields: dict[str, Any] = {"showOnWall": show_on_wall}
    if show_on_wall:
        fields[WALL_PARTITION_ATTRIBUTE] = WALL_PARTITION
    return fields


def is_shown(record: dict) -> bool:
    return record.get("showOnWall") is True and record.get("status") in SHOWN_STATUSES


def _opaque_id(request_id: str, index: str) -> str:
    """Stable per picture, so the slideshow knows what is new, and useless for erasing someone's request."""
    return hashlib.sha256(f"wall:{request_id}:{index}".encode()).hexdigest()[:20]


def list_wall(*, settings: Settings, store: ObjectStore, status: StatusStore, limit: int = WALL_LIMIT) -> dict:
    photos: list[dict] = []
    for record in status.list_wall(limit):
        if not is_shown(record):  # the store already filters; a second look costs nothing
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
                    "id": _opaque_id(str(record["requestId"]), index),
                    "url": store.presign_get(entry["key"], settings.download_url_expires),
                    "theme": themes[position] if 0 <= position < len(themes) else "",
                }
            )
    return {"photos": photos[:limit], "limit": limit}
