"""``Upscaler`` on Amazon Bedrock: Stability AI's *Stable Image Fast Upscale* (4x), an option that is off by default
because it costs one more model call per image.

Request and answer (model card "Stable Image Fast Upscale", https://docs.aws.amazon.com/bedrock/latest/userguide/
model-card-stability-ai-stable-image-fast-upscale.html, and "Stability AI Image Services",
https://docs.aws.amazon.com/bedrock/latest/userguide/stable-image-services.html): the body is
``{"image": <base64>, "output_format": "png"}``, the answer ``{"seeds", "finish_reasons", "images": [<base64>]}``.
Stability's upscale API takes 1,024 to 1,048,576 pixels with sides of 32 to 1,536 px and answers four times the
size. The background is sent at the models' working size (at most 1,024 px here), grown 4x, then resampled to the
print size.

An upscaler must never cost the visitor the picture: any failure falls back to Lanczos, with the service's reason in
the log (never the image).
"""

from __future__ import annotations

import base64
import io
import json
import logging
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from PIL import Image

from photobooth import imaging
from photobooth.aws.bedrock import client_config

logger = logging.getLogger(__name__)

DEFAULT_MODEL_ID = "us.stability.stable-fast-upscale-v1:0"
MAX_INPUT_PIXELS = 1_048_576
MAX_INPUT_SIDE = 1_536
MIN_INPUT_SIDE = 32
READ_TIMEOUT = 30.0


def fit_input(image: Image.Image) -> Image.Image:
    """The image shrunk (never grown) into the service's input limits, aspect ratio kept."""
    width, height = image.size
    scale = min(1.0, MAX_INPUT_SIDE / max(width, height), (MAX_INPUT_PIXELS / (width * height)) ** 0.5)
    if scale >= 1.0:
        return image
    size = (max(MIN_INPUT_SIDE, int(width * scale)), max(MIN_INPUT_SIDE, int(height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def build_request(image: Image.Image) -> dict:
    return {"image": base64.b64encode(imaging.encode_png(fit_input(image))).decode(), "output_format": "png"}


class BedrockFastUpscaler:
    def __init__(self, model_id: str = DEFAULT_MODEL_ID, client: Any | None = None, *, region: str | None = None):
        self.model_id = model_id
        self.region = region
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = boto3.client(
                "bedrock-runtime", region_name=self.region, config=client_config(READ_TIMEOUT)
            )
        return self._client

    def upscale(self, image: Image.Image, size: tuple[int, int]) -> Image.Image:
        if size[0] <= image.width and size[1] <= image.height:
            return imaging.upscale(image, size)  # nothing to grow: no model call, no charge
        try:
            answer = self.client.invoke_model(
                modelId=self.model_id,
                body=json.dumps(build_request(image)),
                contentType="application/json",
                accept="application/json",
            )
            body = json.loads(answer["body"].read())
            if not body.get("images") or any(body.get("finish_reasons") or []):
                raise ValueError(f"no image: finish_reasons {body.get('finish_reasons')}")
            grown = Image.open(io.BytesIO(base64.b64decode(body["images"][0]))).convert("RGB")
        except ClientError as error:
            details = error.response.get("Error", {})
            logger.warning(
                "upscale model %s refused (%s: %s); growing with Lanczos instead",
                self.model_id,
                details.get("Code"),
                str(details.get("Message", ""))[:300],
            )
            return imaging.upscale(image, size)
        except (BotoCoreError, ValueError, OSError) as error:
            logger.warning("upscale model %s failed (%s); growing with Lanczos instead", self.model_id, error)
            return imaging.upscale(image, size)
        return grown.resize(size, Image.Resampling.LANCZOS)
