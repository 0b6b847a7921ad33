"""The HTTP API's logic (CONTRACT.md "HTTP API"), free of any web framework.

Errors are the three exception classes below; the handlers map them to 400/404/409 in one place.
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from photobooth import naming, wall
from photobooth.config import Settings
from photobooth.models import ImageStatus, RequestStatus
from photobooth.ports import ObjectStore, RequestExists, StatusStore, WorkflowStarter

ACCEPTED_CONTENT_TYPES = ("image/jpeg", "image/png")


class BadRequest(Exception):
    """400: the message tells the client what to fix."""


class NotFound(Exception):
    """404."""


class Conflict(Exception):
    """409."""


def _now() -> datetime:
    return datetime.now(UTC)


def parse_json(body: str | bytes | None) -> dict:
    try:
        parsed = json.loads(body or "")
    except (TypeError, ValueError) as error:
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
    show_on_wall: bool = Field(False, alias="showOnWall")

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


def create_upload(body: dict, *, settings: Settings, store: ObjectStore, status: StatusStore) -> dict:
    try:
        upload = UploadRequest.model_validate(body)
    except ValidationError as error:
        raise BadRequest(_first_error(error)) from error
    themes = _choose_themes(upload.themes, settings)
    request_id = upload.request_id or naming.new_request_id()
    key = naming.photo_key(request_id, upload.filename)
    try:
        status.create_pending(
            _pending_record(request_id, upload.filename, key, themes, settings, show_on_wall=upload.show_on_wall)
        )
    except RequestExists as error:
        raise Conflict(f"requestId {request_id} already exists") from error
    return {
        "requestId": request_id,
        "Bucket": settings.bucket_name,
        "Key": key,
        "Expires": settings.upload_url_expires,
        "ContentType": upload.content_type,
        "UploadURL": store.presign_put(key, upload.content_type, settings.upload_url_expires),
        "statusUrl": f"/photo/{request_id}",
        "themes": themes,
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


def start_for_uploaded(
    body: dict, *, settings: Settings, store: ObjectStore, status: StatusStore, starter: WorkflowStarter
) -> dict:
    request_id = body.get("requestId", body.get("id"))
    try:
        naming.validate_request_id(request_id)
    except naming.InvalidName as error:
        raise BadRequest(str(error)) from error
    assert isinstance(request_id, str)
    if body.get("bucket") != settings.bucket_name:
        raise BadRequest("bucket must be this service's bucket")
    key = body.get("key")
    if not isinstance(key, str) or not key.startswith(naming.PHOTO_PREFIX):
        raise BadRequest("key must be under photo/")
    try:
        if naming.request_id_from_photo_key(key) != request_id:
            raise BadRequest("key must be photo/{requestId}/{filename} for this requestId")
        filename = naming.validate_filename(key.rsplit("/", 1)[-1])
    except naming.InvalidName as error:
        raise BadRequest(str(error)) from error
    try:
        size = store.head_size(key)
    except Exception as error:
        raise BadRequest("no uploaded photo at that key") from error

    with contextlib.suppress(RequestExists):  # already known: its status decides below
        status.create_pending(_pending_record(request_id, filename, key, list(settings.default_themes), settings))
    record = status.get(request_id)
    if record and record.get("status") == RequestStatus.PENDING_UPLOAD.value:
        # The workflow's own claim makes a second start harmless; starting only while pending saves the call.
        starter.start(request_id, s3_event(settings.bucket_name, key, size, _now()))
    return {"requestId": request_id, "statusUrl": f"/photo/{request_id}"}


def _validated_id(request_id: str) -> str:
    try:
        return naming.validate_request_id(request_id)
    except naming.InvalidName as error:
        raise BadRequest(str(error)) from error


def get_status(request_id: str, *, settings: Settings, store: ObjectStore, status: StatusStore) -> dict:
    record = status.get(_validated_id(request_id))
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
    if record["status"] == RequestStatus.FAILED.value and record.get("errorCode"):
        response["error"] = {"code": record["errorCode"], "message": record.get("errorMessage", "")}
    if record.get("executionArn"):
        response["executionArn"] = record["executionArn"]
    return response


def erase(request_id: str, *, store: ObjectStore, status: StatusStore) -> None:
    request_id = _validated_id(request_id)
    keys = [key for prefix in naming.request_prefixes(request_id) for key in store.list_keys(prefix)]
    record = status.get(request_id)
    if record is None and not keys:
        raise NotFound(f"no request {request_id}")
    # The record goes first: a step still running then finds it gone and cleans up after itself.
    status.delete(request_id)
    store.delete_keys(keys)


def list_themes(settings: Settings) -> list[dict]:
    defaults = set(settings.default_themes)
    return [{"name": t.name, "label": t.label or t.name, "default": t.name in defaults} for t in settings.themes]
