"""Background generation with image models on Amazon Bedrock (the ``ImageGenerator`` port).

Model choice is configuration: ``model_ids`` are tried in order. The default starts with Stability AI's inpaint
service through its US cross-region inference profile and falls back to Stability's Stable Image Core (text to
image, on demand in us-west-2), both Active. Titan Image Generator v2 and Nova Canvas (end of life in 2026) are still
understood when an operator lists them.

Request and answer shapes are written down, with the documentation page each comes from, as JSON schemas in
``tests/data/bedrock_schemas/``; the unit tests check every body built here against them. In short:

- Titan Image Generator v1/v2 and Nova Canvas share ``taskType: OUTPAINTING``. Their ``maskImage`` is pure black
  and white; for outpainting the **black** area is kept and the white area is painted, and ``PRECISE`` leaves the
  kept area untouched. ``width``/``height`` are left out: for editing tasks the output has the input's size, and
  most photo sizes are not in Titan's table of generation sizes. Content-filter rejections of the *input* come as
  ``ValidationException`` "This request has been blocked by our content filters ..."; of the *output* as a
  successful answer whose ``error`` says so.
- Stability AI Image Services inpaint (``us.stability.stable-image-inpaint-v1:0``): ``prompt``, ``negative_prompt``,
  ``image`` and ``mask`` (base64), ``seed`` (0..4294967294), ``output_format``; the mask's **white** pixels are
  repainted and black ones preserved. The image needs sides of at least 64 px, at most 9,437,184 pixels and an
  aspect ratio between 1:2.5 and 2.5:1. The answer is ``{"seeds", "finish_reasons", "images"}`` where a finish
  reason of ``null`` means success, otherwise "Filter reason: ..." or "Inference error".
- Stable Image Core (``stability.stable-image-core-v1:1``), text to image: ``prompt``, ``negative_prompt``,
  ``aspect_ratio`` (one of nine), ``seed``, ``output_format``; no image and no mask. It paints a whole background at
  the aspect ratio nearest the photo's; the answer is scaled evenly to cover the photo and cut to it, and the
  pipeline pastes the people back exactly as onto an inpainted background. Same answer as the image services.

Photos outside a model's size or aspect limits are padded (the padding is background, so the model paints it) and
scaled for the request; the answer is cropped and scaled back.

Logs name the model, the outcome and the service's own message: never image data, base64 or the theme's prompt.
"""

from __future__ import annotations

import base64
import binascii
import copy
import io
import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
import numpy as np
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError
from PIL import Image, UnidentifiedImageError

from photobooth.cost import MODEL_ID_INFO
from photobooth.errors import (
    GenerationFailed,
    GenerationOutOfTime,
    ModelThrottled,
    ModelUnavailable,
    ModerationRejected,
)
from photobooth.imaging import encode_png
from photobooth.models import Theme

logger = logging.getLogger(__name__)

TITAN_PREFIX = "amazon.titan-image-generator-"
NOVA_CANVAS_PREFIX = "amazon.nova-canvas-"
STABILITY_INPAINT_PREFIX = "stability.stable-image-inpaint-"
STABLE_IMAGE_CORE_PREFIX = "stability.stable-image-core-"

# Stable Image Core's aspect ratios (width:height), the only sizes it paints.
CORE_ASPECT_RATIOS: dict[str, float] = {
    name: int(name.split(":")[0]) / int(name.split(":")[1])
    for name in ("21:9", "16:9", "3:2", "5:4", "1:1", "4:5", "2:3", "9:16", "9:21")
}

# A model that does not answer within this many seconds is given up for the next one.
DEFAULT_READ_TIMEOUT = 60.0
CONNECT_TIMEOUT = 5.0

