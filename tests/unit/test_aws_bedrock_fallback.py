"""The fallback after the inpainting service: Stability's Stable Image Core paints a whole background from the
theme's prompt (text to image, no image and no mask are sent), and the pipeline pastes the people back onto it as it
does onto an inpainted one. Also: Stability's "Inference error" is the model failing while running, not a filter.

Request schema: tests/data/bedrock_schemas/stability-image-core.request.json (its ``$comment`` cites the AWS page).
"""

from __future__ import annotations

import base64
import io
import json
import math
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from photobooth.aws.bedrock import BedrockImageGenerator, build_request
from photobooth.config import DEFAULT_MODEL_IDS, Settings
from photobooth.cost import Prices
from photobooth.errors import GenerationFailed, ModelThrottled, ModerationRejected
from photobooth.models import Theme

SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "bedrock_schemas"
CORE = "stability.stable-image-core-v1:1"
INPAINT = "us.stability.stable-image-inpaint-v1:0"
TITAN = "amazon.titan-image-generator-v2:0"
NOVA = "amazon.nova-canvas-v1:0"
THEME = Theme(name="beach", prompt="a tropical beach", negative_prompt="text, watermark")
ASPECTS = {"21:9": 21 / 9, "16:9": 16 / 9, "3:2": 1.5, "5:4": 1.25, "1:1": 1.0, "4:5": 0.8, "2:3": 2 / 3,
           "9:16": 9 / 16, "9:21": 9 / 21}  # fmt: skip


def schema(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text())


def photo(size: tuple[int, int]) -> tuple[Image.Image, np.ndarray]:
    width, height = size
    mask = np.zeros((height, width), dtype=np.uint8)
    mask[height // 4 : 3 * height // 4, width // 3 : 2 * width // 3] = 255
    return Image.new("RGB", size, (40, 90, 160)), mask


def stability_answer(image: Image.Image | None, reason: str | None = None) -> dict:
    images = []
    if image is not None:
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        images = [base64.b64encode(buffer.getvalue()).decode()]
    answer = {"seeds": [7], "finish_reasons": [reason], "images": images}
    jsonschema.validate(answer, schema("stability-image-services.response.json"))
    return answer


class ScriptedBedrock:
    """Answers each model's calls in turn from a list (the last answer repeats); records the models called."""

    def __init__(self, answers: dict[str, list]) -> None:
        self.answers = {model: list(script) for model, script in answers.items()}
        self.calls: list[tuple[str, dict]] = []

    def invoke_model(self, *, modelId, body, **_):
        self.calls.append((modelId, json.loads(body)))
        script = self.answers[modelId]
        answer = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(answer, Exception):
            raise answer
        return {"body": io.BytesIO(json.dumps(answer).encode()), "contentType": "application/json"}

    @property
    def models_called(self) -> list[str]:
        return [model for model, _ in self.calls]


def core_answer_for(body: dict) -> Image.Image:
    """A Core picture at its aspect ratio (about a megapixel) with a round disc in the middle."""
    ratio = ASPECTS[body.get("aspect_ratio", "1:1")]
    width, height = round(math.sqrt(1024 * 1024 * ratio)), round(math.sqrt(1024 * 1024 / ratio))
    answer = Image.new("RGB", (width, height), (250, 220, 120))
    radius = min(width, height) // 4
    cx, cy = width // 2, height // 2
    ImageDraw.Draw(answer).ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=(10, 10, 10))
    return answer


class TestStableImageCoreRequest:
    @pytest.mark.parametrize("size", [(1024, 768), (768, 1024), (512, 512), (1024, 320), (128, 1024), (2048, 1536)])
    def test_the_body_follows_the_documented_schema_with_the_photos_nearest_aspect_ratio(self, size):
        image, mask = photo(size)

        body = build_request(CORE, image, mask, THEME, 4_294_967_295)

        jsonschema.validate(body, schema("stability-image-core.request.json"))
        assert body["prompt"] == THEME.prompt and body["negative_prompt"] == THEME.negative_prompt
        photo_ratio = size[0] / size[1]
        nearest = min(ASPECTS, key=lambda name: abs(math.log(ASPECTS[name] / photo_ratio)))
        assert body["aspect_ratio"] == nearest

    def test_no_image_or_mask_is_sent(self):
        image, mask = photo((1024, 768))

        body = build_request(CORE, image, mask, THEME, 7)

        assert not {"image", "mask"} & set(body)


