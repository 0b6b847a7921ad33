"""Keeps the local server's photos, results and status records on disk, so stopping ``photobooth serve`` loses
nothing.

moto holds everything in memory. We wrap the few moto backend methods that write our bucket and table, and
mirror each write to the data folder as it happens (write-through, so even a killed process keeps what was
finished). On start the folder is loaded back into moto before S3 events are switched on, so restored photos do not
start the workflow again. Records past their retention time are erased at that point, with their objects.

A crash must not cost more than the request it interrupted: every file is written to a temporary name, synced, then
renamed (a reader sees the old file or the new one, never half of one); temporary files a crash left behind are
removed at start; a record file that still cannot be read is moved to ``quarantine/`` with one log line, and the
rest is served. Record files have case-safe names (``record_file_name``): two ids that differ only in case stay two
files on macOS's and Windows' disks too. A record that cannot be written (disk full) is taken back out of moto's
memory, so memory and disk never disagree and the caller gets a clear error instead of a wrong answer on its retry.
"""

from __future__ import annotations

import copy
import errno
import json
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError, ParamValidationError
from moto.dynamodb.exceptions import DynamodbException, MockValidationException
from moto.s3.exceptions import S3ClientError

from photobooth import naming, pacing

log = logging.getLogger("photobooth.local")

CONTENT_TYPES = {".jpeg": "image/jpeg", ".jpg": "image/jpeg", ".png": "image/png"}

StatusListener = Callable[[dict | None, dict | None], None]  # (after, before); after is None when erased


TEMPORARY_PREFIX = ".tmp-"
QUARANTINE = "quarantine"


class DataFolderUnwritable(DynamodbException):
    """moto answers a record write that could not reach the disk with this error (HTTP 507). boto3 does not retry
    507, and the API maps the error code to a clear 503 (``photobooth.http``)."""

    code = 507
    error_code = "DataFolderUnwritable"

    def __init__(self, reason: str) -> None:
        super().__init__(self.error_code, f"the local server cannot save to its data folder: {reason}")


class ObjectFolderUnwritable(S3ClientError):
    """The same for a photo or result that could not reach the disk: the object is taken back out of moto's memory,
    so nothing is kept that a restart would lose. (moto answers an S3 error code its model does not know with 400,
    which boto3 does not retry either.)"""

    def __init__(self, reason: str) -> None:
        super().__init__("DataFolderUnwritable", f"the local server cannot save to its data folder: {reason}")


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash at any moment leaves the old file or the new one, whole.

    fsync the file before the rename (or the rename can reach the disk before the data does) and the folder after
    it (or the rename itself can be lost). A failed write removes its temporary file and raises ``OSError``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=TEMPORARY_PREFIX)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    except OSError as error:
        if error.errno not in (errno.EINVAL, errno.EBADF):  # some file systems cannot sync a folder
            raise
    finally:
        os.close(descriptor)


def _remove_temporary_files(folder: Path) -> int:
    """A temporary file is a write that never reached its rename: it is never the only copy of anything."""
    removed = 0
    for path in folder.rglob(f"{TEMPORARY_PREFIX}*"):
        if path.is_file():
            path.unlink(missing_ok=True)
            removed += 1
    return removed


class UnreadableRecord(ValueError):
    """A record file that a crash or a hand edit left truncated, empty or not a status record."""


# A record's file is named after its requestId, and ids are case-sensitive ("AbC…" and "abc…" are two requests),
# but the default disks of macOS and Windows are not: the two would be one file. So a name with capitals also says
# where they are, as a hexadecimal bit mask ("AbC-0001" → "AbC-0001.5.json": capitals at 0 and 2): names that differ
# only in case then differ in their mask too. The id stays in the name as it is (an operator finds a request's file
# by its id), "." is in no requestId, and an id without capitals keeps the name it always had.


# The same rule names the folders of ``objects/``: the second part of every key is a requestId (``photo/``,
# ``work/``, ``generated/``) or a wallId (``wall/``), both case-sensitive, and two requests whose ids differ only in
# case would otherwise share a folder and overwrite each other's results (same stem, same index).

