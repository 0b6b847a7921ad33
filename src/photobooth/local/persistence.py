"""Keeps the local server's photos, results and status records on disk, so stopping ``photobooth serve`` loses
nothing.

moto holds everything in memory. We wrap the few moto backend methods that write our bucket and table, and
mirror each write to the data folder as it happens (write-through, so even a killed process keeps what was
finished). On start the folder is loaded back into moto before S3 events are switched on, so restored photos do not
start the workflow again. Records past their retention time are erased at that point, with their objects.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3

log = logging.getLogger("photobooth.local")

CONTENT_TYPES = {".jpeg": "image/jpeg", ".jpg": "image/jpeg", ".png": "image/png"}

StatusListener = Callable[[dict | None, dict | None], None]  # (after, before); after is None when erased


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.replace(temporary, path)


def _plain(attributes: dict) -> dict:
    """DynamoDB JSON → Python values, for the status listener."""
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {name: deserializer.deserialize(value) for name, value in attributes.items()}


class DataMirror:
    def __init__(self, data_dir: Path, *, bucket: str, table: str) -> None:
        self.objects_dir = data_dir / "objects"
        self.records_dir = data_dir / "records"
        self.bucket = bucket
        self.table = table
        self.listeners: list[StatusListener] = []
        self._lock = threading.Lock()
        # One writer at a time in the objects folder: a delete tidies empty request folders, which must not vanish
        # between another write's mkdir and its rename (moto's gate already serialises requests per key).
        self._objects_lock = threading.Lock()

    # -- paths ----------------------------------------------------------------------------------------------

    def _object_path(self, key: str) -> Path | None:
        path = (self.objects_dir / key).resolve()
        if self.objects_dir.resolve() not in path.parents:
            return None  # a key like "../x" never leaves the data folder
        return path

    def _record_path(self, request_id: str) -> Path:
        return self.records_dir / f"{request_id}.json"

    # -- write-through --------------------------------------------------------------------------------------

    def object_written(self, bucket: str, key: str, value: bytes) -> None:
        path = self._object_path(key) if bucket == self.bucket else None
        if path is not None:
            with self._objects_lock:
                _atomic_write(path, bytes(value))

    def object_deleted(self, bucket: str, key: str) -> None:
        path = self._object_path(key) if bucket == self.bucket else None
        if path is None:
            return
        with self._objects_lock:
            path.unlink(missing_ok=True)
            for parent in path.parents:  # tidy empty request folders
                if parent == self.objects_dir.resolve() or not parent.is_dir() or any(parent.iterdir()):
                    break
                parent.rmdir()

    def record_changed(self, table: str, request_id: str, before: dict | None, after: dict | None) -> None:
        if table != self.table:
            return
        with self._lock:
            path = self._record_path(request_id)
            if after is None:
                path.unlink(missing_ok=True)
            else:
                _atomic_write(path, json.dumps(after, sort_keys=True).encode())
        if after is not None or before is not None:
            for listener in self.listeners:
                listener(_plain(after) if after else None, _plain(before) if before else None)

    # -- moto hooks -----------------------------------------------------------------------------------------

    def install(self) -> None:
        from moto.dynamodb.models import DynamoDBBackend
        from moto.s3.models import S3Backend

        _MIRRORS.append(self)
        if getattr(S3Backend, "_photobooth_mirrored", False):
            return
        put_object, delete_object = S3Backend.put_object, S3Backend.delete_object

        def mirrored_put_object(backend: Any, bucket_name: str, key_name: str, value: bytes, *a: Any, **kw: Any):
            key = put_object(backend, bucket_name, key_name, value, *a, **kw)
            for mirror in _MIRRORS:
                mirror.object_written(bucket_name, key_name, value)
            return key

        def mirrored_delete_object(backend: Any, bucket_name: str, key_name: str, *a: Any, **kw: Any):
            result = delete_object(backend, bucket_name, key_name, *a, **kw)
            for mirror in _MIRRORS:
                mirror.object_deleted(bucket_name, key_name)
            return result

        S3Backend.put_object = mirrored_put_object  # type: ignore[method-assign,assignment]
        S3Backend.delete_object = mirrored_delete_object  # type: ignore[method-assign,assignment]
        S3Backend._photobooth_mirrored = True  # type: ignore[attr-defined]

        for name in ("put_item", "update_item", "delete_item"):
            setattr(DynamoDBBackend, name, _mirrored_item_write(getattr(DynamoDBBackend, name)))

    # -- restore --------------------------------------------------------------------------------------------

    def restore(self, *, now: float | None = None) -> tuple[int, int]:
        """Load the folder into moto; erase what is past retention. Returns (records, objects) loaded."""
        now = now or time.time()
        s3 = boto3.client("s3")
        dynamodb = boto3.client("dynamodb")
        expired: set[str] = set()
        records = 0
        for path in sorted(self.records_dir.glob("*.json")):
            item = json.loads(path.read_text())
            expires = item.get("expiresAt", {}).get("N")
            if expires is not None and float(expires) < now:
                expired.add(path.stem)
                path.unlink()
                continue
            dynamodb.put_item(TableName=self.table, Item=item)
            records += 1
        objects = 0
        for path in sorted(p for p in self.objects_dir.rglob("*") if p.is_file() and not p.name.startswith(".tmp-")):
            key = path.relative_to(self.objects_dir).as_posix()
            if key.split("/")[1:2] and key.split("/")[1] in expired:
                path.unlink()
                continue
            s3.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=path.read_bytes(),
                ContentType=CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream"),
            )
            objects += 1
        if expired:
            log.info("erased %d request(s) past the retention period", len(expired))
        return records, objects


_MIRRORS: list[DataMirror] = []


# moto checks a condition and writes in two steps without a lock; DynamoDB does both atomically. The server's
# threads (two copies of one upload event claiming the same request) must not both win.
_ITEM_WRITES = threading.Lock()


def _mirrored_item_write(method: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(backend: Any, table_name: str, *args: Any, **kwargs: Any) -> Any:
        with _ITEM_WRITES:
            key = kwargs.get("key") or kwargs.get("item_attrs") or (args[0] if args else None)
            request_id = (key or {}).get("requestId", {}).get("S")
            before = _current(backend, table_name, request_id)
            result = method(backend, table_name, *args, **kwargs)
            after = _current(backend, table_name, request_id)
        if request_id:
            for mirror in _MIRRORS:
                mirror.record_changed(table_name, request_id, before, after)
        return result

    return wrapper


def _current(backend: Any, table_name: str, request_id: str | None) -> dict | None:
    if not request_id:
        return None
    item = backend.get_item(table_name, {"requestId": {"S": request_id}})
    return item.to_json()["Attributes"] if item else None
