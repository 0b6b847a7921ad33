"""The cut-out a visitor gets, against person masks drawn by hand (bench/cutout_set.py, bench/reference_masks/).

Each reference photo goes through the pipeline's own path (detect, segment, the print-size paste-back with its edge
refinement, feather and colour clean-up: bench/cutout.py), and the result is scored against the hand-made mask, not
against a mask the code recorded. Issue 22's targets: background leak <= 2 % of the image, no leaked blob over
0.5 %, person loss <= 2 %, faces whole.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from bench import cutout
from bench.cutout_set import ReferencePhoto, reference_set
from photobooth.config import Settings
from photobooth.models import Box
from photobooth.offline.faces import BundledFaceDetector
from photobooth.offline.segmentation import SelfieSegmenter

PHOTOS = {photo.name: photo for photo in reference_set()}

# The two configurations of the default segmenter, by the bench's names: the selfie model on LiteRT (offline) and
# the same model on ONNX Runtime, built as the segment function builds it on AWS (bench.cutout.lambda_segmenter).
OFFLINE, LAMBDA = "selfie", "selfie onnx (Lambda)"
TARGETS = {"leak": cutout.LEAK_TARGET, "blob": cutout.BLOB_TARGET, "loss": cutout.LOSS_TARGET, "faces_whole": 1}


@cache
def _detector() -> BundledFaceDetector:
    return BundledFaceDetector()


@cache
def _selfie() -> SelfieSegmenter:
    return SelfieSegmenter()


@cache
def _segmenter(configuration: str) -> object:
    return _selfie() if configuration == OFFLINE else cutout.lambda_segmenter()


@cache
def _default_score(name: str, configuration: str = OFFLINE) -> cutout.Score:
    return _score(PHOTOS[name], _segmenter(configuration), configuration)


def _score(photo: ReferencePhoto, segmenter: object, label: str = OFFLINE) -> cutout.Score:
    return cutout.score(photo, label, cutout.cut(photo, segmenter, _detector(), Settings()))  # type: ignore[arg-type]


def _misses(score: cutout.Score, bounds: dict[str, float]) -> list[str]:
    misses = [
        f"{what} {getattr(score, what):.2%} > {bounds[what]:.2%}"
        for what in ("leak", "blob", "loss")
        if getattr(score, what) > bounds[what]
    ]
    if bounds["faces_whole"] and not score.faces_whole:
        misses.append("a face lost pixels")
    return misses


@pytest.mark.parametrize("configuration", [OFFLINE, LAMBDA])
@pytest.mark.parametrize("name", list(PHOTOS))
def test_the_issues_targets_hold(name: str, configuration: str) -> None:
    """Issue 22's targets on every reference photo, for the default segmenter offline and in the Lambda
    configuration (each was a strict xfail where round one missed it: astronaut, grace_hopper, side_by_side,
    with_the_cat)."""
    photo = PHOTOS[name]

    score = _default_score(name, configuration)

    assert score.faces_found == photo.people, "every person's face is found"
    assert score.meets_targets(), (name, _misses(score, TARGETS), score)


def test_the_lambda_configuration_is_the_selfie_model_on_onnx_runtime_as_wiring_builds_it(monkeypatch) -> None:
    from photobooth.offline.selfie_model import OnnxSelfieModel

    monkeypatch.setenv("PHOTOBOOTH_BACKEND", "offline")
    monkeypatch.delenv("PHOTOBOOTH_SEGMENTATION_BACKEND", raising=False)

    built = cutout.lambda_segmenter()

    assert isinstance(built, SelfieSegmenter) and isinstance(built._model, OnnxSelfieModel)
    assert os.environ["PHOTOBOOTH_BACKEND"] == "offline", "the bench leaves the environment as it found it"
    assert "PHOTOBOOTH_SEGMENTATION_BACKEND" not in os.environ


def test_the_bench_refuses_to_call_grabcut_the_lambda_configuration(monkeypatch) -> None:
    """Without ONNX Runtime the wiring falls back on GrabCut: a row named for ONNX must not then measure GrabCut."""
    import builtins

    real_import = builtins.__import__

    def without_onnxruntime(name, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name == "onnxruntime":
            raise ImportError("No module named 'onnxruntime'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_onnxruntime)

    with pytest.raises(RuntimeError, match="not the selfie model on ONNX Runtime"):
        cutout.lambda_segmenter()


class _Grown:
    """A segmenter change that leaks: the default's mask grown by ``pixels``, as a looser threshold would."""

    def __init__(self, pixels: int) -> None:
        self.pixels = pixels

    def segment(self, image: Image.Image, boxes: list[Box]) -> np.ndarray:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * self.pixels + 1, 2 * self.pixels + 1))
        return cv2.dilate(_selfie().segment(image, boxes), kernel)


@pytest.mark.parametrize("name", ["launch_pad", "cafe"])
def test_a_segmenter_change_that_leaks_background_fails(name: str) -> None:
    # Twelve working-image pixels of background around everyone: a band a visitor sees as a halo of the old room.
    score = _score(PHOTOS[name], _Grown(12), "selfie grown by 12 px")

    assert any(miss.startswith(("leak", "blob")) for miss in _misses(score, TARGETS)), score


def test_the_reference_masks_are_the_hand_drawn_outlines() -> None:
    """The outlines are the committed polygons, filled: a person mask of sensible size on each photo."""
    for photo in PHOTOS.values():
        assert photo.person.shape == (photo.image.height, photo.image.width)
        assert 0.1 < photo.person.mean() < 0.7, photo.name


def test_the_readme_table_is_what_the_bench_measures() -> None:
    """README "Cut-out" shows the bench's rows for the default segmenter, offline and in the Lambda configuration;
    all but the time (which the machine sets) must be what the code measures now."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Cut-out: measured against hand-made masks", 1)[1].split("\n## ", 1)[0]
    for configuration in (OFFLINE, LAMBDA):
        shown = {
            line.split(" | ")[0].strip("| "): line
            for line in section.splitlines()
            if f" | {configuration} | " in line
        }
        for name in PHOTOS:
            expected = cutout.row(_default_score(name, configuration)).split(" | ")
            actual = shown[name].split(" | ")
            del expected[-2], actual[-2]  # segment seconds
            assert actual == expected, (name, configuration)


# GrabCut, the fallback where LiteRT has no wheel, is not held to the targets (it decides by colour alone and loses
# what looks like the background, such as the helmet). These are its figures of 2026-12-07 (README "Cut-out") with
# half a point of room: a change to GrabCut that leaks more or loses more fails here.
GRABCUT_CEILINGS = {
    "astronaut": {"leak": 0.005, "blob": 0.005, "loss": 0.31},
    "grace_hopper": {"leak": 0.064, "blob": 0.054, "loss": 0.023},
    "side_by_side": {"leak": 0.018, "blob": 0.015, "loss": 0.174},
    "launch_pad": {"leak": 0.005, "blob": 0.005, "loss": 0.069},
    "cafe": {"leak": 0.005, "blob": 0.005, "loss": 0.144},
    "with_the_cat": {"leak": 0.005, "blob": 0.005, "loss": 0.012},
}


@pytest.mark.parametrize("name", list(GRABCUT_CEILINGS))
def test_grabcut_leaks_and_loses_no_more_than_it_did(name: str) -> None:
    from photobooth.offline.segmentation import GrabCutSegmenter

    score = _score(PHOTOS[name], GrabCutSegmenter(), "grabcut")

    assert score.faces_found == PHOTOS[name].people
    assert not _misses(score, {**GRABCUT_CEILINGS[name], "faces_whole": 0}), score
