"""The booth's content policy: which findings of a :class:`~photobooth.ports.Moderator` stop a picture.

Kept apart from the adapters so the rule is the same whatever service looked at the picture, and testable without
one. Confidence, categories and the third-level labels let through come from settings
(``moderation_min_confidence``, ``moderation_categories``, ``moderation_let_through_labels``).
"""

from __future__ import annotations

import logging
from collections.abc import Collection

from PIL import Image

from photobooth.errors import ModerationRejected
from photobooth.ports import ModerationLabel, Moderator

logger = logging.getLogger(__name__)


def refused_labels(
    labels: list[ModerationLabel],
    *,
    categories: Collection[str],
    min_confidence: float,
    let_through: Collection[str] = (),
) -> list[ModerationLabel]:
    """Findings at or above ``min_confidence`` whose name or any ancestor's name is one of ``categories``, except
    the ``let_through`` third-level labels and the categories every finding under which is let through.

    Rekognition lists a finding with its parents ("Bare Back" beside "Non-Explicit Nudity" and its L1), so a parent
    is excused only when it has findings under it in this answer and each of them is excused: an L2 finding with
    no L3 label under it, or one more L3 label that is not let through, is still refused."""
    wanted, exempt = set(categories), set(let_through)
    found = [label for label in labels if label.confidence >= min_confidence]

    def excused(label: ModerationLabel) -> bool:
        if label.name in exempt:
            return True
        children = [other for other in found if other.ancestors[:1] == (label.name,)]
        return bool(children) and all(excused(child) for child in children)

    return [label for label in found if {label.name, *label.ancestors} & wanted and not excused(label)]


def check(
    image: Image.Image,
    moderator: Moderator,
    *,
    categories: Collection[str],
    min_confidence: float,
    rejection: type[ModerationRejected],
    let_through: Collection[str] = (),
) -> None:
    """Raise ``rejection`` when ``image`` shows a refused category. Only label names are logged, never pixels."""
    refused = refused_labels(
        moderator.moderation_labels(image),
        categories=categories,
        min_confidence=min_confidence,
        let_through=let_through,
    )
    if refused:
        names = sorted({label.name for label in refused})
        logger.info("content check refused a picture", extra={"labels": names})
        raise rejection(f"refused by the content check: {', '.join(names)}")
