"""The SAM endpoint's inference handler against its contract, with a stand-in predictor (no torch)."""

from __future__ import annotations

import base64
import importlib.util
import io
import json

import numpy as np
import pytest
from PIL import Image

from tests.infra.conftest import REPO_ROOT

_spec = importlib.util.spec_from_file_location("sam_inference", REPO_ROOT / "serving" / "sam" / "inference.py")
inference = importlib.util.module_from_spec(_spec)
assert _spec.loader is not None
_spec.loader.exec_module(inference)


class BoxPredictor:
    """Stands in for SamPredictor: each box's mask is the box itself."""

    def __init__(self) -> None:
        self.images: list[np.ndarray] = []
        self.boxes: list[list[float]] = []

    def set_image(self, image: np.ndarray, image_format: str = "RGB") -> None:
        self.images.append(image)

    def predict(self, *, box: np.ndarray, multimask_output: bool):
        assert multimask_output is False
        self.boxes.append(box.tolist())
        mask = np.zeros(self.images[-1].shape[:2], dtype=bool)
        x0, y0, x1, y1 = (int(v) for v in box)
        mask[y0:y1, x0:x1] = True
        return mask[None], np.array([0.9]), np.zeros((1, 8, 8))


def _png(width: int = 64, height: int = 48) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (120, 90, 60)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def _mask(response: dict) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(response["mask_image"]))))


def test_all_boxes_in_one_request_one_embedding_person_black_on_white() -> None:
    predictor = BoxPredictor()
    body = json.dumps({"encode_image": _png(), "input_box": [[2, 3, 10, 12], [30, 20, 40, 44]]})
    mask = _mask(inference.handle(body, predictor))
    assert len(predictor.images) == 1  # the image is embedded once for every box
    assert predictor.boxes == [[2, 3, 10, 12], [30, 20, 40, 44]]
    assert mask.shape == (48, 64) and mask.dtype == np.uint8
    assert (mask[3:12, 2:10] == 0).all() and (mask[20:44, 30:40] == 0).all()
    assert (mask == 0).sum() == 8 * 9 + 10 * 24
    assert set(np.unique(mask)) == {0, 255}


def test_single_flat_box_like_the_seed() -> None:
    predictor = BoxPredictor()
    mask = _mask(inference.handle(json.dumps({"encode_image": _png(), "input_box": [0, 0, 4, 4]}), predictor))
    assert (mask == 0).sum() == 16


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        json.dumps({"input_box": [0, 0, 1, 1]}),
        json.dumps({"encode_image": "!!!", "input_box": [0, 0, 1, 1]}),
        json.dumps({"encode_image": base64.b64encode(b"not an image").decode(), "input_box": [0, 0, 1, 1]}),
        json.dumps({"encode_image": _png(), "input_box": []}),
        json.dumps({"encode_image": _png(), "input_box": [5, 5, 1, 1]}),
        json.dumps({"encode_image": _png(), "input_box": [[0, 0, 1]]}),
    ],
)
def test_malformed_requests_are_refused(body: str) -> None:
    with pytest.raises(inference.BadRequest):
        inference.handle(body, BoxPredictor())


def test_other_content_types_are_refused() -> None:
    with pytest.raises(inference.BadRequest):
        inference.input_fn("{}", "application/x-image")