class TestStableImageCoreAnswer:
    @pytest.mark.parametrize("size", [(1024, 768), (768, 1024), (1024, 320), (640, 640)])
    def test_the_background_covers_the_photo_without_being_stretched(self, size):
        image, mask = photo(size)
        fake = ScriptedBedrock({CORE: [None]})
        fake.invoke_model = _answering_core(fake)  # type: ignore[method-assign]

        result = BedrockImageGenerator([CORE], fake).generate(image, mask, THEME, 7)

        assert result.size == size
        dark = np.argwhere(np.asarray(result.convert("L")) < 60)
        assert dark.size, "the disc in the middle of the answer is in the middle of the background"
        (top, left), (bottom, right) = dark.min(axis=0), dark.max(axis=0)
        disc_height, disc_width = bottom - top + 1, right - left + 1
        assert abs(disc_width - disc_height) <= 2, "a round disc stays round: the answer is scaled evenly, then cut"


def _answering_core(fake: ScriptedBedrock):
    def invoke_model(*, modelId, body, **_):
        request = json.loads(body)
        fake.calls.append((modelId, request))
        answer = stability_answer(core_answer_for(request))
        return {"body": io.BytesIO(json.dumps(answer).encode()), "contentType": "application/json"}

    return invoke_model


class TestDefaults:
    def test_the_defaults_are_the_inpainting_service_then_stable_image_core(self):
        assert DEFAULT_MODEL_IDS == (INPAINT, CORE)
        assert Settings().bedrock_model_ids == (INPAINT, CORE)
        BedrockImageGenerator(DEFAULT_MODEL_IDS)  # every default has a known request format

    def test_an_operator_may_still_list_the_end_of_life_models(self):
        settings = Settings(bedrock_model_ids=(INPAINT, CORE, TITAN, NOVA))

        assert BedrockImageGenerator(settings.bedrock_model_ids).model_ids == (INPAINT, CORE, TITAN, NOVA)

    def test_stable_image_core_has_its_own_price(self):
        prices = Prices()

        assert prices.image_usd(CORE, 1024, 1024) == pytest.approx(0.04)
        assert prices.image_usd(CORE, 1024, 1024) != prices.unknown_model_image_usd


class TestInferenceError:
    """Stability's answers list "Inference error" beside the filter reasons (stability-image-services.response.json):
    the model failed while running, which says nothing about the photo or the prompt."""

    def test_the_model_is_tried_once_more_then_the_next_one(self):
        image, mask = photo((512, 512))
        fake = ScriptedBedrock(
            {INPAINT: [stability_answer(None, "Inference error")], CORE: [stability_answer(core_answer_for({}))]}
        )

        result = BedrockImageGenerator([INPAINT, CORE], fake).generate(image, mask, THEME, 7)

        assert fake.models_called == [INPAINT, INPAINT, CORE]
        assert result.size == (512, 512)

    def test_a_retry_that_succeeds_needs_no_other_model(self):
        image, mask = photo((512, 512))
        ok = stability_answer(Image.new("RGB", (512, 512), (1, 2, 3)))
        fake = ScriptedBedrock({INPAINT: [stability_answer(None, "Inference error"), ok], CORE: [ok]})

        BedrockImageGenerator([INPAINT, CORE], fake).generate(image, mask, THEME, 7)

        assert fake.models_called == [INPAINT, INPAINT]

    def test_every_model_failing_so_is_transient_for_the_workflow_to_retry(self):
        image, mask = photo((512, 512))
        failing = [stability_answer(None, "Inference error")]
        fake = ScriptedBedrock({INPAINT: failing, CORE: failing})

        with pytest.raises(ModelThrottled):
            BedrockImageGenerator([INPAINT, CORE], fake).generate(image, mask, THEME, 7)

        assert fake.models_called == [INPAINT, INPAINT, CORE, CORE]

    def test_a_filter_reason_still_ends_the_attempt_at_once(self):
        image, mask = photo((512, 512))
        fake = ScriptedBedrock({INPAINT: [stability_answer(None, "Filter reason: prompt")], CORE: [None]})

        with pytest.raises(ModerationRejected):
            BedrockImageGenerator([INPAINT, CORE], fake).generate(image, mask, THEME, 7)

        assert fake.models_called == [INPAINT]

    def test_an_answer_without_an_image_is_still_generation_failed(self):
        image, mask = photo((512, 512))
        fake = ScriptedBedrock({INPAINT: [stability_answer(None)], CORE: [None]})

        with pytest.raises(GenerationFailed):
            BedrockImageGenerator([INPAINT, CORE], fake).generate(image, mask, THEME, 7)


