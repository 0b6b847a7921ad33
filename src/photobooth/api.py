"""The HTTP API's logic (CONTRACT.md "HTTP API"), free of any web framework.

Errors are the three exception classes below; the handlers map them to 400/404/409 in one place.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from photobooth import cost, lifecycle, naming, pacing, waiting, wall
from photobooth.config import ANSWER_MARGIN_SECONDS, UPSTREAM_TIMEOUT_SECONDS, Settings
from photobooth.models import ImageStatus, RequestStatus
from photobooth.ports import BoothKey, ObjectStore, RequestExists, RequestGone, StatusStore, WorkflowStarter

ACCEPTED_CONTENT_TYPES = ("image/jpeg", "image/png")


class BadRequest(Exception):
    """400: the message tells the client what to fix."""


class NotFound(Exception):
    """404."""


class Conflict(Exception):
    """409."""


class Unauthorized(Exception):
    """401: this needs the booth key, and none was sent (API Gateway's answer on the pads' routes too)."""


class Forbidden(Exception):
    """403: the booth key sent is not the booth key."""


BOOTH_KEY_HEADER = "x-booth-key"  # infra/photobooth_infra/constants.py


@dataclass(frozen=True)
class Caller:
    """Who calls a visitor route (``GET``/``DELETE /photo/{id}``). A visitor's phone holds a random 128-bit id and
    needs nothing else; a pad's own id (an alias) is short and guessable, so reading or erasing through it needs
    the booth key that made it, and so does the execution's ARN, which names the account. The key is checked only
    when an answer depends on it: a phone's polls cost no secret read."""

    presented_key: str | None = None
    booth_key: Callable[[], BoothKey] | None = None

    def has_booth_key(self) -> bool:
        return self.booth_key is not None and self.booth_key().accepts(self.presented_key)

    def require_booth_key(self, why: str) -> None:
        if self.has_booth_key():
            return
        if self.presented_key:
            raise Forbidden(f"the booth key sent is not this booth's: {why}")
        raise Unauthorized(f"{why} needs the booth key (the {BOOTH_KEY_HEADER} header)")


VISITOR = Caller()


def _now() -> datetime:
    return datetime.now(UTC)


MAX_BODY_BYTES = 16 * 1024  # the largest legitimate body (a theme list) is well under 1 KB


