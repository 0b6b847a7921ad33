"""Background generation with image models on Amazon Bedrock (the ``ImageGenerator`` port).

Model choice is configuration: ``model_ids`` are tried in order, because Titan Image Generator and Nova Canvas
are Legacy with end-of-life dates in 2026 and a fresh account may only have a Stability model enabled.

Request and answer shapes, and where they were checked:

- Titan Image Generator v1/v2 and Nova Canvas share ``taskType: OUTPAINTING``. Their ``maskImage`` is pure black
  and white; for outpainting the **black** area is kept and the white area is painted, and ``PRECISE`` leaves the
  kept area untouched. Content-filter rejections of the *input* come as ``ValidationException`` "This request has
  been blocked by our content filters. Please adjust your text prompt / input image ..."; of the *output* as a
  successful answer whose ``error`` is "All of the generated images have been blocked by our content filters."
  (Bedrock user guide "Amazon Titan Image Generator G1 models"; Amazon Nova user guide, Canvas "Error handling".)
- Stability AI Image Services (``stability.stable-image-inpaint-v1:0``): ``prompt``, ``negative_prompt``,
  ``image`` and ``mask`` (base64), ``seed`` (0..4294967294), ``output_format``; the mask's **white** pixels are
  repainted and black ones preserved (Stability's Inpaint request schema; Bedrock's "Stability AI Image
  Services" page passes the same JSON fields). The answer is ``{"seeds", "finish_reasons", "images"}`` where a
  finish reason of ``null`` means success and otherwise one of "Filter reason: prompt", "Filter reason: input
  image", "Filter reason: output image", "Inference error" (Bedrock's Stable Image Core/Ultra request-and-response
  pages, which the image services share). "CONTENT_FILTERED" is also treated as a filter, as older Stability
  answers used it.

Logs name the model and the outcome only: never image data, base64 or the theme's prompt.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

import boto3
import numpy as np
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError
from PIL import Image, UnidentifiedImageError

from photobooth.cost import MODEL_ID_INFO
from photobooth.errors import GenerationFailed, ModelThrottled, ModelUnavailable, ModerationRejected
from photobooth.imaging import encode_png
from photobooth.models import Theme

logger = logging.getLogger(__name__)

# Outpainting at 1024 px takes Titan and Stability tens of seconds. botocore retries only once: a throttled model
# is better served by the next model now and by the workflow's back-off later than by botocore sleeping here.
_CLIENT_CONFIG = Config(read_timeout=120, retries={"mode": "standard", "max_attempts": 2})

TITAN_PREFIXES: tuple[str, ...] = ("amazon.titan-image-generator-", "amazon.nova-canvas-")
STABILITY_INPAINT_PREFIX = "stability.stable-image-inpaint-"

# Largest seed each family accepts; larger seeds are folded into range so one setting works with every model.
_TITAN_MAX_SEED = 2_147_483_646
_NOVA_MAX_SEED = 858_993_459
_STABILITY_MAX_SEED = 4_294_967_294

# The model cannot serve this request (not enabled, end of life, wrong region, no quota, parameters it does not
# take): another model may.
_UNAVAILABLE_CODES = frozenset(
    {"ValidationException", "ResourceNotFoundException", "AccessDeniedException", "ServiceQuotaExceededException"}
)
# The model is busy or briefly failing: another model may serve now, this one after a back-off.
_TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "ServiceUnavailableException",
        "ModelNotReadyException",
        "ModelTimeoutException",
        "InternalServerException",
    }
)
_CONTENT_FILTER_MARKERS = ("content filter", "content_filtered", "filter reason")


def _base_model_id(model_id: str) -> str:
    """``amazon.nova-canvas-v1:0`` from an ARN or a cross-region inference profile id (``us.amazon.nova...``)."""
    name = model_id.rsplit("/", 1)[-1]
    geo, _, rest = name.partition(".")
    if rest and geo in {"us", "eu", "apac", "ap", "jp", "au", "ca", "us-gov", "global"}:
        return rest
    return name


def _b64_png(image: Image.Image) -> str:
    return base64.b64encode(encode_png(image)).decode("ascii")


def _background_white(person_mask: np.ndarray) -> Image.Image:
    """The project's mask (255 = person) as the black-keep / white-paint image both model families expect."""
    return Image.fromarray(np.where(person_mask >= 128, 0, 255).astype(np.uint8), mode="L")


def _titan_request(model_id: str, image: Image.Image, person_mask: np.ndarray, theme: Theme, seed: int) -> dict:
    max_seed = _NOVA_MAX_SEED if _base_model_id(model_id).startswith("amazon.nova-canvas-") else _TITAN_MAX_SEED
    params: dict[str, Any] = {"text": theme.prompt}
    if theme.negative_prompt:
        params["negativeText"] = theme.negative_prompt
    params["image"] = _b64_png(image.convert("RGB"))
    # Nova Canvas rejects masks that are not pure black and white; RGB is the form its examples use.
    params["maskImage"] = _b64_png(_background_white(person_mask).convert("RGB"))
    params["outPaintingMode"] = "PRECISE"
    return {
        "taskType": "OUTPAINTING",
        "outPaintingParams": params,
        "imageGenerationConfig": {
            "numberOfImages": 1,
            "quality": "standard",
            "cfgScale": 8.0,
            "seed": seed % (max_seed + 1),
            "width": image.width,
            "height": image.height,
        },
    }


def _stability_request(model_id: str, image: Image.Image, person_mask: np.ndarray, theme: Theme, seed: int) -> dict:
    body: dict[str, Any] = {"prompt": theme.prompt}
    if theme.negative_prompt:
        body["negative_prompt"] = theme.negative_prompt
    body["image"] = _b64_png(image.convert("RGB"))
    body["mask"] = _b64_png(_background_white(person_mask))
    body["seed"] = seed % (_STABILITY_MAX_SEED + 1)
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


