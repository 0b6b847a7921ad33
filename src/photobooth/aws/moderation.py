"""Content moderation with Amazon Rekognition ``DetectModerationLabels`` (the ``Moderator`` port)."""

from __future__ import annotations

import logging
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from PIL import Image

from photobooth.errors import ImageTooLarge, InvalidImage, ModerationUnavailable
from photobooth.imaging import encode_jpeg
from photobooth.ports import ModerationLabel

logger = logging.getLogger(__name__)

# Rekognition's own transient answers (API reference, DetectModerationLabels "Errors").
_TRANSIENT_CODES = frozenset(
    {"ThrottlingException", "ProvisionedThroughputExceededException", "InternalServerError", "ServiceUnavailable"}
)

# Level-2 names of taxonomy v7 whose level-1 parent is known here, for an answer that leaves the parent out (a
# parent below MinConfidence). https://docs.aws.amazon.com/rekognition/latest/dg/moderation-api.html
_KNOWN_PARENTS = {
    "Explicit Nudity": "Explicit",
    "Explicit Sexual Activity": "Explicit",
    "Sex Toys": "Explicit",
    "Non-Explicit Nudity": "Non-Explicit Nudity of Intimate parts and Kissing",
}


class RekognitionModerator:
    """Sends the image as JPEG bytes (a 1024 px working image is far below Rekognition's 5 MB limit) and asks only
    for labels at or above ``min_confidence``, the same threshold the booth's policy applies."""

    def __init__(self, client: Any | None = None, *, min_confidence: float = 80.0) -> None:
        self._client = client
        self.min_confidence = min_confidence

    @property
    def client(self) -> Any:
        if self._client is None:
            # Standard retries absorb short throttling inside the call; a longer one reaches the workflow's Retry.
            self._client = boto3.client("rekognition", config=Config(retries={"mode": "standard", "max_attempts": 3}))
        return self._client

    def moderation_labels(self, image: Image.Image) -> list[ModerationLabel]:
        try:
            response = self.client.detect_moderation_labels(
                Image={"Bytes": encode_jpeg(image)}, MinConfidence=self.min_confidence
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            logger.warning("Rekognition moderation failed", extra={"error_code": code})
            if code in _TRANSIENT_CODES:
                raise ModerationUnavailable(f"Rekognition detect_moderation_labels: {code}") from error
            if code == "InvalidImageFormatException":
                raise InvalidImage(f"Rekognition detect_moderation_labels: {code}") from error
            if code == "ImageTooLargeException":
                raise ImageTooLarge(f"Rekognition detect_moderation_labels: {code}") from error
            raise
        found = response.get("ModerationLabels", [])
        # Each label names only its direct parent ("" at the top level); the chain goes on through the parents
        # the same answer lists (or that are known), so a category named at either level matches.
        parents = {**_KNOWN_PARENTS, **{label.get("Name", ""): label.get("ParentName", "") for label in found}}
        labels = [
            ModerationLabel(
                name=label.get("Name", ""),
                ancestors=_ancestors(label.get("ParentName", ""), parents),
                confidence=float(label.get("Confidence", 0.0)),
            )
            for label in found
        ]
        logger.info("Rekognition moderation", extra={"labels": sorted({label.name for label in labels})})
        return labels


def _ancestors(parent: str, parents: dict[str, str]) -> tuple[str, ...]:
    chain: list[str] = []
    while parent and parent not in chain:
        chain.append(parent)
        parent = parents.get(parent, "")
    return tuple(chain)