_ID_CHARACTERS = re.compile(r"[A-Za-z0-9_-]+")
_OBJECT_PREFIXES = tuple(
    prefix.rstrip("/")
    for prefix in (naming.PHOTO_PREFIX, naming.WORK_PREFIX, naming.GENERATED_PREFIX, naming.WALL_PREFIX)
)


def case_safe_name(identifier: str) -> str:
    """``identifier`` (letters, digits, ``-``, ``_``) with the hexadecimal mask of its capitals when it has any."""
    capitals = sum(1 << index for index, character in enumerate(identifier) if "A" <= character <= "Z")
    return f"{identifier}.{capitals:x}" if capitals else identifier


def _identifier_of_name(name: str) -> str | None:
    """The identifier ``case_safe_name`` made ``name`` from, or None when it made no such name."""
    identifier = name.split(".")[0]
    if not _ID_CHARACTERS.fullmatch(identifier) or case_safe_name(identifier) != name:
        return None
    return identifier


def record_file_name(request_id: str) -> str:
    """The case-safe file name of a record. Only a valid requestId becomes one: ``../x`` never leaves ``records/``."""
    return f"{case_safe_name(naming.validate_request_id(request_id))}.json"


def object_file_name(key: str) -> str:
    """The path under ``objects/`` of a key: ``generated/AbC-0001/x.jpeg`` → ``generated/AbC-0001.5/x.jpeg``. Keys of
    any other shape (none that the booth writes) keep their path as is."""
    parts = key.split("/")
    if len(parts) >= 3 and parts[0] in _OBJECT_PREFIXES and _ID_CHARACTERS.fullmatch(parts[1]):
        parts[1] = case_safe_name(parts[1])
    return "/".join(parts)


def key_of_object_file(relative: str) -> str:
    """The key a path under ``objects/`` (as ``object_file_name`` made it) was written as."""
    parts = relative.split("/")
    if len(parts) >= 3 and parts[0] in _OBJECT_PREFIXES and (identifier := _identifier_of_name(parts[1])):
        parts[1] = identifier
    return "/".join(parts)


def request_id_of_file(path: Path) -> str:
    """The requestId a record file is named after; :class:`naming.InvalidName` for any name ``record_file_name``
    does not make."""
    request_id = path.name.removesuffix(".json").split(".")[0]
    if record_file_name(request_id) != path.name:
        raise naming.InvalidName(f"{path.name} is not the file name of a status record")
    return request_id


def _is_name_before_case_safety(path: Path) -> bool:
    """A file named after its requestId as is (before issue 18): a valid id with capitals, without a mask."""
    try:
        naming.validate_request_id(path.stem)
    except naming.InvalidName:
        return False
    return path.stem != path.stem.lower()


def _read_record(path: Path, request_id: str) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UnreadableRecord(f"cannot read it ({error.__class__.__name__})") from error
    if not text.strip():
        raise UnreadableRecord("it is empty")
    try:
        item = json.loads(text)
    except ValueError as error:
        raise UnreadableRecord(f"it is not whole JSON ({error})") from error
    if not isinstance(item, dict) or not all(isinstance(value, dict) for value in item.values()):
        raise UnreadableRecord("it is not a DynamoDB item")
    if item.get("requestId") != {"S": request_id}:
        raise UnreadableRecord("its requestId does not match its file name")
    return item


def _plain(attributes: dict) -> dict:
    """DynamoDB JSON → Python values, for the status listener."""
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {name: deserializer.deserialize(value) for name, value in attributes.items()}


# BatchWriteItem takes at most 25 items
# (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html).
RESTORE_BATCH = 25


