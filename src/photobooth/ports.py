"""The small interfaces the pipeline talks to. Each has an AWS adapter (``photobooth.aws``) and an offline adapter
(``photobooth.offline``); tests use either or an in-memory fake.

Mask convention everywhere inside the project (see docs/decisions.md): a ``numpy.uint8`` array of shape
``(height, width)`` where **255 marks the people to keep** and 0 marks the background to repaint. Adapters convert
to a model's own polarity at their edge and nowhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from photobooth.models import Box, Face, ImageResult, Theme

if TYPE_CHECKING:  # annotations only: the API functions (presign, status) never load numpy or Pillow
    import numpy as np
    from PIL import Image


class RequestExists(Exception):
    """A status record with this requestId is already there."""


class RequestGone(Exception):
    """The status record was erased (or never existed) while a step wanted to update it."""


class ObjectsNotDeleted(Exception):
    """S3 refused to delete some keys. ``DeleteObjects`` answers 200 and lists each refused key under ``Errors``
    instead of raising, so the store raises this itself: an erasure must never report success over a picture that
    is still there. ``failures`` maps each key to S3's error code (``AccessDenied``, ``InternalError``, ...)."""

    def __init__(self, failures: dict[str, str]) -> None:
        self.failures = dict(failures)
        listed = ", ".join(f"{key} ({code})" for key, code in self.failures.items())
        super().__init__(f"S3 did not delete {len(self.failures)} object(s): {listed}")


class FaceDetector(Protocol):
    def detect_faces(self, image: Image.Image) -> list[Face]:
        """Every face in ``image`` (RGB) as pixel boxes clipped to the image, with confidence on a 0-100 scale."""
        ...

    def detect_eyewear(self, image: Image.Image) -> list[Box]:
        """Boxes of glasses and sunglasses to keep with the faces (may be empty)."""
        ...


class Segmenter(Protocol):
    def segment(self, image: Image.Image, boxes: Sequence[Box]) -> np.ndarray:
        """One person mask (255 = person) covering everyone whose face box is given."""
        ...


class ImageGenerator(Protocol):
    def generate(self, image: Image.Image, person_mask: np.ndarray, theme: Theme, seed: int) -> Image.Image:
        """A new RGB image of ``image``'s size whose background shows ``theme``; people may be repainted slightly,
        the pipeline pastes the original people back afterwards."""
        ...


class ObjectStore(Protocol):
    def get(self, key: str) -> bytes: ...

    def head_size(self, key: str) -> int: ...

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def list_keys(self, prefix: str) -> list[str]: ...

    def delete_keys(self, keys: Sequence[str]) -> None:
        """Delete every key; raise :class:`ObjectsNotDeleted` naming those that are still there."""
        ...

    def presign_put(self, key: str, content_type: str, expires: int, *, content_length: int | None = None) -> str:
        """A URL for one PUT of ``key``; with ``content_length`` the size is part of the signature."""
        ...

    def presign_get(self, key: str, expires: int) -> str: ...


class StatusStore(Protocol):
    def create_pending(self, item: dict) -> None:
        """Create a record; raise :class:`RequestExists` if the requestId is taken."""
        ...

    def get(self, request_id: str) -> dict | None:
        """The record, or ``None`` when there is none or only an erased request's tombstone."""
        ...

    def was_erased(self, request_id: str) -> bool:
        """Whether the request was erased (its tombstone is still there): ``get`` answers ``None`` for it as for an
        id never seen, but a client is told the difference."""
        ...

    def record_image(self, request_id: str, result: ImageResult) -> None:
        """Store one theme's result at once, so a polling booth pad sees it before the others finish.
        Raise :class:`RequestGone` if the record was erased meanwhile."""
        ...

    def update(self, request_id: str, fields: dict) -> None:
        """Set ``fields`` on an existing record; raise :class:`RequestGone` if it is not there or erased."""
        ...

    def fail_unless_terminal(self, request_id: str, fields: dict) -> bool:
        """Set ``fields`` only if the request is still PENDING_UPLOAD or PROCESSING; ``True`` when it did."""
        ...

    def create_alias(self, alias_id: str, request_id: str, *, until: int) -> None:
        """Let ``alias_id`` (a seed-era pad's own id) stand for ``request_id``; again for the same request is
        harmless. Never re-points an alias and never overwrites a request: raise :class:`RequestExists` when the id
        stands for anything else, :class:`RequestGone` when it was erased (its tombstone keeps it)."""
        ...

    def erase(self, request_id: str, *, until: int) -> None:
        """Replace the record with a tombstone that lasts until ``until`` (epoch seconds; the retention period)."""
        ...

    def list_wall(self, limit: int) -> list[dict]:
        """At most ``limit`` records with ``showOnWall`` true whose status is SUCCEEDED or PARTIAL, newest first.
        Never a full scan of the store on AWS (photobooth.wall explains the index)."""
        ...


class BoothKey(Protocol):
    def accepts(self, presented: str | None) -> bool:
        """Whether ``presented`` (the ``x-booth-key`` header, or ``None``) is the booth key that lets a pad start
        work. On AWS the API's authorizer checks it on the pads' routes; the visitors' routes ask this port for
        what only a pad may see (a pad's own id, the execution)."""
        ...


class WorkflowStarter(Protocol):
    def start(self, request_id: str, event: dict) -> None:
        """Start the workflow for one request with an S3 "Object Created" event; starting twice is harmless."""
        ...


@dataclass(frozen=True)
class ModerationLabel:
    """One finding of a content check: its name, its ancestors' names (nearest first) and 0-100 confidence."""

    name: str
    ancestors: tuple[str, ...]
    confidence: float


class Upscaler(Protocol):
    @property
    def model_id(self) -> str | None:
        """The paid model that grows backgrounds (for the cost estimate); ``None`` when it is local."""
        ...

    def upscale(self, image: Image.Image, size: tuple[int, int]) -> Image.Image:
        """``image`` grown (or resampled) to ``size`` (w, h) for print: the generated background, never a face."""
        ...


class Moderator(Protocol):
    def moderation_labels(self, image: Image.Image) -> list[ModerationLabel]:
        """What a content check finds in ``image`` (RGB); an empty list when it finds nothing."""
        ...
