"""The workflow's hand-over between steps, as the state machine builds it, for tests that call the steps directly."""

from __future__ import annotations

from photobooth import pipeline


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
