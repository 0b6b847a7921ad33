"""The ends of a request's life that no workflow step owns: erasure, and a run that died without recording its end.

CONTRACT.md: erasure is final (a tombstone refuses the request's return for the retention period), and no request
stays PROCESSING — an execution that failed, timed out or was aborted, or a crashed local server, ends the
request FAILED with INTERNAL unless it already has a terminal status.
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta

from photobooth import naming
from photobooth.errors import ErrorCode, public_message
from photobooth.models import RequestStatus
from photobooth.ports import ObjectStore, StatusStore


def _now() -> datetime:
    return datetime.now(UTC)


def erase_request(
    request_id: str, *, store: ObjectStore, status: StatusStore, retention_days: int, now: datetime | None = None
) -> list[str]:
    """Leave a tombstone, then delete every object of the request. Returns the deleted keys.

    The tombstone goes first: a step still running then finds the request erased and cleans up after itself, and
    an upload arriving later is refused by the workflow's claim and deleted.
    """
    until = int(((now or _now()) + timedelta(days=retention_days)).timestamp())
    status.erase(request_id, until=until)
    keys = [key for prefix in naming.request_prefixes(request_id) for key in store.list_keys(prefix)]
    store.delete_keys(keys)
    return keys


def elapsed_since(record: dict, finished: datetime) -> float | None:
    """Seconds from the record's upload (or creation) time to ``finished``; ``None`` when neither is readable."""
    for field in ("uploadedAt", "createdAt"):
        with contextlib.suppress(KeyError, TypeError, ValueError):
            started = datetime.fromisoformat(str(record[field]).replace("Z", "+00:00"))
            if started.tzinfo is None:
                started = started.replace(tzinfo=UTC)
            return round(max(0.0, (finished - started).total_seconds()), 3)
    return None


def fail_unfinished(
    request_id: str, *, status: StatusStore, retention_days: int, now: datetime | None = None
) -> bool:
    """End a request FAILED/INTERNAL unless it is terminal, erased or unknown. ``True`` when this call ended it."""
    record = status.get(request_id)
    if record is None:
        return False
    finished = now or _now()
    fields = {
        "status": RequestStatus.FAILED.value,
        "errorCode": ErrorCode.INTERNAL.value,
        "errorMessage": public_message(ErrorCode.INTERNAL),
        "finishedAt": finished.isoformat(),
        "timeTaken": elapsed_since(record, finished),
        "expiresAt": int((finished + timedelta(days=retention_days)).timestamp()),
    }
    return status.fail_unless_terminal(request_id, fields)


def request_id_of_execution(detail: dict) -> str | None:
    """The request an execution worked on, from its input (the S3 event); ``None`` for anything else.

    Never raises: this runs for executions that failed, often because their input was not what we expected.
    """
    try:
        started_with = json.loads(detail.get("input") or "{}")
        key = started_with["detail"]["object"]["key"]
        return naming.request_id_from_photo_key(key)
    except (TypeError, ValueError, KeyError, AttributeError):
        return None