# The model is busy or briefly failing: another model may serve now, this one after a back-off.
_TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "ServiceQuotaExceededException",  # on-demand quota spent for now: throttling by another name
        "ServiceUnavailableException",
        "ModelNotReadyException",
        "ModelTimeoutException",
        "InternalServerException",
    }
)
# This model cannot serve this request (not enabled, end of life, wrong region, not subscribed, parameters it does
# not take, or it failed while running): another model may.
_UNAVAILABLE_CODES = frozenset(
    {"ValidationException", "ResourceNotFoundException", "AccessDeniedException", "ModelErrorException"}
)
# Calls of one model for one image when it answers "Inference error" (a failure while running, not a refusal).
_CALLS_PER_MODEL = 2
_CONTENT_FILTER_MARKERS = ("content filter", "content_filtered", "filter reason")
# Service messages are logged for the operator; a bound keeps a verbose one from flooding the log.
_MESSAGE_LOG_LIMIT = 300


@dataclass(frozen=True)
class ImageLimits:
    """The input images a model family accepts (its documentation page is cited in its request schema)."""

    min_side: int
    max_side: int
    max_pixels: int
    max_aspect: float  # long side / short side


# Titan: "The size limits for the input image and input mask are <= 1,408 on the longer side"; its page names no
# minimum or aspect ratio for editing, so Nova's aspect limit (same request format) is applied as a safe bound.
TITAN_LIMITS = ImageLimits(min_side=64, max_side=1408, max_pixels=1408 * 1408, max_aspect=4.0)
# Nova Canvas: sides 320..4,096 px, at most 4,194,304 pixels, aspect ratio 1:4 to 4:1.
NOVA_LIMITS = ImageLimits(min_side=320, max_side=4096, max_pixels=4_194_304, max_aspect=4.0)
# Stability inpaint: every side at least 64 px, at most 9,437,184 pixels, aspect ratio 1:2.5 to 2.5:1.
STABILITY_LIMITS = ImageLimits(min_side=64, max_side=9_437_184 // 64, max_pixels=9_437_184, max_aspect=2.5)
# Text to image sends no picture: the photo is only measured, never resized or padded.
NO_IMAGE_SENT = ImageLimits(min_side=1, max_side=1_000_000, max_pixels=10**12, max_aspect=1_000_000.0)

# Largest seed each family accepts; larger seeds are folded into range so one setting works with every model.
TITAN_MAX_SEED = 2_147_483_646
NOVA_MAX_SEED = 858_993_459
STABILITY_MAX_SEED = 4_294_967_294


def base_model_id(model_id: str) -> str:
    """``amazon.nova-canvas-v1:0`` from an ARN or a cross-region inference profile id (``us.amazon.nova...``)."""
    name = model_id.rsplit("/", 1)[-1]
    geo, _, rest = name.partition(".")
    if rest and geo in {"us", "eu", "apac", "ap", "jp", "au", "ca", "us-gov", "global"}:
        return rest
    return name


def _b64_png(image: Image.Image) -> str:
    return base64.b64encode(encode_png(image)).decode("ascii")


def _background_white(person_mask: np.ndarray) -> Image.Image:
    """The project's mask (255 = person) as the black-keep / white-paint image every model family expects."""
    return Image.fromarray(np.where(person_mask >= 128, 0, 255).astype(np.uint8), mode="L")


@dataclass(frozen=True)
class _Fitted:
    """The image and mask as sent, and where the photo sits in them (for cropping the answer back)."""

    image: Image.Image
    mask: np.ndarray
    box: tuple[int, int, int, int]  # the photo inside ``image``: left, top, right, bottom
    original_size: tuple[int, int]

    def restore(self, answer: Image.Image) -> Image.Image:
        """The answer cut back to the photo and scaled to its original size (whatever size the model returned)."""
        sx, sy = answer.width / self.image.width, answer.height / self.image.height
        left, top, right, bottom = self.box
        crop = answer.crop((round(left * sx), round(top * sy), round(right * sx), round(bottom * sy)))
        if crop.size != self.original_size:
            crop = crop.resize(self.original_size, Image.Resampling.LANCZOS)
        return crop

    def cover(self, answer: Image.Image) -> Image.Image:
        """A whole painted picture of another aspect ratio, scaled evenly until it covers the photo and cut to it
        around its centre: a background is cropped, never stretched."""
        width, height = self.original_size
        scale = max(width / answer.width, height / answer.height)
        scaled = answer.resize(
            (max(width, math.ceil(answer.width * scale)), max(height, math.ceil(answer.height * scale))),
            Image.Resampling.LANCZOS,
        )
        left, top = (scaled.width - width) // 2, (scaled.height - height) // 2
        return scaled.crop((left, top, left + width, top + height))


def fit_to_limits(image: Image.Image, person_mask: np.ndarray, limits: ImageLimits) -> _Fitted:
    """Scale ``image`` into the limits' sides and pixel count, then pad the short side (edge pixels repeated,
    marked as background in the mask) until the aspect ratio is allowed. Squashing would distort faces."""
    width, height = image.size
    # The canvas once padded to the aspect limit, at scale 1.
    canvas_long = max(width, height)
    canvas_short = max(min(width, height), math.ceil(canvas_long / limits.max_aspect))
    grow = limits.min_side / canvas_short
    # One pixel of slack per side: rounding the scaled sizes up must not cross the pixel limit.
    shrink = min(
        limits.max_side / canvas_long, math.sqrt(limits.max_pixels / ((canvas_long + 1) * (canvas_short + 1)))
    )
    scale = min(max(1.0, grow), shrink)
    rgb = image.convert("RGB")
    mask = person_mask
    if scale != 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        rgb = rgb.resize(size, Image.Resampling.LANCZOS)
        mask = np.asarray(Image.fromarray(person_mask).resize(size, Image.Resampling.NEAREST))
    w, h = rgb.size
    pad_w = max(w, math.ceil(h / limits.max_aspect))
    pad_h = max(h, math.ceil(w / limits.max_aspect))
    pad_w, pad_h = max(pad_w, limits.min_side), max(pad_h, limits.min_side)
    left, top = (pad_w - w) // 2, (pad_h - h) // 2
    if (pad_w, pad_h) != (w, h):
        padding = ((top, pad_h - h - top), (left, pad_w - w - left))
        rgb = Image.fromarray(np.pad(np.asarray(rgb), (*padding, (0, 0)), mode="edge"))
        mask = np.pad(mask, padding, mode="constant", constant_values=0)
    return _Fitted(image=rgb, mask=mask, box=(left, top, left + w, top + h), original_size=(width, height))


def _amazon_request(image: Image.Image, mask: np.ndarray, theme: Theme, seed: int, max_seed: int) -> dict:
    params: dict[str, Any] = {"text": theme.prompt}
    if theme.negative_prompt:
        params["negativeText"] = theme.negative_prompt
    params["image"] = _b64_png(image)
    # Nova Canvas rejects masks that are not pure black and white; RGB is the form its examples use.
    params["maskImage"] = _b64_png(_background_white(mask).convert("RGB"))
    params["outPaintingMode"] = "PRECISE"
    return {
        "taskType": "OUTPAINTING",
        "outPaintingParams": params,
        "imageGenerationConfig": {
            "numberOfImages": 1,
            "quality": "standard",
            "cfgScale": 8.0,
            "seed": seed % (max_seed + 1),
        },
    }


def _titan_request(image: Image.Image, mask: np.ndarray, theme: Theme, seed: int) -> dict:
    return _amazon_request(image, mask, theme, seed, TITAN_MAX_SEED)


def _nova_request(image: Image.Image, mask: np.ndarray, theme: Theme, seed: int) -> dict:
    return _amazon_request(image, mask, theme, seed, NOVA_MAX_SEED)


def _stability_request(image: Image.Image, mask: np.ndarray, theme: Theme, seed: int) -> dict:
    body: dict[str, Any] = {"prompt": theme.prompt}
    if theme.negative_prompt:
        body["negative_prompt"] = theme.negative_prompt
    body["image"] = _b64_png(image)
    body["mask"] = _b64_png(_background_white(mask))
    body["seed"] = seed % (STABILITY_MAX_SEED + 1)
    body["output_format"] = "png"
    return body


def nearest_aspect_ratio(width: int, height: int) -> str:
    """The Stable Image Core aspect ratio closest to ``width``:``height`` (compared on a log scale, so 2:1 is as far
    from 1:1 as 1:2 is)."""
    ratio = width / height
    return min(CORE_ASPECT_RATIOS, key=lambda name: abs(math.log(CORE_ASPECT_RATIOS[name] / ratio)))


def _core_request(image: Image.Image, mask: np.ndarray, theme: Theme, seed: int) -> dict:
    body: dict[str, Any] = {"prompt": theme.prompt}
    if theme.negative_prompt:
        body["negative_prompt"] = theme.negative_prompt
    body["aspect_ratio"] = nearest_aspect_ratio(image.width, image.height)
    body["seed"] = seed % (STABILITY_MAX_SEED + 1)
    body["output_format"] = "png"
    return body


def _decode_image(data: Any) -> Image.Image:
    if not isinstance(data, str) or not data:
        raise GenerationFailed("the model answered without an image")
    try:
        with Image.open(io.BytesIO(base64.b64decode(data, validate=True))) as img:
            return img.convert("RGB")
    except (binascii.Error, ValueError, UnidentifiedImageError, OSError) as error:
        raise GenerationFailed(f"the model's image is not decodable: {type(error).__name__}") from error


def _amazon_response(body: dict) -> Image.Image:
    error = body.get("error")
    if error:
        if _mentions_content_filter(str(error)):
            raise ModerationRejected(str(error))
        raise GenerationFailed(str(error))
    images = body.get("images") or [None]
    return _decode_image(images[0])


class _InferenceError(Exception):
    """Stability's finish reason "Inference error": the model failed while running. Not a content filter and not
    about this photo: the same model may succeed on a second try, another model may serve."""


_INFERENCE_ERROR = "inference error"


def _stability_response(body: dict) -> Image.Image:
    for reason in body.get("finish_reasons") or []:
        if reason is None:
            continue
        if _mentions_content_filter(str(reason)):
            raise ModerationRejected(str(reason))
        if str(reason).strip().lower() == _INFERENCE_ERROR:
            raise _InferenceError(str(reason))
        raise GenerationFailed(str(reason))
    images = body.get("images") or [None]
    return _decode_image(images[0])


def _mentions_content_filter(message: str) -> bool:
    lowered = message.lower()
    return any(marker in lowered for marker in _CONTENT_FILTER_MARKERS)


@dataclass(frozen=True)
class _Family:
    limits: ImageLimits
    build: Callable[[Image.Image, np.ndarray, Theme, int], dict]
    parse: Callable[[dict], Image.Image]
    paints_whole_picture: bool = False  # text to image: the answer covers the photo instead of matching it


_FAMILIES: dict[str, _Family] = {
    TITAN_PREFIX: _Family(TITAN_LIMITS, _titan_request, _amazon_response),
    NOVA_CANVAS_PREFIX: _Family(NOVA_LIMITS, _nova_request, _amazon_response),
    STABILITY_INPAINT_PREFIX: _Family(STABILITY_LIMITS, _stability_request, _stability_response),
    STABLE_IMAGE_CORE_PREFIX: _Family(NO_IMAGE_SENT, _core_request, _stability_response, paints_whole_picture=True),
}


def _family(model_id: str) -> _Family:
    base = base_model_id(model_id)
    for prefix, family in _FAMILIES.items():
        if base.startswith(prefix):
            return family
    raise ValueError(f"no request format known for Bedrock model {model_id!r}")


def _fit(model_id: str, image: Image.Image, person_mask: np.ndarray) -> _Fitted:
    if person_mask.shape != (image.height, image.width):
        raise ValueError(f"mask shape {person_mask.shape} does not match image size {image.size}")
    return fit_to_limits(image, person_mask, _family(model_id).limits)


def build_request(model_id: str, image: Image.Image, person_mask: np.ndarray, theme: Theme, seed: int) -> dict:
    """The InvokeModel body for ``model_id``. ``person_mask`` uses the project's polarity (255 = person)."""
    fitted = _fit(model_id, image, person_mask)
    return _family(model_id).build(fitted.image, fitted.mask, theme, seed)


def parse_response(model_id: str, body: dict) -> Image.Image:
    """The generated RGB image in ``body``; :class:`ModerationRejected` or :class:`GenerationFailed` otherwise
    (Stability's "Inference error" is a :class:`GenerationFailed` here; the generator retries it)."""
    try:
        return _family(model_id).parse(body)
    except _InferenceError as error:
        raise GenerationFailed(str(error)) from error


def client_config(read_timeout: float) -> Config:
    """No botocore retries: a retry of a slow model would double the time one call may take, and the generator
    hands a busy model over to the next one itself. (botocore's standard and legacy modes both retry read timeouts:
    ``ReadTimeoutError`` is an ``HTTPClientError``, see botocore/retries/standard.py.)"""
    return Config(
        read_timeout=read_timeout,
        connect_timeout=CONNECT_TIMEOUT,
        retries={"total_max_attempts": 1, "mode": "standard"},
    )


class BedrockImageGenerator:
    """``reserve_seconds`` is the time the caller needs after the model answered (paste, encode, store)."""

    def __init__(
        self,
        model_ids: Sequence[str],
        client: Any | None = None,
        *,
        region: str | None = None,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        reserve_seconds: float = 15.0,
        remaining_seconds: Callable[[], float] | None = None,
    ) -> None:
        if not model_ids:
            raise ValueError("at least one Bedrock model id is required")
        for model_id in model_ids:
            _family(model_id)  # an unknown family is a configuration error: fail before the first visitor
        self.model_ids = tuple(model_ids)
        self.region = region
        self.read_timeout = read_timeout
        self.reserve_seconds = reserve_seconds
        self.remaining_seconds = remaining_seconds
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = boto3.client(
                "bedrock-runtime", region_name=self.region, config=client_config(self.read_timeout)
            )
        return self._client

    @property
    def seconds_per_call(self) -> float:
        """The longest one model call can take, plus the caller's work after it."""
        return CONNECT_TIMEOUT + self.read_timeout + self.reserve_seconds

    def with_time_budget(self, remaining_seconds: Callable[[], float]) -> BedrockImageGenerator:
        """This generator for one invocation that must end in ``remaining_seconds()`` (a Lambda's remaining time):
        it starts no model call that could not finish in time. Shares the client with ``self``."""
        _ = self.client  # created once, shared by every invocation's view
        view = copy.copy(self)
        view.remaining_seconds = remaining_seconds
        return view

    def generate(self, image: Image.Image, person_mask: np.ndarray, theme: Theme, seed: int) -> Image.Image:
        """Try each model in order. A model that cannot serve (not enabled, end of life, wrong region, rejected
        parameters, failed while running) or is busy hands over to the next one. A content-filter answer ends the
        attempt at once: the same photo and prompt would be filtered by the next model too.

        Raises :class:`GenerationOutOfTime` when the time budget does not allow the next call,
        :class:`ModelThrottled` when no model answered and at least one was only busy (the workflow retries with
        back-off), :class:`ModelUnavailable` when every model is unavailable."""
        failures: list[str] = []
        transient = False
        for model_id in self.model_ids:
            fitted = _fit(model_id, image, person_mask)
            body = _family(model_id).build(fitted.image, fitted.mask, theme, seed)
            for attempt in range(1, _CALLS_PER_MODEL + 1):
                self._check_time(model_id, failures)
                try:
                    answer = self._invoke(model_id, body)
                except ClientError as error:
                    code = error.response.get("Error", {}).get("Code", "")
                    message = str(error.response.get("Error", {}).get("Message", ""))[:_MESSAGE_LOG_LIMIT]
                    if code == "ValidationException" and _mentions_content_filter(message):
                        logger.warning(
                            "Bedrock content filter",
                            extra={"model_id": model_id, "outcome": code, "service_message": message},
                        )
                        raise ModerationRejected(f"{model_id}: {message}") from error
                    if code not in _TRANSIENT_CODES and code not in _UNAVAILABLE_CODES:
                        logger.error(
                            "Bedrock call failed",
                            extra={"model_id": model_id, "outcome": code, "service_message": message},
                        )
                        raise
                    transient = transient or code in _TRANSIENT_CODES
                    logger.warning(
                        "Bedrock model skipped",
                        extra={"model_id": model_id, "outcome": code, "service_message": message},
                    )
                    failures.append(f"{model_id}: {code}: {message}")
                    break
                except (ConnectionError, HTTPClientError) as error:  # read/connect timeouts, endpoint unreachable
                    transient = True
                    logger.warning(
                        "Bedrock model skipped",
                        extra={"model_id": model_id, "outcome": type(error).__name__, "service_message": str(error)},
                    )
                    failures.append(f"{model_id}: {type(error).__name__}")
                    break
                try:
                    result = _family(model_id).parse(_json_object(model_id, answer))
                except _InferenceError as error:
                    # The model failed while running: once more, then the next model; the workflow's back-off
                    # retries the image if every model failed so (transient, not the visitor's photo).
                    transient = True
                    logger.warning(
                        "Bedrock model failed while running",
                        extra={"model_id": model_id, "outcome": "InferenceError", "attempt": attempt},
                    )
                    failures.append(f"{model_id}: {error}")
                    continue
                except (ModerationRejected, GenerationFailed) as error:
                    logger.warning(
                        "Bedrock model answered without an image",
                        extra={"model_id": model_id, "outcome": type(error).__name__},
                    )
                    raise
                logger.info("Bedrock generated an image", extra={"model_id": model_id, "outcome": "generated"})
                restored = fitted.cover(result) if _family(model_id).paints_whole_picture else fitted.restore(result)
                restored.info[MODEL_ID_INFO] = model_id  # the request's cost is priced by the model that painted
                return restored
        detail = "; ".join(failures)
        if transient:
            raise ModelThrottled(detail)
        raise ModelUnavailable(detail)

    def _check_time(self, model_id: str, failures: list[str]) -> None:
        if self.remaining_seconds is None:
            return
        remaining = self.remaining_seconds()
        if remaining >= self.seconds_per_call:
            return
        logger.warning(
            "Bedrock model not tried: not enough time left",
            extra={"model_id": model_id, "remaining_s": round(remaining, 1), "needed_s": self.seconds_per_call},
        )
        raise GenerationOutOfTime("; ".join([*failures, f"{model_id}: not tried, {remaining:.0f} s left"]))

    def _invoke(self, model_id: str, body: dict) -> bytes:
        response = self.client.invoke_model(
            modelId=model_id,
            body=json.dumps(body).encode("utf-8"),
            contentType="application/json",
            accept="application/json",
        )
        data: bytes = response["body"].read()
        return data


def _json_object(model_id: str, raw: bytes) -> dict:
    try:
        answer = json.loads(raw)
    except ValueError as error:
        raise GenerationFailed(f"{model_id} answered with a body that is not JSON") from error
    if not isinstance(answer, dict):
        raise GenerationFailed(f"{model_id} answered with JSON that is not an object")
    return answer
