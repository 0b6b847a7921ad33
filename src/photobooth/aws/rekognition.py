"""Face and eyewear detection with Amazon Rekognition (the ``FaceDetector`` port)."""

from __future__ import annotations

import logging
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError
from PIL import Image

from photobooth.boxes import relative_box_to_pixels
from photobooth.errors import FaceDetectionUnavailable, ImageTooLarge, InvalidImage
from photobooth.imaging import encode_jpeg
from photobooth.models import Box, Face

logger = logging.getLogger(__name__)

EYEWEAR_LABELS: tuple[str, ...] = ("Glasses", "Sunglasses")

# DetectFaces/DetectLabels answer in about a second. Two calls must fit in the detect function's 30 s with room for
# reading and normalising the photo, so each waits at most 3 + 10 s and botocore does not retry (its retry modes
# retry read timeouts too); the workflow retries FaceDetectionUnavailable with back-off instead.
CLIENT_CONFIG = Config(connect_timeout=3, read_timeout=10, retries={"total_max_attempts": 1, "mode": "standard"})

# Busy or briefly failing: the workflow retries FaceDetectionUnavailable with back-off.
_TRANSIENT_CODES = frozenset({"ThrottlingException", "ProvisionedThroughputExceededException", "InternalServerError"})


class RekognitionFaceDetector:
    """Sends the working image as JPEG bytes (always far below Rekognition's 5 MB limit at 1024 px).

    Boxes come back as pixels of the image passed in, clipped to it; confidences stay on Rekognition's 0-100 scale.
    """

    def __init__(self, client: Any | None = None, *, eyewear_min_confidence: float = 70.0) -> None:
        self._client = client
        self.eyewear_min_confidence = eyewear_min_confidence

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = boto3.client("rekognition", config=CLIENT_CONFIG)
        return self._client

    def detect_faces(self, image: Image.Image) -> list[Face]:
        response = self._call("detect_faces", Image={"Bytes": encode_jpeg(image)}, Attributes=["DEFAULT"])
        faces = []
        for detail in response.get("FaceDetails", []):
            box = relative_box_to_pixels(detail.get("BoundingBox", {}), image.size)
            if box is not None:
                faces.append(Face(box=box, confidence=_percent(detail.get("Confidence", 0.0))))
        logger.info("Rekognition found faces", extra={"faces": len(faces)})
        return faces

    def detect_eyewear(self, image: Image.Image) -> list[Box]:
        response = self._call(
            "detect_labels",
            Image={"Bytes": encode_jpeg(image)},
            MinConfidence=self.eyewear_min_confidence,
            Settings={"GeneralLabels": {"LabelInclusionFilters": list(EYEWEAR_LABELS)}},
        )
        boxes = []
        for label in response.get("Labels", []):
            if label.get("Name") not in EYEWEAR_LABELS:
                continue
            for instance in label.get("Instances", []):
                # Rekognition's confidences are 0-100; the old system compared them with 0.7 and kept everything.
                if instance.get("Confidence", 0.0) < self.eyewear_min_confidence:
                    continue
                box = relative_box_to_pixels(instance.get("BoundingBox", {}), image.size)
                if box is not None:
                    boxes.append(box)
        logger.info("Rekognition found eyewear", extra={"eyewear": len(boxes)})
        return boxes

    def _call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        try:
            return getattr(self.client, operation)(**kwargs)
        except (ConnectionError, HTTPClientError) as error:  # timeouts, endpoint unreachable
            logger.warning(
                "Rekognition call failed", extra={"operation": operation, "error_code": type(error).__name__}
            )
            raise FaceDetectionUnavailable(f"Rekognition {operation}: {type(error).__name__}") from error
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            message = str(error.response.get("Error", {}).get("Message", ""))[:300]
            logger.warning(
                "Rekognition call failed",
                extra={"operation": operation, "error_code": code, "service_message": message},
            )
            if code in _TRANSIENT_CODES:
                raise FaceDetectionUnavailable(f"Rekognition {operation}: {code}") from error
            if code == "InvalidImageFormatException":
                raise InvalidImage(f"Rekognition {operation}: {code}") from error
            if code == "ImageTooLargeException":
                raise ImageTooLarge(f"Rekognition {operation}: {code}") from error
            raise


def _percent(value: float) -> float:
    return max(0.0, min(100.0, float(value)))