def _shrunk(region: np.ndarray) -> np.ndarray:
    """``region`` without a 7 px band along its edge (where the paste-back feathers)."""
    return np.asarray(Image.fromarray(region.astype(np.uint8) * 255).filter(ImageFilter.MinFilter(15))) == 255


class TestComposition:
    """The generate step with Stable Image Core: the painted picture is the background, the people come from the
    original photo (imaging.compose_print), exactly as with the inpainting model."""

    def test_the_people_are_pasted_back_onto_the_core_background(self):
        from photobooth import imaging, pipeline
        from photobooth.offline.segmentation import GrabCutSegmenter
        from tests.support import portraits
        from tests.support.fakes import MemoryObjectStore, MemoryStatusStore
        from tests.support.steps import detect_and_segment, generate_request

        settings = Settings(backend="offline", output_long_side=0, moderate_generated_images=False)
        store, status = MemoryObjectStore(), MemoryStatusStore()
        status.create_pending({"requestId": "req-core-0001", "status": "PROCESSING", "images": {}})
        key = "photo/req-core-0001/me.jpg"
        store.put(key, portraits.jpeg_bytes(), "image/jpeg")
        detection, mask_key = detect_and_segment(
            store, status, request_id="req-core-0001", key=key, segmenter=GrabCutSegmenter(), settings=settings
        )
        magenta = (230, 0, 200)

        class PaintsMagenta(ScriptedBedrock):
            def invoke_model(self, *, modelId, body, **kwargs):
                request = json.loads(body)
                painted = Image.new("RGB", core_answer_for(request).size, magenta)
                self.answers[modelId] = [stability_answer(painted)]
                return super().invoke_model(modelId=modelId, body=body, **kwargs)

        fake = PaintsMagenta({CORE: [None]})
        request = generate_request(detection, mask_key, request_id="req-core-0001", key=key, theme="beach", index=1)

        result = pipeline.generate(
            request, store=store, status=status, generator=BedrockImageGenerator([CORE], fake), settings=settings
        )

        assert result["status"] == "SUCCEEDED"
        assert "image" not in fake.calls[0][1], "text to image: the photo is not sent"
        output = np.asarray(Image.open(io.BytesIO(store.get(result["key"]))).convert("RGB")).astype(int)
        original = np.asarray(portraits.astronaut().convert("RGB")).astype(int)
        mask = imaging.decode_mask_png(store.get(mask_key))[: output.shape[0], : output.shape[1]]
        assert output.shape == original.shape
        # Inside the people (away from the feathered outline), the original's pixels; elsewhere, the painting.
        inner, outer = (_shrunk(mask == value) for value in (255, 0))
        assert np.abs(output[inner] - original[inner]).mean() < 6
        assert np.abs(output[outer] - np.array(magenta)).mean() < 6
