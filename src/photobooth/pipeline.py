"""The workflow's steps as plain functions: each takes its input model and the ports it needs.

The Lambda handlers (``functions/*/handler.py``) only parse the event, build the ports from settings and call one
function here; tests call these functions with in-memory fakes or offline adapters.
"""

from __future__ import annotations

import contextlib
import io
import logging
import time
import zlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote_plus

import numpy as np
from botocore.exceptions import ClientError
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from photobooth import cost, imaging, lifecycle, moderation, naming, pacing, wall
from photobooth.boxes import keep_faces
from photobooth.config import Settings
from photobooth.cutouts import SharedCutOuts
from photobooth.errors import (
    ErrorCode,
    GeneratedImageRejected,
    GenerationFailed,
    ImageTooLarge,
    ModelUnavailable,
    ModerationRejected,
    ModerationUnavailable,
    NoFaceDetected,
    PhotoboothError,
    PhotoMissing,
    PhotoRejected,
    error_class_for,
    public_message,
)
from photobooth.models import Box, ErrorInfo, ImageResult, ImageStatus, RequestStatus, StepUsage
from photobooth.offline.moderation import NoModeration
from photobooth.ports import (
    FaceDetector,
    ImageGenerator,
    Moderator,
    ObjectsNotDeleted,
    ObjectStore,
    RequestGone,
    Segmenter,
    StatusStore,
    Upscaler,
)

log = logging.getLogger(__name__)


