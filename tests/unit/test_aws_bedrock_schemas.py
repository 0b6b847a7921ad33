"""Every Bedrock request body the generator builds, checked against the model's documented schema.

The schemas in tests/data/bedrock_schemas/ are written from the AWS documentation pages cited in their
``$comment``; their ``x-image-limits`` hold the image rules JSON Schema cannot express (sides, pixels, aspect).
They are independent of the adapter's own constants, so a wrong constant in the adapter fails here.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from PIL import Image

from photobooth.aws.bedrock import (
    NOVA_LIMITS,
    STABILITY_LIMITS,
    TITAN_LIMITS,
    BedrockImageGenerator,
    build_request,
    fit_to_limits,
)
from photobooth.config import DEFAULT_THEMES, EXTRA_THEMES
from photobooth.models import Theme

SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "bedrock_schemas"

TITAN = "amazon.titan-image-generator-v2:0"
NOVA = "amazon.nova-canvas-v1:0"
STABILITY = "us.stability.stable-image-inpaint-v1:0"

REQUEST_SCHEMA = {
    TITAN: "titan-image-generator-outpainting.request.json",
    NOVA: "nova-canvas-outpainting.request.json",
    STABILITY: "stability-image-inpaint.request.json",
}
THEME = Theme(name="forest", prompt="an enchanted forest", negative_prompt="text, watermark")

# Working images the pipeline can hand over (long side <= 1024, padded to multiples of 64), plus extremes: a
# panorama, a tall strip, a tiny photo and one larger than the default working size.
SIZES = [
    (1024, 768),
    (768, 1024),
    (512, 512),
    (1024, 320),
    (320, 1024),
    (1024, 128),
    (128, 1024),
    (64, 64),
    (2048, 1536),
]


def schema(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text())


def decode(b64: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(b64, validate=True)))


def photo(size: tuple[int, int]) -> tuple[Image.Image, np.ndarray]:
    """A gradient photo with a person block in the middle (255 = person)."""
    width, height = size
    x = np.linspace(0, 255, width, dtype=np.uint8)[None, :].repeat(height, axis=0)
    image = Image.fromarray(np.stack([x, np.full_like(x, 90), 255 - x], axis=-1))
    mask = np.zeros((height, width), dtype=np.uint8)
    mask[height // 4 : 3 * height // 4, width // 3 : 2 * width // 3] = 255
    return image, mask


def sent_images(model_id: str, body: dict) -> tuple[Image.Image, Image.Image]:
    if model_id == STABILITY:
        return decode(body["image"]), decode(body["mask"])
    params = body["outPaintingParams"]
    return decode(params["image"]), decode(params["maskImage"])


def assert_within_limits(image: Image.Image, limits: dict) -> None:
    assert image.format in limits["formats"]
    assert_size_within_limits(image.size, limits)


def assert_size_within_limits(size: tuple[int, int], limits: dict) -> None:
    width, height = size
    assert min(width, height) >= limits["minSide"], size
    if limits["maxSide"] is not None:
        assert max(width, height) <= limits["maxSide"], size
    assert width * height <= limits["maxPixels"], size
    if limits["maxAspect"] is not None:
        assert max(width, height) / min(width, height) <= limits["maxAspect"], size


@pytest.mark.parametrize("model_id", list(REQUEST_SCHEMA))
@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_request_bodies_follow_the_documented_schema_and_image_limits(model_id, size):
    documented = schema(REQUEST_SCHEMA[model_id])
    image, mask = photo(size)

    body = build_request(model_id, image, mask, THEME, 3_000_000_000)

    jsonschema.validate(body, documented)
    sent, sent_mask = sent_images(model_id, body)
    assert_within_limits(sent, documented["x-image-limits"])
    assert sent_mask.size == sent.size, "the mask must have the image's size"
    grey = np.asarray(sent_mask.convert("L"))
    assert set(np.unique(grey)) <= {0, 255}, "masks are pure black and white"


@pytest.mark.parametrize("model_id", list(REQUEST_SCHEMA))
@pytest.mark.parametrize("theme", DEFAULT_THEMES + EXTRA_THEMES, ids=lambda theme: theme.name)
def test_the_shipped_themes_fit_every_models_prompt_limits(model_id, theme):
    image, mask = photo((512, 512))

    jsonschema.validate(build_request(model_id, image, mask, theme, 7), schema(REQUEST_SCHEMA[model_id]))


@pytest.mark.parametrize("model_id", list(REQUEST_SCHEMA))
@pytest.mark.parametrize("seed", [0, 858_993_459, 858_993_460, 2_147_483_646, 2_147_483_647, 4_294_967_295, 10**12])
def test_every_seed_is_within_the_models_range(model_id, seed):
    image, mask = photo((256, 256))

    jsonschema.validate(build_request(model_id, image, mask, THEME, seed), schema(REQUEST_SCHEMA[model_id]))


class FakeModel:
    """Answers like the model it is asked for, painting the whole frame one colour at the size it was sent."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []

    def invoke_model(self, *, modelId, body, **_):
        request = json.loads(body)
        self.bodies.append(request)
        sent = decode(request["image"] if "image" in request else request["outPaintingParams"]["image"])
        buffer = io.BytesIO()
        Image.new("RGB", sent.size, (200, 30, 30)).save(buffer, format="PNG")
        image = base64.b64encode(buffer.getvalue()).decode()
        if "prompt" in request:
            answer = {"seeds": [request["seed"]], "finish_reasons": [None], "images": [image]}
            jsonschema.validate(answer, schema("stability-image-services.response.json"))
        else:
            answer = {"images": [image], "error": None}
            jsonschema.validate(answer, schema("amazon-image.response.json"))
        return {"body": io.BytesIO(json.dumps(answer).encode()), "contentType": "application/json"}


