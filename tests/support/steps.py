"""The workflow's hand-over between steps, as the state machine builds it, for tests that call the steps directly."""

from __future__ import annotations

from photobooth import pipeline
from photobooth.config import Settings
from photobooth.offline.faces import BundledFaceDetector
from photobooth.ports import ObjectStore, Segmenter, StatusStore


def detect_and_segment(
    store: ObjectStore, status: StatusStore, *, request_id: str, key: str, segmenter: Segmenter, settings: Settings
) -> tuple[dict, str]:
    """The detect and segment steps on the upload at ``key`` (offline face detector): the detection and the mask's
    key, as the workflow hands them to the generate steps."""
    detection = pipeline.detect(
        pipeline.DetectRequest(requestId=request_id, bucket="b", key=key),
        store=store,
        status=status,
        detector=BundledFaceDetector(),
        settings=settings,
    )
    segment = pipeline.SegmentRequest(requestId=request_id, bucket="b", detection=detection)
    return detection, pipeline.segment(segment, store=store, segmenter=segmenter)["maskKey"]


def generate_request(
    detection: dict, mask_key: str, *, request_id: str, key: str, theme: str, index: int
) -> pipeline.GenerateRequest:
    """The generate step's input from the detect step's answer and the segment step's mask (ASL: the Map's
    ItemSelector)."""
    return pipeline.GenerateRequest(
        requestId=request_id,
        bucket="b",
        key=key,
        theme=theme,
        index=index,
        inputKey=detection["inputKey"],
        maskKey=mask_key,
        contentWidth=detection["contentWidth"],
        contentHeight=detection["contentHeight"],
    )
