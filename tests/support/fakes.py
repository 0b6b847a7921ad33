"""In-memory fakes of the ports, for tests of the step functions without AWS."""

from __future__ import annotations

import copy

from photobooth.models import ERASED, ImageResult
from photobooth.ports import RequestExists, RequestGone
from photobooth.wall import is_shown


class MemoryStatusStore:
    def __init__(self) -> None:
        self.items: dict[str, dict] = {}

    def create_pending(self, item: dict) -> None:
        if item["requestId"] in self.items:
            raise RequestExists(item["requestId"])
        self.items[item["requestId"]] = copy.deepcopy(item)

    def get(self, request_id: str) -> dict | None:
        item = self.items.get(request_id)
        return None if item is None or item.get("status") == ERASED else copy.deepcopy(item)

    def was_erased(self, request_id: str) -> bool:
        return self.items.get(request_id, {}).get("status") == ERASED

    def _live(self, request_id: str) -> dict:
        item = self.items.get(request_id)
        if item is None or item.get("status") == ERASED:
            raise RequestGone(request_id)
        return item

    def record_image(self, request_id: str, result: ImageResult) -> None:
        self._live(request_id)
        self.items[request_id].setdefault("images", {})[str(result.index)] = result.model_dump(
            mode="json", exclude_none=True
        )

    def update(self, request_id: str, fields: dict) -> None:
        self._live(request_id).update({k: v for k, v in fields.items() if v is not None})

    def fail_unless_terminal(self, request_id: str, fields: dict) -> bool:
        item = self.items.get(request_id)
        if item is None or item.get("status") not in {"PENDING_UPLOAD", "PROCESSING"}:
            return False
        item.update({k: v for k, v in fields.items() if v is not None})
        return True

    def create_alias(self, alias_id: str, request_id: str, *, until: int) -> None:
        existing = self.items.get(alias_id)
        if existing is not None and existing.get("status") == ERASED:
            raise RequestGone(alias_id)
        if existing is not None and existing.get("aliasOf") != request_id:
            raise RequestExists(alias_id)
        self.items[alias_id] = {"requestId": alias_id, "aliasOf": request_id, "expiresAt": until}

    def erase(self, request_id: str, *, until: int) -> None:
        self.items[request_id] = {"requestId": request_id, "status": ERASED, "expiresAt": until}

    def list_wall(self, limit: int) -> list[dict]:
        shown = [copy.deepcopy(item) for item in self.items.values() if is_shown(item)]
        return sorted(shown, key=lambda item: item["createdAt"], reverse=True)[:limit]


class MemoryObjectStore:
    def __init__(self) -> None:
        self.objects: dict[str, tuple[bytes, str]] = {}

    def get(self, key: str) -> bytes:
        return self.objects[key][0]

    def head_size(self, key: str) -> int:
        if key not in self.objects:
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "404", "Message": "Not Found"}}, "HeadObject")
        return len(self.objects[key][0])

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.objects[key] = (data, content_type)

    def list_keys(self, prefix: str) -> list[str]:
        return sorted(k for k in self.objects if k.startswith(prefix))

    def delete_keys(self, keys) -> None:
        for key in keys:
            self.objects.pop(key, None)

    def presign_put(self, key: str, content_type: str, expires: int, *, content_length: int | None = None) -> str:
        return f"https://bucket.example/{key}?put&type={content_type}&expires={expires}&length={content_length}"

    def presign_get(self, key: str, expires: int) -> str:
        return f"https://bucket.example/{key}?get&expires={expires}"