class DataMirror:
    def __init__(self, data_dir: Path, *, bucket: str, table: str) -> None:
        self.objects_dir = data_dir / "objects"
        self.records_dir = data_dir / "records"
        self.bucket = bucket
        self.table = table
        self.quarantine_dir = data_dir / QUARANTINE
        self.listeners: list[StatusListener] = []
        self._lock = threading.Lock()
        self._restoring = False  # restored records come from the disk: writing them back would only cost fsyncs
        # One writer at a time in the objects folder: a delete tidies empty request folders, which must not vanish
        # between another write's mkdir and its rename (moto's gate already serialises requests per key).
        self._objects_lock = threading.Lock()

    # -- paths ----------------------------------------------------------------------------------------------

    def _object_path(self, key: str) -> Path | None:
        path = (self.objects_dir / object_file_name(key)).resolve()
        if self.objects_dir.resolve() not in path.parents:
            return None  # a key like "../x" never leaves the data folder
        return path

    def _record_path(self, request_id: str) -> Path:
        """Only a valid requestId becomes a file name: ``../../x`` or ``/etc/x`` never leaves ``records/``."""
        return self.records_dir / record_file_name(request_id)

    # -- write-through --------------------------------------------------------------------------------------

    def object_written(self, bucket: str, key: str, value: bytes) -> None:
        """Raises ``OSError`` when the disk refuses. Objects being restored come from the disk: not written again."""
        path = self._object_path(key) if bucket == self.bucket and not self._restoring else None
        if path is not None:
            with self._objects_lock:
                _atomic_write(path, bytes(value))

    def object_deleted(self, bucket: str, key: str) -> None:
        path = self._object_path(key) if bucket == self.bucket else None
        if path is None:
            return
        with self._objects_lock:
            path.unlink(missing_ok=True)
            self._remove_empty_folders(path)

    def _remove_empty_folders(self, path: Path) -> None:
        """Tidy the request folders a removed file leaves empty, up to (not including) ``objects/``."""
        top = self.objects_dir.resolve()
        for parent in path.resolve().parents:
            if parent == top or top not in parent.parents or not parent.is_dir() or any(parent.iterdir()):
                break
            parent.rmdir()

    def record_changed(self, table: str, request_id: str, after: dict | None) -> None:
        """Bring the record's file in line with moto's memory; raises ``OSError`` when the disk refuses."""
        if table != self.table or self._restoring:
            return
        with self._lock:
            path = self._record_path(request_id)
            if after is None:
                path.unlink(missing_ok=True)
                _fsync_folder(path.parent)
            else:
                _atomic_write(path, json.dumps(after, sort_keys=True).encode())

    def notify(self, table: str, before: dict | None, after: dict | None) -> None:
        if table != self.table or (after is None and before is None):
            return
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
            try:
                for mirror in _MIRRORS:
                    mirror.object_written(bucket_name, key_name, value)
            except OSError as error:
                delete_object(backend, bucket_name, key_name)
                raise ObjectFolderUnwritable(error.strerror or str(error)) from error
            return key

        def mirrored_delete_object(backend: Any, bucket_name: str, key_name: str, *a: Any, **kw: Any):
            result = delete_object(backend, bucket_name, key_name, *a, **kw)
            for mirror in _MIRRORS:
                mirror.object_deleted(bucket_name, key_name)
            return result

        S3Backend.put_object = mirrored_put_object  # type: ignore[method-assign,assignment]
        S3Backend.delete_object = mirrored_delete_object  # type: ignore[method-assign,assignment]
        S3Backend._photobooth_mirrored = True  # type: ignore[attr-defined]

        if not getattr(DynamoDBBackend, "_photobooth_mirrored", False):  # wrapped twice, a write would deadlock
            for name in ("put_item", "update_item", "delete_item"):
                setattr(DynamoDBBackend, name, _mirrored_item_write(getattr(DynamoDBBackend, name)))
            DynamoDBBackend._photobooth_mirrored = True  # type: ignore[attr-defined]

    # -- restore --------------------------------------------------------------------------------------------

    def restore(self, *, now: float | None = None) -> tuple[int, int]:
        """Load the folder into moto; erase what is past retention. Returns (records, objects) loaded."""
        now = now or time.time()
        for folder in (self.records_dir, self.objects_dir):
            if folder.is_dir() and (removed := _remove_temporary_files(folder)):
                log.info("removed %d unfinished temporary file(s) from %s", removed, folder)
        if self.records_dir.is_dir():
            self._rename_to_case_safe_names()
        if self.objects_dir.is_dir():
            self._rename_object_folders_to_case_safe_names()
        s3 = boto3.client("s3")
        dynamodb = boto3.client("dynamodb")
        expired: set[str] = set()
        records = 0
        self._restoring = True
        try:
            batch: list[tuple[Path, dict]] = []
            for path in sorted(self.records_dir.glob("*.json")):
                try:
                    request_id = request_id_of_file(path)
                    item = _read_record(path, request_id)
                except (naming.InvalidName, UnreadableRecord) as error:
                    self._quarantine(path, str(error))
                    continue
                expires = item.get("expiresAt", {}).get("N")
                if expires is not None and float(expires) < now:
                    expired.add(request_id)
                    path.unlink()
                    continue
                batch.append((path, item))
                if len(batch) == RESTORE_BATCH:
                    records += self._load_records(dynamodb, batch)
                    batch = []
            records += self._load_records(dynamodb, batch)
        finally:
            self._restoring = False
        objects = 0
        self._restoring = True
        try:
            objects = self._restore_objects(s3, expired)
        finally:
            self._restoring = False
        if expired:
            log.info("erased %d request(s) past the retention period", len(expired))
        return records, objects

    def _load_records(self, dynamodb: Any, batch: list[tuple[Path, dict]]) -> int:
        """Put a batch of records into the table; returns how many it holds now. One ``BatchWriteItem`` per batch
        (a ``PutItem`` each made a restart with thousands of never-uploaded records take minutes); when DynamoDB
        refuses the batch, its records go one by one, so only the one it refuses is set aside."""
        if not batch:
            return 0
        try:
            requests: dict[str, Any] = {self.table: [{"PutRequest": {"Item": item}} for _path, item in batch]}
            while requests:  # DynamoDB may leave some for later (moto never does)
                requests = dynamodb.batch_write_item(RequestItems=requests).get("UnprocessedItems") or {}
            return len(batch)
        except (ClientError, ParamValidationError):
            pass
        loaded = 0
        for path, item in batch:
            try:
                dynamodb.put_item(TableName=self.table, Item=item)
            except ClientError as error:
                self._quarantine(path, f"DynamoDB refused it ({error.response['Error'].get('Code')})")
                continue
            except ParamValidationError:  # botocore refuses it before sending: a type DynamoDB does not have
                self._quarantine(path, "it is not a DynamoDB item (botocore refused its shape)")
                continue
            loaded += 1
        return loaded

    def _restore_objects(self, s3: Any, expired: set[str]) -> int:
        objects = 0
        # The wall's copies are filed under their record's wallId, not a requestId: they stay while a record names it.
        scan = (
            boto3.client("dynamodb")
            .get_paginator("scan")
            .paginate(
                TableName=self.table, ProjectionExpression="#wall", ExpressionAttributeNames={"#wall": "wallId"}
            )
        )
        wall_ids = {item["wallId"]["S"] for page in scan for item in page["Items"] if "wallId" in item}
        for path in sorted(p for p in self.objects_dir.rglob("*") if p.is_file()):
            key = key_of_object_file(path.relative_to(self.objects_dir).as_posix())
            owner = key.split("/")[1] if "/" in key else ""
            if (owner not in wall_ids) if key.startswith(naming.WALL_PREFIX) else (owner in expired):
                path.unlink()
                self._remove_empty_folders(path)
                continue
            s3.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=path.read_bytes(),
                ContentType=CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream"),
            )
            objects += 1
        return objects

    def _rename_to_case_safe_names(self) -> None:
        """Give the record files written before issue 18 their case-safe names. Two files that the old names kept
        apart on a case-sensitive disk stay two; on a case-insensitive one they were already one, and that one
        keeps whichever record was written last."""
        renamed = 0
        for path in sorted(self.records_dir.glob("*.json")):
            if not _is_name_before_case_safety(path):
                continue
            target = self._record_path(path.stem)
            if target.exists():  # never overwrite: set it aside, it may be the only trace of a request
                self._quarantine(path, f"{target.name}, its case-safe name, is taken")
                continue
            os.replace(path, target)
            renamed += 1
        if renamed:
            _fsync_folder(self.records_dir)
            log.info("gave %d record file(s) in %s case-safe names", renamed, self.records_dir)

    def _rename_object_folders_to_case_safe_names(self) -> None:
        """Give the request (and wallId) folders of ``objects/`` written before issue 18 their case-safe names, as
        ``_rename_to_case_safe_names`` does for record files. A folder whose new name is taken is set aside whole."""
        renamed = 0
        for prefix in _OBJECT_PREFIXES:
            folder = self.objects_dir / prefix
            if not folder.is_dir():
                continue
            for path in sorted(folder.iterdir()):
                if not path.is_dir() or not _ID_CHARACTERS.fullmatch(path.name) or path.name == path.name.lower():
                    continue  # already case-safe: no capitals, or a mask after a "."
                target = folder / case_safe_name(path.name)
                if target.exists():
                    self._set_aside(path, f"{prefix}/{target.name}, its case-safe name, is taken")
                    continue
                os.replace(path, target)
                renamed += 1
            _fsync_folder(folder)
        if renamed:
            log.info("gave %d folder(s) in %s case-safe names", renamed, self.objects_dir)

    def _set_aside(self, folder: Path, reason: str) -> None:
        """Move a folder of objects to ``quarantine/objects/…`` (never delete: it may hold a visitor's only photo)."""
        target = self.quarantine_dir / "objects" / folder.relative_to(self.objects_dir)
        copies = 1
        while target.exists():
            target = target.with_name(f"{folder.name}.copy{copies}")
            copies += 1
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(folder, target)
        log.warning("set the folder %s aside (%s); moved it to %s", folder, reason, target)

    def _quarantine(self, path: Path, reason: str) -> None:
        """Set a file aside (never delete it: it may be the only trace of a visitor's request) and say so once."""
        self.quarantine_dir.mkdir(parents=True, exist_ok=True)
        target = self.quarantine_dir / path.name
        copies = 1
        while target.exists():
            target = self.quarantine_dir / f"{path.stem}.{copies}{path.suffix}"
            copies += 1
        os.replace(path, target)
        log.warning("skipped the unreadable record file %s (%s); moved it to %s", path, reason, target)


