"""The selfie segmentation model on ONNX Runtime (the segment function on Lambda, arm64) against the same model on
LiteRT (the offline booth): the same probabilities and the same masks on real photos; the committed .onnx is what
scripts/convert-selfie-model makes from the committed .tflite."""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import logging
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from photobooth.models import Box
from photobooth.offline.faces import BundledFaceDetector
from photobooth.offline.segmentation import GrabCutSegmenter, SelfieSegmenter, offline_segmenter
from photobooth.offline.selfie_model import SELFIE_ONNX, SELFIE_TFLITE, LiteRTSelfieModel, OnnxSelfieModel
from tests.support import portraits

REPO_ROOT = Path(__file__).resolve().parents[2]
CONVERTER = REPO_ROOT / "scripts" / "convert-selfie-model"

# The stated tolerance. Probabilities: float32 arithmetic in another order (ONNX Runtime's NCHW kernels against
# LiteRT's XNNPACK NHWC ones) moves each pixel's logit a little, and the final sigmoid turns that into at most 1.2e-3
# where it is steepest (p near 0.5) on these photos, 6e-6 on average. Stated: at most 5e-3 anywhere (room for another
# CPU's kernels) and 1e-4 on average. Masks: a pixel can flip only where the probability is that close to the 0.5
# cut, a few of the model's 65,536 pixels; 0.1 % of the photo's pixels allows that (none flipped on these photos).
PROBABILITY_TOLERANCE = 5e-3
MEAN_PROBABILITY_TOLERANCE = 1e-4
MASK_TOLERANCE = 0.001


def _cluttered_pair() -> Image.Image:
    """A landscape composite in front of clutter: Grace Hopper (her flag behind her) and the astronaut (the US flag
    and the shuttle model behind her) side by side on the scikit-image coffee cup, upscaled to 12 MP."""
    background = portraits.coffee().resize((4000, 3000))
    hopper = portraits.grace_hopper().resize((1700, 2000))
    astronaut = portraits.astronaut().resize((1900, 1900))
    background.paste(hopper, (200, 1000))
    background.paste(astronaut, (2000, 1100))
    return background


PHOTOS = {
    "astronaut": portraits.astronaut,
    "grace_hopper": portraits.grace_hopper,
    "group_of_two": portraits.group_of_two,
    "cluttered_pair_12mp": _cluttered_pair,
}


@pytest.fixture(scope="module")
def litert() -> SelfieSegmenter:
    return SelfieSegmenter(model=SELFIE_TFLITE)


@pytest.fixture(scope="module")
def onnx() -> SelfieSegmenter:
    return SelfieSegmenter(model=SELFIE_ONNX)


@pytest.fixture(scope="module")
def detector() -> BundledFaceDetector:
    return BundledFaceDetector()


def test_each_runtime_runs_its_own_file(litert: SelfieSegmenter, onnx: SelfieSegmenter) -> None:
    assert isinstance(litert._model, LiteRTSelfieModel)
    assert isinstance(onnx._model, OnnxSelfieModel)


@pytest.mark.parametrize("photo", list(PHOTOS))
def test_onnx_runtime_answers_litert_s_probabilities(
    photo: str, litert: SelfieSegmenter, onnx: SelfieSegmenter
) -> None:
    image = PHOTOS[photo]()
    expected = litert._probability(image)

    found = onnx._probability(image)

    assert found.shape == expected.shape
    assert float(expected.max()) > 0.99 and float(expected.min()) < 0.01, "the photo shows a person and background"
    assert float(np.abs(found - expected).max()) <= PROBABILITY_TOLERANCE
    assert float(np.abs(found - expected).mean()) <= MEAN_PROBABILITY_TOLERANCE


@pytest.mark.parametrize("photo", list(PHOTOS))
def test_onnx_runtime_cuts_out_the_same_people(
    photo: str, litert: SelfieSegmenter, onnx: SelfieSegmenter, detector: BundledFaceDetector
) -> None:
    image = PHOTOS[photo]()
    boxes: list[Box] = [face.box for face in detector.detect_faces(image)]
    assert boxes, "the detector finds the faces"
    expected = litert.segment(image, boxes)

    found = onnx.segment(image, boxes)

    assert 0.05 < (expected == 255).mean() < 0.9
    assert (found != expected).mean() <= MASK_TOLERANCE


