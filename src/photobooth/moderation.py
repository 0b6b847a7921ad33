"""The booth's content policy: which findings of a :class:`~photobooth.ports.Moderator` stop a picture.

Kept apart from the adapters so the rule is the same whatever service looked at the picture, and testable without
one. Confidence and categories come from settings (``moderation_min_confidence``, ``moderation_categories``).
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from PIL import Image

from photobooth.errors import ModerationRejected
from photobooth.ports import ModerationLabel, Moderator

logger = logging.getLogger(__name__)


def refused_labels(
    labels: list[ModerationLabel], *, categories: Collection[str], min_confidence: float
) -> list[ModerationLabel]:
    """Findings at or above ``min_confidence`` whose name or any ancestor's name is one of ``categories``."""
    wanted = set(categories)
    return [
        label for label in labels if label.confidence >= min_confidence and ({label.name, *label.ancestors} & wanted)
    ]


def check(
    image: Image.Image,
    moderator: Moderator,
    *,
    categories: Collection[str],
    min_confidence: float,
    rejection: type[ModerationRejected],
) -> None:
    """Raise ``rejection`` when ``image`` shows a refused category. Only label names are logged, never pixels."""
    refused = refused_labels(moderator.moderation_labels(image), categories=categories, min_confidence=min_confidence)
    if refused:
        names = sorted({label.name for label in refused})
        logger.info("content check refused a picture", extra={"labels": names})
        raise rejection(f"refused by the content check: {', '.join(names)}")