def _titan_response(body: dict) -> Image.Image:
    error = body.get("error")
    if error:
        if _mentions_content_filter(str(error)):
            raise ModerationRejected(str(error))
        raise GenerationFailed(str(error))
    images = body.get("images") or [None]
    return _decode_image(images[0])


def _stability_response(body: dict) -> Image.Image:
    for reason in body.get("finish_reasons") or []:
        if reason is None:
            continue
        if _mentions_content_filter(str(reason)):
            raise ModerationRejected(str(reason))
        raise GenerationFailed(str(reason))
    images = body.get("images") or [None]
    return _decode_image(images[0])


def _mentions_content_filter(message: str) -> bool:
    lowered = message.lower()
    return any(marker in lowered for marker in _CONTENT_FILTER_MARKERS)


_RequestBuilder = Callable[[str, Image.Image, np.ndarray, Theme, int], dict]
_ResponseParser = Callable[[dict], Image.Image]


def _family(model_id: str) -> tuple[_RequestBuilder, _ResponseParser]:
    base = _base_model_id(model_id)
    if base.startswith(TITAN_PREFIXES):
        return _titan_request, _titan_response
    if base.startswith(STABILITY_INPAINT_PREFIX):
        return _stability_request, _stability_response
    raise ValueError(f"no request format known for Bedrock model {model_id!r}")


def build_request(model_id: str, image: Image.Image, person_mask: np.ndarray, theme: Theme, seed: int) -> dict:
    """The InvokeModel body for ``model_id``. ``person_mask`` uses the project's polarity (255 = person)."""
    if person_mask.shape != (image.height, image.width):
        raise ValueError(f"mask shape {person_mask.shape} does not match image size {image.size}")
    builder, _ = _family(model_id)
    return builder(model_id, image, person_mask, theme, seed)


def parse_response(model_id: str, body: dict) -> Image.Image:
    """The generated RGB image in ``body``; :class:`ModerationRejected` or :class:`GenerationFailed` otherwise."""
    _, parser = _family(model_id)
    return parser(body)


class BedrockImageGenerator:
    def __init__(self, model_ids: Sequence[str], client: Any | None = None, *, region: str | None = None) -> None:
        if not model_ids:
            raise ValueError("at least one Bedrock model id is required")
        for model_id in model_ids:
            _family(model_id)  # an unknown family is a configuration error: fail before the first visitor
        self.model_ids = tuple(model_ids)
        self.region = region
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = boto3.client("bedrock-runtime", region_name=self.region, config=_CLIENT_CONFIG)
        return self._client

    def generate(self, image: Image.Image, person_mask: np.ndarray, theme: Theme, seed: int) -> Image.Image:
        """Try each model in order. A model that cannot serve (not enabled, end of life, wrong region, rejected
        parameters) or is busy hands over to the next one. A content-filter answer ends the attempt at once: the
        same photo and prompt would be filtered by the next model too.

        Raises :class:`ModelThrottled` when no model answered and at least one was only busy (the workflow retries
        with back-off), :class:`ModelUnavailable` when every model is unavailable."""
        failures: list[str] = []
        throttled = False
        for model_id in self.model_ids:
            body = build_request(model_id, image, person_mask, theme, seed)
            try:
                answer = self._invoke(model_id, body)
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                message = error.response.get("Error", {}).get("Message", "")
                if code == "ValidationException" and _mentions_content_filter(message):
                    logger.warning("Bedrock content filter", extra={"model_id": model_id, "outcome": code})
                    raise ModerationRejected(f"{model_id}: {message}") from error
                if code in _TRANSIENT_CODES:
                    throttled = True
                elif code not in _UNAVAILABLE_CODES:
                    logger.error("Bedrock call failed", extra={"model_id": model_id, "outcome": code})
                    raise
                logger.warning("Bedrock model skipped", extra={"model_id": model_id, "outcome": code})
                failures.append(f"{model_id}: {code}")
                continue
            except ReadTimeoutError as error:
                logger.warning("Bedrock model skipped", extra={"model_id": model_id, "outcome": "ReadTimeout"})
                throttled = True
                failures.append(f"{model_id}: {type(error).__name__}")
                continue
            try:
                result = parse_response(model_id, _json_object(model_id, answer))
            except (ModerationRejected, GenerationFailed) as error:
                logger.warning(
                    "Bedrock model answered without an image",
                    extra={"model_id": model_id, "outcome": type(error).__name__},
                )
                raise
            logger.info("Bedrock generated an image", extra={"model_id": model_id, "outcome": "generated"})
            result.info[MODEL_ID_INFO] = model_id  # the request's cost is priced by the model that painted
            if result.size != image.size:
                result = result.resize(image.size, Image.Resampling.LANCZOS)
            return result
        detail = "; ".join(failures)
        if throttled:
            raise ModelThrottled(detail)
        raise ModelUnavailable(detail)

    def _invoke(self, model_id: str, body: dict) -> bytes:
        response = self.client.invoke_model(
            modelId=model_id,
            body=json.dumps(body).encode("utf-8"),
            contentType="application/json",
            accept="application/json",
        )
        return response["body"].read()


def _json_object(model_id: str, raw: bytes) -> dict:
    try:
        answer = json.loads(raw)
    except ValueError as error:
        raise GenerationFailed(f"{model_id} answered with a body that is not JSON") from error
    if not isinstance(answer, dict):
        raise GenerationFailed(f"{model_id} answered with JSON that is not an object")
    return answer