def test_the_onnx_model_is_what_the_converter_makes_from_the_bundled_tflite() -> None:
    """Provenance (models/NOTICE.md): the .onnx holds nothing but the .tflite's network. The converter is
    deterministic, so a file converted again must equal the committed one byte for byte."""
    loader = importlib.machinery.SourceFileLoader("convert_selfie_model", str(CONVERTER))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    converter = importlib.util.module_from_spec(spec)
    loader.exec_module(converter)

    assert converter.SOURCE == SELFIE_TFLITE and converter.TARGET == SELFIE_ONNX
    assert converter.convert() == SELFIE_ONNX.read_bytes()
    notice = (SELFIE_ONNX.parent / "NOTICE.md").read_text()
    assert hashlib.sha256(SELFIE_ONNX.read_bytes()).hexdigest() in notice
    assert "scripts/convert-selfie-model" in notice


@pytest.mark.parametrize("damage", ["missing", "not a model"])
def test_a_lost_or_damaged_onnx_file_leaves_the_booth_on_grabcut(tmp_path: Path, caplog, damage: str) -> None:
    model = tmp_path / "selfie_segmentation.onnx"
    if damage == "not a model":
        model.write_bytes(SELFIE_ONNX.read_bytes()[:1000])  # a copy cut short

    with pytest.raises(ValueError, match="could not load"):
        OnnxSelfieModel(model)
    with caplog.at_level(logging.WARNING):
        chosen = offline_segmenter("selfie", model=model)

    assert isinstance(chosen, GrabCutSegmenter)
    assert "could not be loaded" in caplog.text


# --- on AWS: the segment function's default (PHOTOBOOTH_SEGMENTATION_BACKEND=selfie) ------------------------------


@pytest.fixture
def aws_selfie(monkeypatch: pytest.MonkeyPatch):
    from photobooth import wiring

    monkeypatch.setenv("PHOTOBOOTH_BACKEND", "aws")
    monkeypatch.setenv("PHOTOBOOTH_SEGMENTATION_BACKEND", "selfie")
    # As on Lambda's arm64, where LiteRT has no wheel: only ONNX Runtime may run the model.
    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)
    wiring.reset()
    yield wiring
    wiring.reset()


def test_on_aws_the_selfie_backend_runs_the_model_on_onnx_runtime(aws_selfie, onnx: SelfieSegmenter) -> None:
    segmenter = aws_selfie.segmenter()

    assert isinstance(segmenter, SelfieSegmenter) and isinstance(segmenter._model, OnnxSelfieModel)
    image = portraits.astronaut()
    boxes = [Box(x0=160, y0=50, x1=270, y1=180)]
    assert np.array_equal(segmenter.segment(image, boxes), onnx.segment(image, boxes))


def test_on_aws_without_onnx_runtime_the_function_cuts_out_with_grabcut(
    aws_selfie, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # a layer built without the selfie-onnx extra

    with caplog.at_level(logging.WARNING):
        segmenter = aws_selfie.segmenter()

    assert isinstance(segmenter, GrabCutSegmenter)
    assert "runtime is not installed" in caplog.text and "GrabCut instead" in caplog.text


_INIT = r"""
import json, sys
import handler  # the segment function's init: what SnapStart's snapshot holds
from photobooth import wiring
from photobooth.config import get_settings
print(json.dumps({"built": wiring.segmenter.cache_info().currsize, "runtime": "onnxruntime" in sys.modules,
                  "settings_cached": get_settings.cache_info().currsize,
                  "boto3_clients": "botocore.client" in sys.modules and wiring.object_store.cache_info().currsize}))
"""


@pytest.mark.parametrize(
    ("where", "backend", "built"),
    [("aws", "selfie", True), ("aws", "grabcut", True), ("aws", "sam", False), ("offline", "selfie", False)],
)
def test_the_segment_function_loads_its_model_at_init_and_no_aws_client(
    where: str, backend: str, built: bool
) -> None:
    """On Lambda the model is loaded at init (SnapStart's snapshot); offline an import builds nothing, since the local
    engine imports the handlers while it is still setting the environment up (photobooth.local.batch)."""
    from tests.support.fresh import ROOT, fresh_python

    answer = fresh_python(
        "-c",
        _INIT,
        path=(ROOT / "src", ROOT / "functions" / "segment"),
        PHOTOBOOTH_BACKEND=where,
        PHOTOBOOTH_SEGMENTATION_BACKEND=backend,
    )

    assert isinstance(answer, dict)
    assert answer["built"] == int(built)
    assert answer["runtime"] == (built and backend == "selfie")
    assert answer["settings_cached"] == int(built)  # offline: read later, once the environment is complete
    # credentials and connections are made after the restore (photobooth.snapstart)
    assert not answer["boto3_clients"]