def parse_json(body: str | bytes | None) -> dict:
    """The request body as a JSON object, or :class:`BadRequest`: never a 500 for what a client sent."""
    if body is not None and len(body) > MAX_BODY_BYTES:
        raise BadRequest(f"the request body is larger than {MAX_BODY_BYTES} bytes")
    try:
        parsed = json.loads(body or "")
    except (TypeError, ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        raise BadRequest("the request body must be a JSON object") from error
    if not isinstance(parsed, dict):
        raise BadRequest("the request body must be a JSON object")
    return parsed


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = str(first["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


class UploadRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Literal["photo"]
    filename: str
    content_type: str = Field(alias="contentType")
    request_id: str | None = Field(default=None, alias="requestId")
    themes: list[str] | None = None
    content_length: int | None = Field(default=None, alias="contentLength", gt=0, strict=True)
    show_on_wall: bool = Field(default=False, alias="showOnWall", strict=True)

    @field_validator("filename")
    @classmethod
    def _safe_filename(cls, value: str) -> str:
        try:
            return naming.validate_filename(value)
        except naming.InvalidName as error:
            raise ValueError(str(error)) from error

    @field_validator("content_type")
    @classmethod
    def _accepted_type(cls, value: str) -> str:
        if value not in ACCEPTED_CONTENT_TYPES:
            raise ValueError(f"contentType must be one of {', '.join(ACCEPTED_CONTENT_TYPES)}")
        return value

    @field_validator("request_id")
    @classmethod
    def _request_id(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return naming.validate_request_id(value)
        except naming.InvalidName as error:
            raise ValueError(str(error)) from error


def _choose_themes(requested: list[str] | None, settings: Settings) -> list[str]:
    if requested is None:
        return list(settings.default_themes)
    known = {theme.name for theme in settings.themes}
    if not requested:
        raise BadRequest("themes must name at least one theme")
    unknown = [name for name in requested if name not in known]
    if unknown:
        raise BadRequest(f"unknown theme: {unknown[0]!r}; known themes: {', '.join(sorted(known))}")
    return list(dict.fromkeys(requested))  # keep the booth's order, drop repeats


def _pending_record(
    request_id: str, filename: str, key: str, themes: list[str], settings: Settings, *, show_on_wall: bool = False
) -> dict:
    now = _now()
    return {
        **wall.consent_fields(show_on_wall),
        "requestId": request_id,
        "status": RequestStatus.PENDING_UPLOAD.value,
        "createdAt": now.isoformat(),
        "filename": filename,
        "originalKey": key,
        "themeList": ",".join(themes),
        "images": {},
        "expiresAt": int((now + timedelta(days=settings.retention_days)).timestamp()),  # DynamoDB TTL
    }


def expected_wait(
    request_id: str, record: dict, *, pace: pacing.PaceStore | None, settings: Settings, now: float | None = None
) -> dict:
    """``expectedReadyAt`` and ``queueAhead`` (CONTRACT.md) of a request still on its way: from its booked model
    slots, or (its photo not arrived yet) from the queue's next free slot; nothing once it has ended."""
    waiting_statuses = (RequestStatus.PENDING_UPLOAD.value, RequestStatus.PROCESSING.value)
    if pace is None or record.get("status") not in waiting_statuses:
        return {}
    themes = [name for name in str(record.get("themeList", "")).split(",") if name]
    return pacing.estimate(
        pace.read(),
        request_id,
        len(themes) or len(settings.default_themes),
        calls_per_minute=settings.model_calls_per_minute,
        now=time.time() if now is None else now,
    ).as_fields()


def create_upload(
    body: dict, *, settings: Settings, store: ObjectStore, status: StatusStore, pace: pacing.PaceStore | None = None
) -> dict:
    try:
        upload = UploadRequest.model_validate(body)
    except ValidationError as error:
        raise BadRequest(_first_error(error)) from error
    if upload.content_length is not None and upload.content_length > settings.max_upload_bytes:
        raise BadRequest(f"contentLength is over the upload limit of {settings.max_upload_bytes} bytes")
    themes = _choose_themes(upload.themes, settings)
    request_id = upload.request_id or naming.new_request_id()
    key = naming.photo_key(request_id, upload.filename)
    record = _pending_record(request_id, upload.filename, key, themes, settings, show_on_wall=upload.show_on_wall)
    try:
        status.create_pending(record)
    except RequestExists as error:
        raise Conflict(f"requestId {request_id} already exists") from error
    if pace is not None:  # counted in the queue from now on, so a group's photos sent together are told apart
        pace.announce(request_id, pacing.Announced(calls=len(themes), at=time.time()))
    return {
        "requestId": request_id,
        "Bucket": settings.bucket_name,
        "Key": key,
        "Expires": settings.upload_url_expires,
        "ContentType": upload.content_type,
        "UploadURL": store.presign_put(
            key, upload.content_type, settings.upload_url_expires, content_length=upload.content_length
        ),
        "statusUrl": f"/photo/{request_id}",
        "themes": themes,
        "showOnWall": upload.show_on_wall,
        **expected_wait(request_id, record, pace=pace, settings=settings),
    }


def s3_event(bucket: str, key: str, size: int, when: datetime) -> dict:
    """The EventBridge "Object Created" event, as S3 sends it; ``POST /photo`` starts the workflow with one."""
    return {
        "version": "0",
        "id": naming.new_request_id(),
        "detail-type": "Object Created",
        "source": "aws.s3",
        "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {"key": key, "size": size},
            "reason": "PutObject",
        },
    }


class StartRequest(BaseModel):
    """``POST /photo`` as the seed's pads send it: their own id, and the bucket and key of the upload answer."""

    model_config = ConfigDict(extra="ignore")

    request_id: str | None = Field(default=None, alias="requestId")
    id: str | None = None
    bucket: str
    key: str
    wait: float | None = Field(default=None, ge=0)

    @field_validator("request_id", "id")
    @classmethod
    def _not_empty(cls, value: str | None) -> str | None:
        if value == "":  # the seed's pads send their own id; an empty one would silently make no alias
            raise ValueError("must not be empty: leave it out, or send the pad's own id")
        return value

    @property
    def pad_id(self) -> str | None:
        return self.request_id or self.id


TERMINAL = frozenset({RequestStatus.SUCCEEDED.value, RequestStatus.PARTIAL.value, RequestStatus.FAILED.value})


def _parse_start(body: dict, settings: Settings) -> tuple[StartRequest, str, str]:
    """The request, the id of the request that owns the key, and the upload's filename."""
    try:
        start = StartRequest.model_validate(body)
    except ValidationError as error:
        raise BadRequest(_first_error(error)) from error
    if start.bucket != settings.bucket_name:
        raise BadRequest("bucket must be this service's bucket")
    if not start.key.startswith(naming.PHOTO_PREFIX):
        raise BadRequest("key must be under photo/")
    try:
        owner = naming.request_id_from_photo_key(start.key)
        filename = naming.validate_filename(start.key.rsplit("/", 1)[-1])
        if start.pad_id is not None:
            naming.validate_request_id(start.pad_id)
    except naming.InvalidName as error:
        raise BadRequest(str(error)) from error
    return start, owner, filename


def photo_wait_budget(
    wanted: float, *, received_epoch_ms: int | None, now_epoch_ms: int, remaining_ms: int | None
) -> float:
    """The seconds POST /photo may wait: ``wanted``, less whatever a cold authorizer and a cold start spent since
    the request arrived (``received_epoch_ms``: the HTTP API event's ``requestContext.timeEpoch``), and never past
    the function's own end (``remaining_ms``: the Lambda context's remaining time)."""
    budget = wanted
    if received_epoch_ms is not None:
        spent = max(0.0, (now_epoch_ms - received_epoch_ms) / 1000)
        budget = min(budget, UPSTREAM_TIMEOUT_SECONDS - spent - ANSWER_MARGIN_SECONDS)
    if remaining_ms is not None:
        budget = min(budget, remaining_ms / 1000 - ANSWER_MARGIN_SECONDS)
    return max(0.0, budget)


def start_for_uploaded(
    body: dict,
    *,
    settings: Settings,
    store: ObjectStore,
    status: StatusStore,
    starter: WorkflowStarter,
    respond_async: bool = False,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    budget: Callable[[float], float] | None = None,
) -> tuple[int, dict]:
    """Start the workflow for an uploaded key and wait for its end, as the seed's API did.

    Returns ``(200, result)`` when the request finished within the wait, else ``(202, where to poll)``; ``budget``
    shortens the wait to what the caller's time limits leave (:func:`photo_wait_budget`). The
    upload's own S3 event and this call meet at the workflow's claim, so one upload is processed once whatever
    arrives first. The request that owns the key counts; the pad's own id becomes an alias of it.
    """
    called = clock()
    start, owner, filename = _parse_start(body, settings)
    try:
        size = store.head_size(start.key)
    except Exception as error:
        if status.was_erased(owner):  # erasure took the photo too; CONTRACT.md answers an erased request 404
            raise NotFound(_ERASED.format(request_id=owner)) from error
        raise BadRequest("no uploaded photo at that key") from error

    with contextlib.suppress(RequestExists):  # already known (or erased): its record decides below
        status.create_pending(_pending_record(owner, filename, start.key, list(settings.default_themes), settings))
    record = status.get(owner)
    if record is None:
        raise NotFound(_ERASED.format(request_id=owner))  # its tombstone refuses the request's return
    if start.pad_id is not None and start.pad_id != owner:
        _create_alias(start.pad_id, owner, settings=settings, status=status)
    if record.get("status") == RequestStatus.PENDING_UPLOAD.value:
        # The workflow's own claim makes a second start harmless; starting only while pending saves the call.
        starter.start(owner, s3_event(settings.bucket_name, start.key, size, _now()))

    wait = (
        0.0
        if respond_async
        else min(start.wait if start.wait is not None else settings.photo_wait_seconds, settings.photo_wait_seconds)
    )
    deadline = called + wait  # the promised wait counts from the call, not from the end of the calls above
    if budget is not None:  # and never past what the 30 s in front of the function leave (photo_wait_budget)
        deadline = min(deadline, clock() + budget(wait))
    waiter = waiting.current_caller()
    with waiter.may_wait() as may_wait:  # past the server's bound on waiting calls: answer at once
        finished = _wait_until_terminal(
            owner, status, deadline if may_wait else clock(), clock=clock, sleep=sleep, gone=waiter.gone
        )
    if finished:
        answer = get_status(owner, settings=settings, store=store, status=status)
        result = {
            "requestId": owner,
            "status": answer["status"],
            "statusUrl": f"/photo/{owner}",
            "url": answer["url_generated"],
            "url_original": answer.get("url_original"),
            "url_generated": answer["url_generated"],
            "time_taken": answer.get("time_taken"),
        }
        if "error" in answer:
            result["error"] = answer["error"]
        return 200, result
    return 202, {"requestId": owner, "statusUrl": f"/photo/{owner}"}


_ERASED = "request {request_id} was erased on request; erasure is final"


def _create_alias(pad_id: str, owner: str, *, settings: Settings, status: StatusStore) -> None:
    """The pad's own id stands for the request that owns the upload, for as long as the request is kept. An id
    already standing for something else is refused rather than re-pointed: erasing through it would erase another
    visitor's request (issue 18)."""
    expires = int((_now() + timedelta(days=settings.retention_days)).timestamp())
    try:
        status.create_alias(pad_id, owner, until=expires)
    except RequestGone as error:
        raise Conflict(
            f"requestId {pad_id} was erased and cannot be used again for {settings.retention_days} days: "
            "send a new requestId for a new photo"
        ) from error
    except RequestExists as error:
        raise Conflict(
            f"requestId {pad_id} already stands for another request: send a requestId of this pad's own, "
            "new for each photo"
        ) from error


def _wait_until_terminal(
    request_id: str,
    status: StatusStore,
    deadline: float,
    *,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    gone: Callable[[], bool],
) -> bool:
    """Poll the status record (not the execution: one consistent read is the cheapest call) with back-off, until
    ``deadline`` (a ``clock()`` time) or until the caller hangs up."""
    pause = 0.25
    while True:
        record = status.get(request_id)
        if record is None:
            raise NotFound(f"no request {request_id}")  # erased while we waited
        if record.get("status") in TERMINAL:
            return True
        left = deadline - clock()
        if left <= 0 or gone():
            return False
        sleep(min(pause, left))
        pause = min(pause * 1.5, 2.0)


def _validated_id(request_id: str) -> str:
    try:
        return naming.validate_request_id(request_id)
    except naming.InvalidName as error:
        raise BadRequest(str(error)) from error


def _resolve(request_id: str, status: StatusStore, caller: Caller) -> tuple[str, dict | None]:
    """A pad's alias stands for the request that owns the upload (``POST /photo``), for a caller with the key."""
    record = status.get(_validated_id(request_id))
    if record is not None and record.get("aliasOf"):
        caller.require_booth_key(f"{request_id} is a booth pad's own id: reading or erasing through it")
        return record["aliasOf"], status.get(record["aliasOf"])
    return request_id, record


def get_status(
    request_id: str,
    *,
    settings: Settings,
    store: ObjectStore,
    status: StatusStore,
    caller: Caller = VISITOR,
    pace: pacing.PaceStore | None = None,
) -> dict:
    request_id, record = _resolve(request_id, status, caller)
    if record is None:
        raise NotFound(f"no request {request_id}")
    expires = settings.download_url_expires
    themes = [name for name in str(record.get("themeList", "")).split(",") if name]
    stored: dict[str, Any] = record.get("images") or {}
    images: list[dict] = []
    for index, theme in enumerate(themes, start=1):
        entry = stored.get(str(index))
        image: dict[str, Any] = {"index": index, "theme": theme, "status": ImageStatus.PENDING.value}
        if entry:
            image["status"] = entry["status"]
            if entry.get("key"):
                image["url"] = store.presign_get(entry["key"], expires)
            if entry.get("error"):
                image["error"] = entry["error"]
        images.append(image)

    response: dict[str, Any] = {
        "requestId": request_id,
        "code": naming.short_code(request_id),  # shown on the booth's screens for staff
        "status": record["status"],
        "themes": themes,
        "url_generated": [image["url"] for image in images if image["status"] == "SUCCEEDED" and "url" in image],
        "images": images,
        "showOnWall": record.get("showOnWall") is True,
    }
    if "expiresAt" in record:  # the phone page shows "Available until {date}"
        response["availableUntil"] = datetime.fromtimestamp(int(record["expiresAt"]), UTC).isoformat()
    if record["status"] != RequestStatus.PENDING_UPLOAD.value and record.get("originalKey"):
        response["url_original"] = store.presign_get(record["originalKey"], expires)
    if "timeTaken" in record:
        response["time_taken"] = float(record["timeTaken"])
    elif record["status"] in TERMINAL and record.get("finishedAt"):
        # Ended by the workflow's own fallback, which can write a time but cannot subtract one.
        finished = datetime.fromisoformat(str(record["finishedAt"]).replace("Z", "+00:00"))
        elapsed = lifecycle.elapsed_since(record, finished)
        if elapsed is not None:
            response["time_taken"] = elapsed
    if record["status"] == RequestStatus.FAILED.value and record.get("errorCode"):
        response["error"] = {"code": record["errorCode"], "message": record.get("errorMessage", "")}
    if record.get("executionArn") and caller.has_booth_key():  # it names the account, region and state machine
        response["executionArn"] = record["executionArn"]
    response["showOnWall"] = bool(record.get("showOnWall", False))
    response |= expected_wait(request_id, record, pace=pace, settings=settings)
    if record["status"] in TERMINAL:
        # finalize's estimate; a run that died before finalize gets one from what its steps noted
        response["cost"] = record.get("cost") or cost.estimate_of_record(record, settings.prices).as_record()
    return response


def erase(
    request_id: str, *, settings: Settings, store: ObjectStore, status: StatusStore, caller: Caller = VISITOR
) -> None:
    asked = _validated_id(request_id)
    request_id, record = _resolve(asked, status, caller)
    has_objects = any(store.list_keys(prefix) for prefix in naming.request_prefixes(request_id))
    if record is None and not has_objects:
        raise NotFound(f"no request {asked}")
    lifecycle.erase_request(request_id, store=store, status=status, retention_days=settings.retention_days)
    if asked != request_id:  # erased through the pad's alias: the alias goes too
        lifecycle.erase_request(asked, store=store, status=status, retention_days=settings.retention_days)


def list_themes(settings: Settings) -> list[dict]:
    defaults = set(settings.default_themes)
    return [
        {"name": t.name, "label": t.label or t.name, "labels": dict(t.labels), "default": t.name in defaults}
        for t in settings.themes
    ]