class TestStabilityAspectRatio:
    def test_a_panorama_is_padded_to_2_5_to_1_with_the_padding_painted(self):
        image, mask = photo((1024, 320))  # 3.2 : 1

        body = build_request(STABILITY, image, mask, THEME, 7)

        sent, sent_mask = sent_images(STABILITY, body)
        assert sent.size == (1024, 410)  # ceil(1024 / 2.5)
        grey = np.asarray(sent_mask.convert("L"))
        top = (410 - 320) // 2
        assert (grey[:top] == 255).all() and (grey[top + 320 :] == 255).all(), "padding is background: painted"
        assert np.array_equal(grey[top : top + 320] == 0, mask == 255), "the photo's people stay black (kept)"
        assert np.array_equal(np.asarray(sent.convert("RGB"))[top : top + 320], np.asarray(image))

    @pytest.mark.parametrize("size", [(1024, 320), (320, 1024), (1024, 128)])
    def test_the_answer_is_cropped_back_to_the_photo(self, size):
        image, mask = photo(size)
        fake = FakeModel()

        result = BedrockImageGenerator([STABILITY], fake).generate(image, mask, THEME, 7)

        assert result.size == size
        assert result.getpixel((size[0] // 2, size[1] // 2)) == (200, 30, 30)


class TestSizes:
    def test_nova_gets_at_least_320_px_per_side_and_the_answer_is_scaled_back(self):
        image, mask = photo((256, 192))
        fake = FakeModel()

        result = BedrockImageGenerator([NOVA], fake).generate(image, mask, THEME, 7)

        sent = decode(fake.bodies[0]["outPaintingParams"]["image"])
        assert min(sent.size) >= 320
        assert result.size == (256, 192)

    def test_titan_gets_at_most_1408_px_on_the_long_side(self):
        image, mask = photo((2048, 1536))
        fake = FakeModel()

        result = BedrockImageGenerator([TITAN], fake).generate(image, mask, THEME, 7)

        sent = decode(fake.bodies[0]["outPaintingParams"]["image"])
        assert max(sent.size) <= 1408
        assert result.size == (2048, 1536)


@pytest.mark.parametrize(
    ("model_id", "limits"),
    [(TITAN, TITAN_LIMITS), (NOVA, NOVA_LIMITS), (STABILITY, STABILITY_LIMITS)],
)
def test_any_photo_size_is_fitted_into_the_documented_limits(model_id, limits):
    documented = schema(REQUEST_SCHEMA[model_id])["x-image-limits"]
    rng = np.random.default_rng(8)
    for width, height in rng.integers(16, 2600, size=(12, 2)):
        image = Image.new("RGB", (int(width), int(height)), (9, 9, 9))
        mask = np.zeros((int(height), int(width)), dtype=np.uint8)

        fitted = fit_to_limits(image, mask, limits)

        assert_size_within_limits(fitted.image.size, documented)
        assert fitted.mask.shape == (fitted.image.height, fitted.image.width)
        assert fitted.restore(fitted.image).size == image.size
