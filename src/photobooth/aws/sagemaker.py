"""Person segmentation with a Segment Anything (SAM) model on a SageMaker real-time endpoint (the ``Segmenter``
port).

Wire format of the endpoint (the serving code in ``serving/sam/`` accepts both box shapes):

- request, ``application/json``: ``{"encode_image": <base64 PNG>, "input_box": [x0, y0, x1, y1]}`` for one
  person, or ``"input_box": [[x0, y0, x1, y1], ...]`` for several; boxes in pixels of the image sent;
- response: ``{"mask_image": <base64 PNG>}`` with the people **black on white** (the opposite of the project's
  polarity), possibly at another resolution than the image sent.

One call covers every box: SAM segments all prompts against one image embedding, which is the expensive part.

Timing: SageMaker gives a container 60 s to answer, so the client waits 70 s and never retries by itself (a retried
read timeout would double the wait inside the segment function); the workflow's Retry backs off instead. The
segment function's timeout must exceed this client's connect + read timeouts.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Sequence
from typing import Any

import boto3
import numpy as np
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError
from PIL import Image

from photobooth.errors import PhotoboothError, SegmentationRejected, SegmentationUnavailable
from photobooth.imaging import decode_mask_png, encode_png, invert_mask
from photobooth.models import Box

logger = logging.getLogger(__name__)

READ_TIMEOUT = 70.0
CONNECT_TIMEOUT = 5.0
# total_max_attempts=1: no botocore retries at all; its standard and legacy modes both retry read timeouts.
CLIENT_CONFIG = Config(
    read_timeout=READ_TIMEOUT, connect_timeout=CONNECT_TIMEOUT, retries={"total_max_attempts": 1, "mode": "standard"}
)

_TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "ModelNotReadyException",
        "ServiceUnavailable",
        "InternalFailure",
        "InternalDependencyException",
    }
)


def build_request(image: Image.Image, boxes: Sequence[Box]) -> dict[str, Any]:
    """The endpoint's JSON body for ``boxes`` (at least one) on ``image``."""
    if not boxes:
        raise ValueError("segmentation needs at least one face box")
    input_box: list[int] | list[list[int]] = (
        boxes[0].as_list() if len(boxes) == 1 else [box.as_list() for box in boxes]
    )
    return {
        "encode_image": base64.b64encode(encode_png(image.convert("RGB"))).decode("ascii"),
        "input_box": input_box,
    }


def parse_response(body: bytes, size: tuple[int, int]) -> np.ndarray:
    """The endpoint's answer as the project's person mask (uint8, 255 = person) of ``size`` (width, height)."""
    try:
        payload = json.loads(body)
        data = base64.b64decode(payload["mask_image"], validate=True)
        light = decode_mask_png(data, size)
    except (ValueError, KeyError, TypeError, binascii.Error) as error:
        detail = f"SAM endpoint answered without a readable mask_image: {type(error).__name__}"
        raise PhotoboothError(detail) from error
    # The endpoint draws the people black on white; inside the project 255 marks the people.
    return invert_mask(light)


class SamEndpointSegmenter:
    def __init__(self, endpoint_name: str, client: Any | None = None) -> None:
        self.endpoint_name = endpoint_name
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = boto3.client("sagemaker-runtime", config=CLIENT_CONFIG)
        return self._client

    def segment(self, image: Image.Image, boxes: Sequence[Box]) -> np.ndarray:
        request = build_request(image, boxes)
        try:
            response = self.client.invoke_endpoint(
                EndpointName=self.endpoint_name,
                ContentType="application/json",
                Accept="application/json",
                Body=json.dumps(request).encode("utf-8"),
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            message = str(error.response.get("Error", {}).get("Message", ""))[:300]
            logger.warning(
                "SAM endpoint call failed",
                extra={"endpoint": self.endpoint_name, "error_code": code, "service_message": message},
            )
            if _is_rejected(error):
                raise SegmentationRejected(f"SAM endpoint {self.endpoint_name}: {code}: {message}") from error
            if code in _TRANSIENT_CODES or _is_server_error(error):
                raise SegmentationUnavailable(f"SAM endpoint {self.endpoint_name}: {code}") from error
            raise
        except (ConnectionError, HTTPClientError) as error:  # read/connect timeout, endpoint unreachable
            logger.warning(
                "SAM endpoint call failed", extra={"endpoint": self.endpoint_name, "error_code": type(error).__name__}
            )
            raise SegmentationUnavailable(f"SAM endpoint {self.endpoint_name}: {type(error).__name__}") from error
        mask = parse_response(response["Body"].read(), image.size)
        logger.info("SAM endpoint segmented", extra={"endpoint": self.endpoint_name, "boxes": len(boxes)})
        return mask


def _original_status(error: ClientError) -> int:
    """The container's own status code inside a ``ModelError`` (0 when absent, e.g. a container timeout)."""
    response = error.response
    return int(response.get("OriginalStatusCode") or response.get("Error", {}).get("OriginalStatusCode") or 0)


def _is_rejected(error: ClientError) -> bool:
    """The request itself was refused: SageMaker's ``ValidationError``, or the container answered 4xx. The same
    request would be refused again, so it is not retried."""
    code = error.response.get("Error", {}).get("Code", "")
    return code == "ValidationError" or (code == "ModelError" and 400 <= _original_status(error) < 500)


def _is_server_error(error: ClientError) -> bool:
    """A 5xx from SageMaker itself, or a ``ModelError`` from the container that is not a 4xx (a 5xx, or a
    timeout, which SageMaker reports without a status)."""
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
    code = error.response.get("Error", {}).get("Code", "")
    return int(status) >= 500 or code == "ModelError"
