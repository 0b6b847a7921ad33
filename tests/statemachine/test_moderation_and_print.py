"""Moderation and print-quality results through the committed ASL on moto's interpreter with the real handlers.

The moderator is swapped in through ``wiring`` (as the handlers build it), the models are the offline ones wrapped
to count their calls.
"""

from __future__ import annotations

import io
import threading

import numpy as np
from PIL import Image

from photobooth import imaging, wiring
from photobooth.errors import GeneratedImageRejected, PhotoRejected
from photobooth.ports import ModerationLabel
from tests.support import portraits

THEMES = ["unicorn-meadow", "floating-city", "cosmos"]
RED = (230, 20, 20)


class CountingGenerator:
    """The offline generator, counting calls; ``floating-city`` paints a flat red scene the moderator refuses."""

    def __init__(self) -> None:
        self.inner = wiring.image_generator()
        self.calls: dict[str, int] = {}
        self._lock = threading.Lock()

    def generate(self, image, person_mask, theme, seed):
        with self._lock:
            self.calls[theme.name] = self.calls.get(theme.name, 0) + 1
        if theme.name == "floating-city":
            return Image.new("RGB", image.size, RED)
        return self.inner.generate(image, person_mask, theme, seed)


class CountingSegmenter:
    def __init__(self) -> None:
        self.inner = wiring.segmenter()
        self.calls = 0

    def segment(self, image, boxes):
        self.calls += 1
        return self.inner.segment(image, boxes)


class FakeModerator:
    """Refuses everything (``refuse_all``) or only pictures that are mostly the red scene."""

    def __init__(self, *, refuse_all: bool) -> None:
        self.refuse_all = refuse_all
        self.checked = 0
        self._lock = threading.Lock()

    def moderation_labels(self, image):
        with self._lock:
            self.checked += 1
        mean = np.asarray(image.convert("RGB"), np.float32).reshape(-1, 3).mean(axis=0)
        if self.refuse_all or np.allclose(mean, RED, atol=40):
            return [ModerationLabel(name="Graphic Violence", ancestors=("Violence",), confidence=93.0)]
        return []


def test_ModerationRejected_before_any_model_is_paid_for(cloud, monkeypatch):
    generator, segmenter, moderator = CountingGenerator(), CountingSegmenter(), FakeModerator(refuse_all=True)
    monkeypatch.setattr(wiring, "image_generator", lambda: generator)
    monkeypatch.setattr(wiring, "segmenter", lambda: segmenter)
    monkeypatch.setattr(wiring, "moderator", lambda: moderator)
    request_id = cloud.upload(portraits.jpeg_bytes(), filename="me.jpg")

    status = cloud.wait_for_terminal(request_id)

    assert status["status"] == "FAILED"
    assert status["error"] == {"code": "MODERATION_REJECTED", "message": PhotoRejected.public_message}
    assert moderator.checked == 1
    assert segmenter.calls == 0, "segmentation ran for a refused photo"
    assert generator.calls == {}, "an image model ran for a refused photo"
    assert cloud.keys(f"work/{request_id}/") == [] and cloud.keys(f"generated/{request_id}/") == []
    (execution,) = cloud.wait_for_executions(1)
    assert execution["status"] == "FAILED" and execution["error"] == "PhotoRejected"
    visited = cloud.visited_states(execution["executionArn"])
    assert "Record the failure" in visited
    assert "Cut out the people" not in visited and "Generate image" not in visited


def test_a_refused_generated_image_makes_the_request_PARTIAL(cloud, monkeypatch):
    generator, moderator = CountingGenerator(), FakeModerator(refuse_all=False)
    monkeypatch.setattr(wiring, "image_generator", lambda: generator)
    monkeypatch.setattr(wiring, "moderator", lambda: moderator)
    request_id = cloud.upload(portraits.jpeg_bytes(), filename="me.jpg")

    status = cloud.wait_for_terminal(request_id)

    assert status["status"] == "PARTIAL"
    by_theme = {image["theme"]: image for image in status["images"]}
    assert by_theme["floating-city"]["status"] == "FAILED"
    assert by_theme["floating-city"]["error"] == {
        "code": "MODERATION_REJECTED",
        "message": GeneratedImageRejected.public_message,
    }
    assert by_theme["unicorn-meadow"]["status"] == by_theme["cosmos"]["status"] == "SUCCEEDED"
    assert len(status["url_generated"]) == 2
    assert "error" not in status
    assert cloud.keys(f"generated/{request_id}/") == [
        f"generated/{request_id}/photo_me_1.jpeg",
        f"generated/{request_id}/photo_me_3.jpeg",
    ]
    assert moderator.checked == 1 + 3  # the photo once, then each generated picture
    assert generator.calls == dict.fromkeys(THEMES, 1)  # a refused picture is not generated again


def test_results_are_print_size_with_the_faces_from_the_upright_original(cloud):
    """A 12 MP portrait stored sideways (EXIF orientation 6): every result is 1536x2048 (output_long_side 2048),
    and the face matches the original reduced to that size within JPEG noise."""
    upright = portraits.astronaut().resize((3000, 3000), Image.Resampling.LANCZOS)
    portrait = Image.new("RGB", (3000, 4000), (128, 128, 128))
    portrait.paste(upright, (0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6
    data = portraits.encode(portrait.transpose(Image.Transpose.ROTATE_90), "JPEG", quality=92, exif=exif)
    request_id = cloud.upload(data, filename="tall.jpg")

    status = cloud.wait_for_terminal(request_id, timeout=120)

    assert status["status"] == "SUCCEEDED", status
    s3 = cloud.s3()
    reference, _ = imaging.load_original(data, long_side=2048, max_pixels=40_000_000, max_decoded_bytes=2**27)
    # Inside the face's oval the pipeline always keeps (y 95-145, x 195-250 at 512 px), 3x in the result.
    face = (slice(285, 435), slice(585, 750))
    for key in cloud.keys(f"generated/{request_id}/"):
        body = s3.get_object(Bucket=cloud.bucket, Key=key)["Body"].read()
        result = Image.open(io.BytesIO(body))
        assert result.size == (1536, 2048)
        pixels = np.asarray(result.convert("RGB"), np.int16)
        assert np.abs(pixels[face] - np.asarray(reference, np.int16)[face]).mean() < 3.0