class _StepModel(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


class DetectRequest(_StepModel):
    request_id: str = Field(alias="requestId")
    bucket: str
    key: str


class Detection(_StepModel):
    source_key: str = Field(alias="sourceKey", description="the upload's real key (the event's may be URL-encoded)")
    input_key: str = Field(alias="inputKey")
    faces: list[Box]
    keep_boxes: list[Box] = Field(default_factory=list, alias="keepBoxes")
    content_width: int = Field(alias="contentWidth")
    content_height: int = Field(alias="contentHeight")


class SegmentRequest(_StepModel):
    request_id: str = Field(alias="requestId")
    bucket: str
    detection: Detection


class Segmentation(_StepModel):
    mask_key: str = Field(alias="maskKey")


class ModelSlot(_StepModel):
    at: float = Field(description="epoch seconds: the call starts no earlier")
    wait_until: str = Field(alias="waitUntil", description="the Wait state's TimestampPath value")


class GenerateRequest(_StepModel):
    request_id: str = Field(alias="requestId")
    bucket: str
    key: str
    theme: str
    index: int = Field(ge=1)
    input_key: str = Field(alias="inputKey")
    mask_key: str = Field(alias="maskKey")
    content_width: int = Field(alias="contentWidth")
    content_height: int = Field(alias="contentHeight")
    slot: ModelSlot | None = Field(None, description="the model call's booked slot (photobooth.pacing)")


class BookRequest(_StepModel):
    """Step "Book the model calls": one slot per theme, as soon as the request is claimed."""

    request_id: str = Field(alias="requestId")
    uploaded_at: datetime | None = Field(None, alias="uploadedAt")
    themes: list[str] = Field(min_length=1)


class StepError(_StepModel):
    """What Step Functions puts in ``ResultPath`` when a ``Catch`` fires."""

    error: str = Field(alias="Error")
    cause: str | None = Field(default=None, alias="Cause")


class FinalizeRequest(_StepModel):
    request_id: str = Field(alias="requestId")
    uploaded_at: datetime | None = Field(None, alias="uploadedAt")
    images: list[dict] | None = None
    error: StepError | None = None
    late_upload: bool = Field(False, alias="lateUpload", description="a photo arrived for an erased request")

    @field_validator("uploaded_at", mode="before")
    @classmethod
    def _unreadable_time_is_unknown(cls, value: object) -> object:
        """The event's time comes from outside; one we cannot read must not stop the request from finishing."""
        try:
            return TypeAdapter(datetime).validate_python(value)
        except ValidationError:
            return None


def _dump(model: BaseModel) -> dict:
    return model.model_dump(mode="json", by_alias=True)


def _note_usage(status: StatusStore, request_id: str, attribute: str, usage: StepUsage) -> None:
    """Keep what a step used in the status record, for the cost ``finalize`` works out (photobooth.cost)."""
    with contextlib.suppress(RequestGone):  # erased meanwhile: finalize cleans up, nothing to count
        status.update(request_id, {attribute: usage.model_dump(mode="json", exclude_none=True)})


# --- Detect faces -----------------------------------------------------------------------------------------


def working_image(data: bytes, settings: Settings) -> tuple[Image.Image, imaging.Transform]:
    """The upload as the workflow works on it: checked against the size limits, upright, ``work_long_side`` on the
    long side (imaging.normalise with the deployment's limits; the benches cut out through the same door)."""
    return imaging.normalise(
        data,
        max_bytes=settings.max_upload_bytes,
        max_pixels=settings.max_pixels,
        max_decoded_bytes=settings.max_decoded_bytes,
        long_side=settings.work_long_side,
    )


def _read_upload(store: ObjectStore, key: str, max_bytes: int) -> tuple[str, bytes]:
    """Read the original, refusing oversized files before loading them. EventBridge may hand over the key
    URL-encoded (spaces as '+'), so an unknown key is tried once more decoded."""
    for candidate in dict.fromkeys((key, unquote_plus(key))):
        try:
            size = store.head_size(candidate)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                continue
            raise
        if size > max_bytes:
            raise ImageTooLarge(f"upload has {size} bytes, the limit is {max_bytes}")
        return candidate, store.get(candidate)
    raise PhotoMissing()


def detect(
    request: DetectRequest,
    *,
    store: ObjectStore,
    status: StatusStore,
    detector: FaceDetector,
    settings: Settings,
    moderator: Moderator | None = None,
) -> dict:
    started = time.monotonic()
    naming.validate_request_id(request.request_id)
    source_key, data = _read_upload(store, request.key, settings.max_upload_bytes)
    if source_key != request.key:
        # The claim stored the event's spelling of the key; the status answer must link the object that exists.
        try:
            status.update(request.request_id, {"originalKey": source_key})
        except RequestGone as error:
            raise PhotoMissing("the request was erased") from error
    working, transform = working_image(data, settings)
    # Detect on the photo itself: the padding repeats edge pixels and could echo a face cut by the border.
    content = transform.crop_to_content(working)
    # The content check comes first: a refused photo costs no segmentation or image model, and is not copied.
    checks = int(settings.moderation_backend == "rekognition")  # DetectModerationLabels, priced as AWS would
    try:
        moderation.check(
            content,
            moderator or NoModeration(),
            categories=settings.moderation_categories,
            min_confidence=settings.moderation_min_confidence,
            rejection=PhotoRejected,
            let_through=settings.moderation_let_through_labels,
        )
    except PhotoRejected:
        _note_detect_usage(status, request.request_id, started, rekognition_images=checks, passed=False)
        raise
    input_key = naming.work_input_key(request.request_id)
    store.put(input_key, imaging.encode_working_image(working), "image/tiff")

    faces = keep_faces(
        detector.detect_faces(content),
        content.size,
        min_confidence=settings.face_min_confidence,
        min_size_ratio=settings.face_min_size_ratio,
    )
    if not faces:
        _note_detect_usage(status, request.request_id, started, rekognition_images=checks + 1, passed=False)
        raise NoFaceDetected()
    eyewear = detector.detect_eyewear(content)
    _note_detect_usage(status, request.request_id, started, rekognition_images=checks + 2)
    width, height = transform.content_size
    return _dump(
        Detection(
            source_key=source_key,
            input_key=input_key,
            faces=[face.box for face in faces],
            keep_boxes=eyewear,
            content_width=width,
            content_height=height,
        )
    )


def _note_detect_usage(
    status: StatusStore, request_id: str, started: float, *, rekognition_images: int, passed: bool = True
) -> None:
    """One Rekognition image per call: DetectModerationLabels (when moderation is on), DetectFaces, then
    DetectLabels (eyewear) when a face was found."""
    usage = StepUsage(
        seconds=time.monotonic() - started,
        memory_mb=cost.memory_mb("detect_face"),
        rekognition_images=rekognition_images,
        passed=passed,
    )
    _note_usage(status, request_id, cost.DETECT_USAGE, usage)


# --- Cut out the people -----------------------------------------------------------------------------------


def _load_rgb(store: ObjectStore, key: str) -> Image.Image:
    with Image.open(io.BytesIO(store.get(key))) as image:
        return image.convert("RGB")


def segment(
    request: SegmentRequest,
    *,
    store: ObjectStore,
    segmenter: Segmenter,
    status: StatusStore | None = None,
    settings: Settings | None = None,
) -> dict:
    """With ``status`` and ``settings``, the step notes its usage for the request's cost."""
    started = time.monotonic()
    detection = request.detection
    image = _load_rgb(store, detection.input_key)
    asked = time.monotonic()
    people = segmenter.segment(image, detection.faces)
    segmenter_seconds = time.monotonic() - asked
    # Faces and eyewear are kept whatever the segmenter thought of them: they are what the visitor checks first.
    # A face is the oval inside its box (imaging.faces_mask); eyewear keeps its whole box (its frame is square).
    mask = imaging.merge_masks(
        people,
        imaging.faces_mask(detection.faces, image.size),
        imaging.boxes_mask(detection.keep_boxes, image.size),
    )
    mask_key = naming.work_mask_key(request.request_id)
    store.put(mask_key, imaging.encode_mask_png(mask), "image/png")
    if status is not None and settings is not None:
        uses_sam = settings.backend == "aws" and settings.segmentation_backend == "sam"
        usage = StepUsage(
            seconds=time.monotonic() - started,
            memory_mb=cost.memory_mb("segment"),
            sam_seconds=segmenter_seconds if uses_sam else 0.0,
        )
        _note_usage(status, request.request_id, cost.SEGMENT_USAGE, usage)
    return _dump(Segmentation(mask_key=mask_key))


# --- Generate one image -----------------------------------------------------------------------------------


# Feather of the paste-back and reach of the edge refinement, in working-image pixels (the mask's own resolution).
_WORKING_FEATHER = 6
_REFINE_RADIUS = 2


def _seed(request_id: str, theme: str, base: int) -> int:
    """Stable per request and theme, so a retried image comes out the same. Titan accepts 0..2147483646."""
    return (zlib.crc32(f"{request_id}/{theme}".encode()) + base) % 2_147_483_647


def generate(
    request: GenerateRequest,
    *,
    store: ObjectStore,
    status: StatusStore,
    generator: ImageGenerator,
    settings: Settings,
    moderator: Moderator | None = None,
    upscaler: Upscaler | None = None,
    shared_cut_outs: SharedCutOuts | None = None,
) -> dict:
    """Make one theme's image. Lasting failures are recorded and reported as a FAILED result; ``ModelThrottled``
    is raised so the workflow's ``Retry`` backs off and tries again. The status record's image entry also notes
    what the image used (``usage``: model, size, seconds) for the request's cost; the returned dict does not."""
    started = time.monotonic()
    try:
        theme = settings.theme(request.theme)
    except KeyError:
        return _image_failed(request, status, GenerationFailed(f"unknown theme {request.theme!r}"), _used(started))

    try:
        # Read before any model is paid for: an erased request costs nothing more.
        original = _read_original(store, request.key)
    except PhotoMissing as error:
        return _image_failed(request, status, error, _used(started))
    image = _load_rgb(store, request.input_key)
    mask = imaging.decode_mask_png(store.get(request.mask_key), image.size)
    if request.slot is not None:  # the Wait state wakes on a whole second: the call keeps its exact slot
        pacing.sleep_until_slot(request.slot.at)
    try:
        painted = generator.generate(
            image, mask, theme, _seed(request.request_id, theme.name, settings.generation_seed)
        )
    except (ModerationRejected, GenerationFailed, ModelUnavailable) as error:
        return _image_failed(request, status, error, _used(started))
    # Offline painters name no model: AWS would have used the first configured one.
    model_id = str(painted.info.get(cost.MODEL_ID_INFO) or settings.bedrock_model_ids[0])
    sent_size = image.size
    checks = int(settings.moderate_generated_images and settings.moderation_backend == "rekognition")

    content = (0, 0, request.content_width, request.content_height)
    background = painted.convert("RGB").resize(image.size).crop(content)
    if settings.moderate_generated_images:
        # What the model painted is what is new: the people pasted over it were checked in the detect step.
        try:
            moderation.check(
                background,
                moderator or NoModeration(),
                categories=settings.moderation_categories,
                min_confidence=settings.moderation_min_confidence,
                rejection=GeneratedImageRejected,
                let_through=settings.moderation_let_through_labels,
            )
        except (ModerationRejected, ModerationUnavailable) as error:
            # The model painted (and is paid) even when its image is refused.
            return _image_failed(request, status, error, _used(started, model_id, sent_size, checks))

    result = _print_result(
        original,
        background,
        mask[: content[3], : content[2]],
        settings,
        upscaler,
        shared=shared_cut_outs,
        key=(request.request_id, request.key, request.mask_key),
    )
    del original, image, painted
    key = naming.generated_key(request.request_id, request.key.rsplit("/", 1)[-1], request.index)
    store.put(key, imaging.encode_jpeg(result), "image/jpeg")

    usage = _used(started, model_id, sent_size, checks)
    usage.upscale_model_id = getattr(upscaler, "model_id", None)
    outcome = ImageResult(index=request.index, theme=theme.name, status=ImageStatus.SUCCEEDED, key=key, usage=usage)
    try:
        status.record_image(request.request_id, outcome)
    except RequestGone:
        # The visitor asked for erasure while this image was being made: do not leave it behind.
        store.delete_keys([key])
    return outcome.model_dump(mode="json", exclude={"usage"})


def _read_original(store: ObjectStore, key: str) -> bytes:
    try:
        return store.get(key)
    except KeyError as error:  # an in-memory store's "no such key"
        raise PhotoMissing("the original was erased") from error
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
            raise PhotoMissing("the original was erased") from error
        raise


def _print_result(
    original: bytes,
    background: Image.Image,
    mask: np.ndarray,
    settings: Settings,
    upscaler: Upscaler | None = None,
    *,
    shared: SharedCutOuts | None = None,
    key: tuple[str, ...] = (),
) -> Image.Image:
    """The result at ``output_long_side``: the background grown to the output size, the people pasted from the
    original upload at that size (docs/architecture.md, "Print-quality results"). With ``shared``, the themes of
    one photo made in this process share its cut-out (:mod:`photobooth.cutouts`); the pixels are the same."""

    def canvas(size: tuple[int, int]) -> Image.Image:
        return upscaler.upscale(background, size) if upscaler else imaging.upscale(background, size)

    if shared is None:
        people, soft_mask, feather, refine_radius = _print_inputs(original, background.size, mask, settings)
        return imaging.compose_print(
            people, canvas(people.size), soft_mask, feather=feather, refine_radius=refine_radius
        )

    def make() -> imaging.CutOut:
        people, soft_mask, feather, refine_radius = _print_inputs(original, background.size, mask, settings)
        return imaging.cut_out(people, soft_mask, feather=feather, refine_radius=refine_radius)

    shared_cut = shared.get((*key, settings.output_long_side, *background.size), make)
    return shared_cut.onto(canvas(shared_cut.original.size))


def _print_inputs(
    original: bytes, background_size: tuple[int, int], mask: np.ndarray, settings: Settings
) -> tuple[Image.Image, np.ndarray, int, int]:
    """The original at the output size, the mask grown to it, and the feather and refinement radius for it."""
    people, _ = imaging.load_original(
        original,
        long_side=settings.output_long_side,
        max_pixels=settings.max_pixels,
        max_decoded_bytes=settings.max_decoded_bytes,
    )
    # Edge softness and refinement keep their size relative to the working image, where the mask was made.
    growth = max(people.size) / max(background_size)
    feather = max(2, round(_WORKING_FEATHER * growth))
    refine_radius = max(1, round(_REFINE_RADIUS * growth))
    return people, imaging.upscale_mask(mask, people.size), feather, refine_radius


def _used(
    started: float, model_id: str | None = None, size: tuple[int, int] | None = None, rekognition_images: int = 0
) -> StepUsage:
    """What one generate invocation used: its time, and the model that painted at the size it was sent (plus the
    moderation check of the painted image) when one did."""
    width, height = size or (None, None)
    return StepUsage(
        seconds=time.monotonic() - started,
        memory_mb=cost.memory_mb("generate"),
        model_id=model_id,
        width=width,
        height=height,
        rekognition_images=rekognition_images,
    )


def _image_failed(request: GenerateRequest, status: StatusStore, error: PhotoboothError, usage: StepUsage) -> dict:
    outcome = ImageResult(
        index=request.index,
        theme=request.theme,
        status=ImageStatus.FAILED,
        error=ErrorInfo(code=error.code, message=error.public_message),
        usage=usage,
    )
    with contextlib.suppress(RequestGone):  # erased meanwhile: nothing to record
        status.record_image(request.request_id, outcome)
    return outcome.model_dump(mode="json", exclude={"usage"})


# --- Record the result / the failure ----------------------------------------------------------------------


def _error_info(step_error: StepError) -> ErrorInfo:
    cls = error_class_for(step_error.error)
    return ErrorInfo(code=cls.code, message=cls.public_message)


def _image_from_map(item: dict) -> ImageResult:
    """A Map iteration's output: the generate step's result, or the Pass state's note of a spent retry."""
    if _noted_by_the_workflow(item):
        item = {**item, "error": _error_info(StepError.model_validate(item["error"])).model_dump()}
    return ImageResult.model_validate(item)


def _erase_leftovers(request_id: str, store: ObjectStore, status: StatusStore, settings: Settings) -> None:
    """Erasure wins over a run still in flight: whatever a step wrote after the visitor's DELETE goes too."""
    lifecycle.erase_request(request_id, store=store, status=status, retention_days=settings.retention_days)


def _copy_to_wall(record: dict, images: list[ImageResult], store: ObjectStore) -> list[str]:
    """Screen-size copies of an opted-in request's results under ``wall/{wallId}/`` (photobooth.wall explains why
    the wall never shows ``generated/`` keys); returns the keys written. Called before the terminal status is
    written: an erasure racing this step then still reads the record's wallId and deletes them."""
    wall_id = wall.wall_id_of(record)
    if wall_id is None:
        return []
    keys: list[str] = []
    for image in images:
        if image.status is not ImageStatus.SUCCEEDED or not image.key:
            continue
        try:
            result = _read_original(store, image.key)  # a result that is gone counts as gone like the original
        except PhotoMissing:
            continue  # erased meanwhile: the terminal update finds the tombstone and removes what was copied
        key = naming.wall_key(wall_id, image.index)
        store.put(key, imaging.encode_jpeg(_screen_size(result), quality=85), "image/jpeg")
        keys.append(key)
    return keys


def _screen_size(result: bytes) -> Image.Image:
    with Image.open(io.BytesIO(result)) as image:
        size = imaging.output_size(image.size, wall.WALL_LONG_SIDE)
        image.draft("RGB", size)  # a JPEG decodes at 1/2, 1/4 or 1/8 scale while that still covers ``size``
        copy = image.convert("RGB")
    return copy if copy.size == size else copy.resize(size, Image.Resampling.LANCZOS)


def book_model_calls(
    request: BookRequest, *, pace: pacing.PaceStore, settings: Settings, now: datetime | None = None
) -> dict:
    """Book one model-call slot per theme (``photobooth.pacing``) as soon as the request is claimed, so the queue
    keeps the photos' order; the Map's iterations wait for theirs."""
    at = (now or datetime.now(UTC)).timestamp()
    booking = pacing.book(
        pace,
        request.request_id,
        len(request.themes),
        calls_per_minute=settings.model_calls_per_minute,
        now=lambda: at,
    )
    slots = pacing.slots(booking, len(request.themes), settings.model_calls_per_minute)
    log.info("model calls booked", extra={"first_slot": slots[0]["waitUntil"], "calls": len(slots)})
    return {"slots": slots}


def finalize(
    request: FinalizeRequest,
    *,
    status: StatusStore,
    store: ObjectStore,
    settings: Settings,
    now: datetime | None = None,
    shared_cut_outs: SharedCutOuts | None = None,
    pace: pacing.PaceStore | None = None,
) -> dict:
    """Write the terminal status with ``time_taken`` and the ``cost`` estimate. The answer also carries what the
    handler's metrics need: ``timeTaken``, ``errorCode``, ``cost`` and ``imagesByModel``."""
    started = time.monotonic()
    if shared_cut_outs is not None:
        shared_cut_outs.forget(request.request_id)  # every image is made: nothing may hold the visitor's pixels
    if request.late_upload or (request.error is not None and error_class_for(request.error.error) is PhotoMissing):
        _erase_leftovers(request.request_id, store, status, settings)
        return {"requestId": request.request_id, "status": RequestStatus.FAILED.value}
    finished = now or datetime.now(UTC)
    # Read before this step writes: the failed images it records below would replace the entries' usage.
    record = status.get(request.request_id) or {}
    if request.uploaded_at is not None:
        time_taken = round(max(0.0, (finished - request.uploaded_at).total_seconds()), 3)
    else:
        time_taken = lifecycle.elapsed_since(record, finished) or 0.0
    fields: dict = {
        "finishedAt": finished.isoformat(),
        "timeTaken": time_taken,
        "expiresAt": int((finished + timedelta(days=settings.retention_days)).timestamp()),
    }
    wall_copies: list[str] = []
    if request.error is not None:
        info = _error_info(request.error)
        outcome = RequestStatus.FAILED
        fields |= {"errorCode": info.code.value, "errorMessage": info.message}
    else:
        images = [_image_from_map(item) for item in request.images or []]
        with contextlib.suppress(RequestGone):
            for image in images:
                if image.status is ImageStatus.FAILED:
                    status.record_image(request.request_id, image)
        succeeded = sum(image.status is ImageStatus.SUCCEEDED for image in images)
        if succeeded == len(images) and images:
            outcome = RequestStatus.SUCCEEDED
        elif succeeded:
            outcome = RequestStatus.PARTIAL
        else:
            outcome = RequestStatus.FAILED
            codes = {image.error.code for image in images if image.error}
            code = codes.pop() if len(codes) == 1 else ErrorCode.GENERATION_FAILED
            fields |= {"errorCode": code.value, "errorMessage": public_message(code)}
        if outcome is not RequestStatus.FAILED:
            wall_copies = _copy_to_wall(record, images, store)
        if pace is not None:  # how long the steps took, for the next visitors' estimates
            pacing.learn(pace, request.request_id, now=finished.timestamp(), pre_seconds=_pre_step_seconds(record))
    usage = cost.usage_of_request(
        record,
        finalize=StepUsage(seconds=time.monotonic() - started, memory_mb=cost.memory_mb("finalize")),
        images_made=sum(not _noted_by_the_workflow(item) for item in request.images or []),
        images_noted_failed=sum(_noted_by_the_workflow(item) for item in request.images or []),
    )
    estimate = cost.estimate(usage, settings.prices)
    fields |= {"status": outcome.value, "cost": estimate.as_record()}
    _delete_working_image(request.request_id, store)
    try:
        status.update(request.request_id, fields)
    except RequestGone:
        store.delete_keys(wall_copies)  # erased meanwhile: the record that named them is a tombstone now
        _erase_leftovers(request.request_id, store, status, settings)
    images_by_model = Counter(str(painted.model_id) for painted in usage.images)
    return {
        "requestId": request.request_id,
        "status": outcome.value,
        "timeTaken": time_taken,
        "errorCode": fields.get("errorCode"),
        "cost": estimate.as_record(),
        "imagesByModel": dict(images_by_model),
    }


def _pre_step_seconds(record: dict) -> float | None:
    """What the photo's pre-steps took (detect and segment note their seconds for the cost), or None."""
    steps = [record.get(cost.DETECT_USAGE), record.get(cost.SEGMENT_USAGE)]
    if not all(isinstance(step, dict) and isinstance(step.get("seconds"), int | float) for step in steps):
        return None
    return float(sum(step["seconds"] for step in steps))  # type: ignore[index]


def _delete_working_image(request_id: str, store: ObjectStore) -> None:
    """Nothing reads the working image once the images are made; it is an uncompressed copy of the original
    (~3 MB a visitor). Gone before the terminal status is written, so a visitor who sees the result never finds it.
    The mask stays for the retention period, to show what was cut out. Best effort: the bucket's lifecycle rule
    removes ``work/`` after the retention period anyway, and a request must not fail over a leftover."""
    try:
        store.delete_keys([naming.work_input_key(request_id)])
    except ClientError as error:
        log.warning("could not delete the working image: %s", error.response.get("Error", {}).get("Code"))
    except ObjectsNotDeleted as error:
        log.warning("could not delete the working image: %s", sorted(set(error.failures.values())))


def _noted_by_the_workflow(item: dict) -> bool:
    """A Map result written by "Note the failed image" (its retries spent) rather than by the generate step."""
    error = item.get("error")
    return isinstance(error, dict) and "Error" in error
