"""Data shapes shared by the handlers, the workflow and the adapters."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from photobooth.errors import ErrorCode


class Box(BaseModel):
    """A rectangle in pixels of one image: ``x0``/``y0`` inclusive, ``x1``/``y1`` exclusive."""

    model_config = ConfigDict(frozen=True)

    x0: int
    y0: int
    x1: int
    y1: int

    @model_validator(mode="after")
    def _ordered(self) -> Box:
        if self.x1 < self.x0 or self.y1 < self.y0:
            raise ValueError(f"box corners out of order: {self}")
        return self

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    def as_list(self) -> list[int]:
        return [self.x0, self.y0, self.x1, self.y1]


class Face(BaseModel):
    model_config = ConfigDict(frozen=True)

    box: Box
    confidence: float = Field(ge=0.0, le=100.0, description="0-100, Rekognition's scale")


# The procedural scenes the offline backend paints (photobooth.offline.scenes); a theme may name one.
OFFLINE_SCENES = ("meadow", "floating-city", "cosmos", "forest", "beach", "gradient")
OfflineScene = Literal["meadow", "floating-city", "cosmos", "forest", "beach", "gradient"]


class Theme(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")
    label: str = Field("", max_length=60)
    # The label in other languages, by language code ({"ko": "갈라의 밤"}); `label` is the English one and the
    # fallback. Built-in themes have their translations in the page (web/js/i18n.js).
    labels: dict[str, str] = Field(default_factory=dict)
    prompt: str = Field(min_length=1, max_length=512)
    negative_prompt: str = Field(default="", max_length=512)
    # Offline (`photobooth serve`, `photobooth run`): the scene painted for this theme; by default the one whose
    # keywords its name and prompt mention most (the console says which).
    offline_scene: OfflineScene | None = None

    @field_validator("labels")
    @classmethod
    def _language_codes(cls, labels: dict[str, str]) -> dict[str, str]:
        bad = [code for code in labels if not re.fullmatch(r"[a-z]{2,3}(-[A-Z]{2})?", code)]
        if bad:
            raise ValueError(f"labels are keyed by language codes such as 'ko' or 'pt-BR', not {bad}")
        empty = [code for code, text in labels.items() if not text.strip() or len(text) > 60]
        if empty:
            raise ValueError(f"labels must be 1 to 60 characters: {empty}")
        return labels


class RequestStatus(StrEnum):
    PENDING_UPLOAD = "PENDING_UPLOAD"
    PROCESSING = "PROCESSING"
    SUCCEEDED = "SUCCEEDED"
    PARTIAL = "PARTIAL"
    FAILED = "FAILED"


# Internal record state, never shown to clients: an erased request's tombstone. ``GET`` answers 404 for it, and
# the workflow's claim refuses it, so a late upload or a repeated event cannot bring the request back.
ERASED = "ERASED"

TERMINAL_STATUSES = frozenset({RequestStatus.SUCCEEDED, RequestStatus.PARTIAL, RequestStatus.FAILED})


class ImageStatus(StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class ErrorInfo(BaseModel):
    code: ErrorCode
    message: str


class StepUsage(BaseModel):
    """What one workflow step used, noted in the status record for the request's cost (photobooth.cost)."""

    seconds: float = Field(0.0, ge=0, description="the Lambda invocation's run time")
    memory_mb: int = Field(ge=1, description="the function's memory")
    rekognition_images: int = Field(0, ge=0, description="images sent to Rekognition (one per API call)")
    sam_seconds: float = Field(0.0, ge=0, description="time the SAM endpoint spent on this request")
    model_id: str | None = Field(None, description="the Bedrock model that painted the image")
    width: int | None = Field(None, ge=1, description="the size the image was sent to the model at")
    height: int | None = Field(None, ge=1)
    passed: bool = Field(True, description="False when the step ended the request (a photo without a face)")
    upscale_model_id: str | None = Field(None, description="the Bedrock model that grew the background, if any")


class ImageResult(BaseModel):
    """One theme's outcome, as the generate step reports it and the status record stores it."""

    index: int = Field(ge=1, description="1-based position in the request's theme order")
    theme: str
    status: ImageStatus
    key: str | None = None
    error: ErrorInfo | None = None
    usage: StepUsage | None = None