_MIRRORS: list[DataMirror] = []


# moto checks a condition and writes in two steps without a lock; DynamoDB does both atomically. The server's
# threads (two copies of one upload event claiming the same request) must not both win.
_ITEM_WRITES = threading.Lock()


def _mirrored_item_write(method: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap one of moto's item writes: refuse a requestId that is no file name, write the disk inside the write's
    lock, and undo the write in memory when the disk refuses it."""

    def wrapper(backend: Any, table_name: str, *args: Any, **kwargs: Any) -> Any:
        mirrors = [mirror for mirror in _MIRRORS if mirror.table == table_name]
        key = kwargs.get("key") or kwargs.get("item_attrs") or (args[0] if args else None)
        request_id = (key or {}).get("requestId", {}).get("S")
        if request_id == pacing.PACE_KEY:
            # The models' queue (photobooth.pacing) is no visitor's record: it lives in memory only, and after a
            # restart the requests that resume book again.
            return method(backend, table_name, *args, **kwargs)
        if mirrors and request_id is not None:
            try:
                naming.validate_request_id(request_id)
            except naming.InvalidName as error:
                raise MockValidationException(f"requestId: {error}") from error
        with _ITEM_WRITES:
            if not mirrors or request_id is None:
                return method(backend, table_name, *args, **kwargs)
            before = _current(backend, table_name, request_id)
            result = method(backend, table_name, *args, **kwargs)
            after = _current(backend, table_name, request_id)
            try:
                for mirror in mirrors:
                    mirror.record_changed(table_name, request_id, after)
            except OSError as error:
                _put_back(backend, table_name, request_id, before)
                log.error("could not save the record of %s: %s", request_id, error.strerror or error)
                raise DataFolderUnwritable(error.strerror or str(error)) from error
        for mirror in mirrors:
            mirror.notify(table_name, before, after)
        return result

    return wrapper


def _current(backend: Any, table_name: str, request_id: str) -> dict | None:
    item = backend.get_item(table_name, {"requestId": {"S": request_id}})
    # A deep copy: moto updates nested maps in place, and ``before`` must stay what it was.
    return copy.deepcopy(item.to_json()["Attributes"]) if item else None


def _put_back(backend: Any, table_name: str, request_id: str, before: dict | None) -> None:
    """Undo a write in moto's memory, through the table itself (the backend's methods are the wrapped ones)."""
    table = backend.get_table(table_name)
    if before is None:
        hash_key, range_key = backend.get_keys_value(table, {"requestId": {"S": request_id}})
        table.delete_item(hash_key, range_key)
    else:
        table.put_item(before)
