"""Named failures of the photo pipeline.

The state machine's ``Retry`` and ``Catch`` blocks match these by *class name* (Lambda reports an unhandled
exception's class name as the error name), so renaming a class is a change to the workflow contract.
Each class carries the contract's ``error.code`` and a message that is safe to show to a visitor.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    NO_FACE = "NO_FACE"
    INVALID_IMAGE = "INVALID_IMAGE"
    TOO_LARGE = "TOO_LARGE"
    UNSUPPORTED_TYPE = "UNSUPPORTED_TYPE"
    MODERATION_REJECTED = "MODERATION_REJECTED"
    GENERATION_FAILED = "GENERATION_FAILED"
    INTERNAL = "INTERNAL"


class PhotoboothError(Exception):
    """Base class: a failure with a contract error code. Subclasses set ``code`` and ``public_message``."""

    code: ErrorCode = ErrorCode.INTERNAL
    public_message: str = "Something went wrong while processing the photo."

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.public_message)


class NoFaceDetected(PhotoboothError):
    code = ErrorCode.NO_FACE
    public_message = "No face was found in the photo."


class InvalidImage(PhotoboothError):
    code = ErrorCode.INVALID_IMAGE
    public_message = "The file is not a readable image."


class PhotoMissing(PhotoboothError):
    """The uploaded object is not there (erased before the workflow reached it). Nothing is kept of the request."""

    code = ErrorCode.INVALID_IMAGE
    public_message = "The photo is no longer there."


class ImageTooLarge(PhotoboothError):
    code = ErrorCode.TOO_LARGE
    public_message = "The image is too large."


class UnsupportedImageType(PhotoboothError):
    code = ErrorCode.UNSUPPORTED_TYPE
    public_message = "This image format is not supported; use JPEG or PNG."


class ModerationRejected(PhotoboothError):
    code = ErrorCode.MODERATION_REJECTED
    public_message = "The image model's content filter rejected this request."


class PhotoRejected(ModerationRejected):
    """The content check found what the booth does not show, before any model was paid for."""

    public_message = "This photo can't be used at the booth. Please take another one."


class GeneratedImageRejected(ModerationRejected):
    """The content check refused one generated picture; the others are still shown."""

    public_message = "This picture did not pass the content check, so it is not shown."


class ModerationUnavailable(PhotoboothError):
    """Transient: the content moderation service is throttled or briefly unavailable. Retried by the workflow."""

    code = ErrorCode.INTERNAL
    public_message = "The content check is busy; please try again."


class GenerationFailed(PhotoboothError):
    code = ErrorCode.GENERATION_FAILED
    public_message = "The image could not be generated."


class ModelThrottled(PhotoboothError):
    """Transient: every configured model answered with throttling. The workflow retries it with back-off."""

    code = ErrorCode.GENERATION_FAILED
    public_message = "The image model is busy; please try again."


class ModelUnavailable(PhotoboothError):
    """One model cannot serve requests (end of life, not enabled, wrong region). The generator falls over to the
    next configured model; raised to the workflow only when no model is left."""

    code = ErrorCode.GENERATION_FAILED
    public_message = "No configured image model is available."


class GenerationOutOfTime(PhotoboothError):
    """Transient: the generate function's remaining time would not cover another model call, so none was started
    (a Lambda timeout would end the image as INTERNAL). A new invocation has a full time budget: the workflow
    retries it once."""

    code = ErrorCode.GENERATION_FAILED
    public_message = "The image model took too long; please try again."


class FaceDetectionUnavailable(PhotoboothError):
    """Transient: the face detection service is throttled or briefly unavailable. Retried by the workflow."""

    code = ErrorCode.INTERNAL
    public_message = "The face detection service is busy."


class SegmentationUnavailable(PhotoboothError):
    """Transient: the segmentation endpoint is throttled or briefly unavailable. Retried by the workflow."""

    code = ErrorCode.INTERNAL
    public_message = "The segmentation service is busy."


class SegmentationRejected(PhotoboothError):
    """Permanent: the segmentation endpoint refused the request (a 4xx from its container, or a request SageMaker
    found invalid). Retrying the same request would be refused again."""

    code = ErrorCode.INTERNAL
    public_message = "The photo could not be cut out."


_BY_NAME: dict[str, type[PhotoboothError]] = {
    cls.__name__: cls
    for cls in (
        NoFaceDetected,
        InvalidImage,
        PhotoMissing,
        ImageTooLarge,
        UnsupportedImageType,
        ModerationRejected,
        GenerationFailed,
        ModelThrottled,
        ModelUnavailable,
        GenerationOutOfTime,
        FaceDetectionUnavailable,
        SegmentationUnavailable,
        SegmentationRejected,
        PhotoRejected,
        GeneratedImageRejected,
        ModerationUnavailable,
    )
}


def error_class_for(error_name: str) -> type[PhotoboothError]:
    """Map a Step Functions error name (an exception class name) to its class; unknown names are internal."""
    return _BY_NAME.get(error_name, PhotoboothError)


_PRIMARY_BY_CODE: dict[ErrorCode, type[PhotoboothError]] = {
    ErrorCode.NO_FACE: NoFaceDetected,
    ErrorCode.INVALID_IMAGE: InvalidImage,
    ErrorCode.TOO_LARGE: ImageTooLarge,
    ErrorCode.UNSUPPORTED_TYPE: UnsupportedImageType,
    ErrorCode.MODERATION_REJECTED: ModerationRejected,
    ErrorCode.GENERATION_FAILED: GenerationFailed,
    ErrorCode.INTERNAL: PhotoboothError,
}


def public_message(code: ErrorCode) -> str:
    """The visitor-safe message for a code (several classes share GENERATION_FAILED and INTERNAL)."""
    return _PRIMARY_BY_CODE[code].public_message
