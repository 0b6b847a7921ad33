"""SageMaker inference handler for the photobooth segmenter: Segment Anything, all face boxes in one request.

Contract (src/photobooth/aws adapter, docs/architecture.md):

    request   {"encode_image": <base64 PNG/JPEG>, "input_box": [x0, y0, x1, y1] | [[x0, y0, x1, y1], ...]}
    response  {"mask_image": <base64 PNG>}   person black (0) on white (255), the size of the input image

The image embedding is computed once per request and every box is prompted against it; the per-box masks are
merged. Runs in the PyTorch inference Deep Learning Container (model_fn/input_fn/predict_fn/output_fn). The
model artefact (serving/sam/package.py) holds the operator's checkpoint as ``sam.pth`` and this file with
``segment-anything`` vendored under ``code/lib`` (the endpoint runs with network isolation).
"""

from __future__ import annotations

import base64
import io
import json
import os
import sys
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image

CHECKPOINT_NAME = "sam.pth"
JSON = "application/json"
MAX_BOXES = 32


class Predictor(Protocol):
    """The part of ``segment_anything.SamPredictor`` this handler uses (a stand-in replaces it in tests)."""

    def set_image(self, image: np.ndarray, image_format: str = "RGB") -> None: ...

    def predict(self, *, box: np.ndarray, multimask_output: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...


class BadRequest(ValueError):
    """The request does not follow the contract above."""


def model_fn(model_dir: str) -> Predictor:
    sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))
    import torch
    from segment_anything import SamPredictor, sam_model_registry

    model = sam_model_registry[os.environ.get("SAM_MODEL_TYPE", "vit_b")](
        checkpoint=str(Path(model_dir) / CHECKPOINT_NAME)
    )
    model.to("cuda" if torch.cuda.is_available() else "cpu")
    model.eval()
    return SamPredictor(model)


def parse_request(body: bytes | str) -> tuple[np.ndarray, list[list[float]]]:
    try:
        payload = json.loads(body)
        image_bytes = base64.b64decode(payload["encode_image"], validate=True)
        raw_boxes = payload["input_box"]
    except (ValueError, KeyError, TypeError) as error:
        raise BadRequest(f"expected {{'encode_image': base64, 'input_box': [...]}}: {error}") from error
    boxes = [raw_boxes] if raw_boxes and not isinstance(raw_boxes[0], list) else raw_boxes
    if not boxes or len(boxes) > MAX_BOXES:
        raise BadRequest(f"input_box must hold 1 to {MAX_BOXES} boxes")
    for box in boxes:
        if len(box) != 4 or not all(isinstance(v, int | float) for v in box) or box[2] < box[0] or box[3] < box[1]:
            raise BadRequest(f"a box is [x0, y0, x1, y1] with x0 <= x1 and y0 <= y1, got {box}")
    try:
        image = Image.open(io.BytesIO(image_bytes))
        image = np.asarray(image.convert("RGB"))
    except OSError as error:
        raise BadRequest(f"encode_image is not an image: {error}") from error
    return image, boxes


def segment(predictor: Predictor, image: np.ndarray, boxes: list[list[float]]) -> np.ndarray:
    """Union of the per-box masks: ``bool`` (H, W), True = person."""
    predictor.set_image(image)
    person = np.zeros(image.shape[:2], dtype=bool)
    for box in boxes:
        masks, _scores, _logits = predictor.predict(box=np.asarray(box, dtype=np.float32), multimask_output=False)
        person |= np.asarray(masks[0], dtype=bool)
    return person


def encode_mask(person: np.ndarray) -> str:
    """Person black on white: the SAM endpoint's side of the mask polarity (docs/architecture.md)."""
    pixels = np.where(person, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def input_fn(request_body: bytes | str, content_type: str = JSON) -> tuple[np.ndarray, list[list[float]]]:
    if content_type.split(";")[0].strip() != JSON:
        raise BadRequest(f"content type must be {JSON}, got {content_type}")
    return parse_request(request_body)


def predict_fn(data: tuple[np.ndarray, list[list[float]]], model: Predictor) -> np.ndarray:
    image, boxes = data
    return segment(model, image, boxes)


def output_fn(prediction: np.ndarray, accept: str = JSON) -> tuple[str, str]:
    return json.dumps({"mask_image": encode_mask(prediction)}), JSON


def handle(body: bytes | str, predictor: Predictor) -> dict[str, Any]:
    """The whole request path in one call (what the container does through the four functions above)."""
    response, _ = output_fn(predict_fn(input_fn(body), predictor))
    return json.loads(response)
