"""BedrockImageGenerator: exact bodies per model family, mask polarity, ordered fallback, throttling, moderation."""

from __future__ import annotations

import base64
import io
import json
import logging

import boto3
import botocore.session
import numpy as np
import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from PIL import Image

from photobooth.aws import bedrock as bedrock_module
from photobooth.aws.bedrock import BedrockImageGenerator, build_request, parse_response
from photobooth.config import DEFAULT_MODEL_IDS
from photobooth.errors import (
    GenerationFailed,
    GenerationOutOfTime,
    ModelThrottled,
    ModelUnavailable,
    ModerationRejected,
)
from photobooth.models import Theme
from tests.support import portraits

TITAN = "amazon.titan-image-generator-v2:0"
NOVA = "amazon.nova-canvas-v1:0"
STABILITY = "stability.stable-image-inpaint-v1:0"
ALL_MODELS = (TITAN, NOVA, STABILITY)

THEME = Theme(
    name="forest",
    prompt="an enchanted green forest with glowing fireflies",
    negative_prompt="text, watermark",
)
THEME_WITHOUT_NEGATIVE = Theme(name="beach", prompt="a tropical beach at noon")
TITAN_INPUT_FILTER = (
    "This request has been blocked by our content filters. Please adjust your text prompt to submit a new request."
)


@pytest.fixture(scope="module")
def image() -> Image.Image:
    return portraits.astronaut()  # 512 x 512


@pytest.fixture(scope="module")
def person_mask() -> np.ndarray:
    """The project's polarity: 255 = person (a block in the middle), 0 = background."""
    mask = np.zeros((512, 512), dtype=np.uint8)
    mask[100:400, 150:350] = 255
    return mask


def decode(b64: str) -> Image.Image:
    return Image.open(io.BytesIO(base64.b64decode(b64, validate=True)))


def b64_image(size: tuple[int, int], colour: tuple[int, int, int] = (20, 120, 40)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def assert_people_black_background_white(b64_mask: str, person_mask: np.ndarray) -> None:
    sent = decode(b64_mask)
    assert sent.format == "PNG"
    grey = np.asarray(sent.convert("L"))
    assert set(np.unique(grey)) == {0, 255}, "the mask must be pure black and white"
    assert np.array_equal(grey == 0, person_mask == 255), "people black (kept), background white (painted)"


def assert_same_pixels(b64: str, image: Image.Image) -> None:
    sent = decode(b64)
    assert sent.format == "PNG"
    assert np.array_equal(np.asarray(sent.convert("RGB")), np.asarray(image.convert("RGB")))


def client_error(code: str, message: str = "for the test", status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}},
        "InvokeModel",
    )


class FakeBedrockRuntime:
    """Answers per model id: a JSON-able body, raw bytes or an exception. Records every call's keyword arguments."""

    def __init__(self, answers: dict[str, dict | bytes | Exception] | None = None) -> None:
        self.answers = dict(answers or {})
        self.calls: list[dict] = []

    def invoke_model(self, **kwargs):
        self.calls.append(kwargs)
        answer = self.answers[kwargs["modelId"]]
        if isinstance(answer, Exception):
            raise answer
        raw = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        return {"body": io.BytesIO(raw), "contentType": "application/json"}

    @property
    def models_called(self) -> list[str]:
        return [call["modelId"] for call in self.calls]

    def body(self, index: int) -> dict:
        return json.loads(self.calls[index]["body"])


def titan_ok(size: tuple[int, int] = (512, 512)) -> dict:
    return {"images": [b64_image(size)], "error": None}


def stability_ok(size: tuple[int, int] = (512, 512)) -> dict:
    return {"images": [b64_image(size, (200, 180, 40))], "finish_reasons": [None], "seeds": [7]}


class TestTitanAndNovaRequest:
    @pytest.mark.parametrize("model_id", [TITAN, "amazon.titan-image-generator-v1", NOVA])
    def test_exact_outpainting_body(self, model_id, image, person_mask):
        body = build_request(model_id, image, person_mask, THEME, 7)

        sent_image = body["outPaintingParams"].pop("image")
        sent_mask = body["outPaintingParams"].pop("maskImage")
        assert body == {
            "taskType": "OUTPAINTING",
            "outPaintingParams": {
                "text": THEME.prompt,
                "negativeText": THEME.negative_prompt,
                "outPaintingMode": "PRECISE",
            },
            "imageGenerationConfig": {
                "numberOfImages": 1,
                "quality": "standard",
                "cfgScale": 8.0,
                "seed": 7,
            },
        }
        assert_same_pixels(sent_image, image)
        assert_people_black_background_white(sent_mask, person_mask)

    def test_empty_negative_prompt_is_omitted(self, image, person_mask):
        body = build_request(TITAN, image, person_mask, THEME_WITHOUT_NEGATIVE, 7)

        assert "negativeText" not in body["outPaintingParams"]
        assert body["outPaintingParams"]["text"] == THEME_WITHOUT_NEGATIVE.prompt

    @pytest.mark.parametrize("model_id", [TITAN, NOVA])
    def test_width_and_height_are_left_out_so_any_photo_size_is_accepted(self, model_id):
        # 896 x 512 is not in Titan's table of generation sizes; for editing tasks the output has the input's size
        # and AWS's own outpainting samples send no width/height.
        wide = portraits.group_of_two().crop((0, 0, 896, 512))
        mask = np.zeros((512, 896), dtype=np.uint8)

        body = build_request(model_id, wide, mask, THEME, 7)

        assert "width" not in body["imageGenerationConfig"]
        assert "height" not in body["imageGenerationConfig"]
        assert decode(body["outPaintingParams"]["image"]).size == (896, 512)

    def test_seeds_are_folded_into_each_models_range(self, image, person_mask):
        seed = 3_000_000_000

        titan = build_request(TITAN, image, person_mask, THEME, seed)["imageGenerationConfig"]["seed"]
        nova = build_request(NOVA, image, person_mask, THEME, seed)["imageGenerationConfig"]["seed"]
        stability = build_request(STABILITY, image, person_mask, THEME, seed)["seed"]

        assert titan == seed % 2_147_483_647
        assert nova == seed % 858_993_460
        assert stability == seed

    def test_inference_profile_ids_and_arns_use_their_models_format(self, image, person_mask):
        for model_id in ("us.amazon.nova-canvas-v1:0", f"arn:aws:bedrock:us-east-1::foundation-model/{TITAN}"):
            assert build_request(model_id, image, person_mask, THEME, 7)["taskType"] == "OUTPAINTING"

    def test_mask_of_another_size_is_refused(self, image):
        with pytest.raises(ValueError):
            build_request(TITAN, image, np.zeros((10, 10), dtype=np.uint8), THEME, 7)


class TestStabilityRequest:
    def test_exact_inpaint_body(self, image, person_mask):
        body = build_request(STABILITY, image, person_mask, THEME, 7)

        sent_image = body.pop("image")
        sent_mask = body.pop("mask")
        assert body == {
            "prompt": THEME.prompt,
            "negative_prompt": THEME.negative_prompt,
            "seed": 7,
            "output_format": "png",
        }
        assert_same_pixels(sent_image, image)
        assert_people_black_background_white(sent_mask, person_mask)

    def test_empty_negative_prompt_is_omitted(self, image, person_mask):
        assert "negative_prompt" not in build_request(STABILITY, image, person_mask, THEME_WITHOUT_NEGATIVE, 7)


class TestParseResponse:
    @pytest.mark.parametrize(
        ("model_id", "body"), [(TITAN, titan_ok()), (NOVA, titan_ok()), (STABILITY, stability_ok())]
    )
    def test_the_image_is_decoded_as_rgb(self, model_id, body):
        result = parse_response(model_id, body)

        assert result.mode == "RGB"
        assert result.size == (512, 512)

    @pytest.mark.parametrize(
        "error",
        [
            "All of the generated images have been blocked by our content filters.",
            "Some of the generated images have been blocked by our content filters.",
        ],
    )
    def test_titan_output_filter_is_moderation(self, error):
        with pytest.raises(ModerationRejected):
            parse_response(NOVA, {"images": [], "error": error})

    @pytest.mark.parametrize("reason", ["Filter reason: prompt", "Filter reason: output image", "CONTENT_FILTERED"])
    def test_stability_filter_reasons_are_moderation(self, reason):
        with pytest.raises(ModerationRejected):
            parse_response(STABILITY, {"images": [], "finish_reasons": [reason], "seeds": [7]})

    @pytest.mark.parametrize(
        ("model_id", "body"),
        [
            pytest.param(TITAN, {"images": [], "error": None}, id="titan no image"),
            pytest.param(TITAN, {"error": "Internal model error"}, id="titan other error"),
            pytest.param(TITAN, {"images": ["bm90IGFuIGltYWdl"]}, id="titan not an image"),
            pytest.param(TITAN, {"images": ["%%%"]}, id="titan not base64"),
            pytest.param(STABILITY, {"images": [], "finish_reasons": [None]}, id="stability no image"),
            pytest.param(STABILITY, {"images": [""], "finish_reasons": ["Inference error"]}, id="stability error"),
            pytest.param(STABILITY, {"images": [42]}, id="stability not a string"),
        ],
    )
    def test_no_usable_image_is_generation_failed(self, model_id, body):
        with pytest.raises(GenerationFailed):
            parse_response(model_id, body)


class TestConfiguration:
    def test_unknown_model_family_is_refused_up_front(self):
        with pytest.raises(ValueError, match="openai"):
            BedrockImageGenerator([TITAN, "openai.gpt-image-1"], FakeBedrockRuntime())

    def test_at_least_one_model_is_required(self):
        with pytest.raises(ValueError):
            BedrockImageGenerator([], FakeBedrockRuntime())

    def test_the_client_is_created_on_first_use_in_the_configured_region(self, monkeypatch, image, person_mask):
        created: list[tuple[str, dict]] = []
        fake = FakeBedrockRuntime({TITAN: titan_ok()})

        def fake_client(service, **kwargs):
            created.append((service, kwargs))
            return fake

        monkeypatch.setattr(bedrock_module.boto3, "client", fake_client)
        generator = BedrockImageGenerator([TITAN], region="us-west-2")
        assert created == []

        generator.generate(image, person_mask, THEME, 7)
        generator.generate(image, person_mask, THEME, 7)

        [(service, kwargs)] = created
        assert service == "bedrock-runtime"
        assert kwargs["region_name"] == "us-west-2"

    def test_the_client_waits_one_read_timeout_and_never_retries_by_itself(self):
        client = BedrockImageGenerator([STABILITY], region="us-west-2", read_timeout=45).client

        assert client.meta.config.read_timeout == 45
        assert client.meta.config.connect_timeout <= 10
        # botocore retries read timeouts in every retry mode; one attempt keeps a call within its time budget.
        assert client.meta.config.retries["total_max_attempts"] == 1

    def test_the_default_models_start_with_an_active_one_through_its_inference_profile(self):
        assert DEFAULT_MODEL_IDS[0] == "us.stability.stable-image-inpaint-v1:0"
        assert not {TITAN, NOVA} & set(DEFAULT_MODEL_IDS), "end of life in 2026: no longer defaults"
        BedrockImageGenerator(DEFAULT_MODEL_IDS, FakeBedrockRuntime())  # every default has a known request format


class TestGenerate:
    def test_first_model_answers(self, image, person_mask):
        fake = FakeBedrockRuntime({TITAN: titan_ok()})

        result = BedrockImageGenerator(ALL_MODELS, fake).generate(image, person_mask, THEME, 7)

        assert fake.models_called == [TITAN]
        call = fake.calls[0]
        assert call["contentType"] == "application/json"
        assert call["accept"] == "application/json"
        assert fake.body(0) == build_request(TITAN, image, person_mask, THEME, 7)
        assert result.size == image.size
        assert result.getpixel((0, 0)) == (20, 120, 40)

    def test_request_matches_the_real_invoke_model_shape(self, image, person_mask):
        client = boto3.client(
            "bedrock-runtime", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        answer = json.dumps(stability_ok()).encode()
        with Stubber(client) as stub:
            stub.add_response(
                "invoke_model",
                {"body": StreamingBody(io.BytesIO(answer), len(answer)), "contentType": "application/json"},
                expected_params={
                    "modelId": STABILITY,
                    "body": ANY,
                    "contentType": "application/json",
                    "accept": "application/json",
                },
            )

            result = BedrockImageGenerator([STABILITY], client).generate(image, person_mask, THEME, 7)

            stub.assert_no_pending_responses()
        assert result.getpixel((0, 0)) == (200, 180, 40)

    @pytest.mark.parametrize(
        "code", ["ValidationException", "ResourceNotFoundException", "AccessDeniedException", "ModelErrorException"]
    )
    def test_unavailable_or_failing_models_fall_over_in_order(self, code, image, person_mask):
        fake = FakeBedrockRuntime(
            {
                TITAN: client_error(code, "This model version has reached the end of its life."),
                NOVA: client_error(code),
                STABILITY: stability_ok(),
            }
        )

        result = BedrockImageGenerator(ALL_MODELS, fake).generate(image, person_mask, THEME, 7)

        assert fake.models_called == [TITAN, NOVA, STABILITY]
        assert "outPaintingParams" in fake.body(0) and "outPaintingParams" in fake.body(1)
        assert fake.body(2)["prompt"] == THEME.prompt
        assert result.getpixel((0, 0)) == (200, 180, 40)

    def test_configured_order_is_respected(self, image, person_mask):
        fake = FakeBedrockRuntime(
            {
                STABILITY: client_error("AccessDeniedException"),
                TITAN: client_error("ResourceNotFoundException"),
                NOVA: titan_ok(),
            }
        )

        BedrockImageGenerator([STABILITY, TITAN, NOVA], fake).generate(image, person_mask, THEME, 7)

        assert fake.models_called == [STABILITY, TITAN, NOVA]

    def test_no_model_left_is_model_unavailable(self, image, person_mask):
        fake = FakeBedrockRuntime(
            {
                TITAN: client_error("ValidationException"),
                NOVA: client_error("AccessDeniedException"),
                STABILITY: client_error("ResourceNotFoundException"),
            }
        )

        with pytest.raises(ModelUnavailable) as caught:
            BedrockImageGenerator(ALL_MODELS, fake).generate(image, person_mask, THEME, 7)

        assert fake.models_called == list(ALL_MODELS)
        assert "AccessDeniedException" in str(caught.value)

    def test_a_throttled_model_hands_over_to_the_next(self, image, person_mask):
        fake = FakeBedrockRuntime(
            {TITAN: client_error("ThrottlingException", "Too many requests", 429), NOVA: titan_ok()}
        )

        BedrockImageGenerator([TITAN, NOVA, STABILITY], fake).generate(image, person_mask, THEME, 7)

        assert fake.models_called == [TITAN, NOVA]

    def test_every_model_throttled_is_model_throttled(self, image, person_mask):
        throttled = client_error("ThrottlingException", "Too many requests", 429)
        fake = FakeBedrockRuntime({model_id: throttled for model_id in ALL_MODELS})

        with pytest.raises(ModelThrottled):
            BedrockImageGenerator(ALL_MODELS, fake).generate(image, person_mask, THEME, 7)

        assert fake.models_called == list(ALL_MODELS)

    def test_remaining_models_throttled_after_unavailable_ones_is_model_throttled(self, image, person_mask):
        fake = FakeBedrockRuntime(
            {
                TITAN: client_error("ResourceNotFoundException"),
                NOVA: client_error("ThrottlingException", status=429),
                STABILITY: client_error("ServiceUnavailableException", status=503),
            }
        )

        with pytest.raises(ModelThrottled):
            BedrockImageGenerator(ALL_MODELS, fake).generate(image, person_mask, THEME, 7)

    def test_input_content_filter_is_moderation_without_trying_other_models(self, image, person_mask):
        fake = FakeBedrockRuntime({TITAN: client_error("ValidationException", TITAN_INPUT_FILTER), NOVA: titan_ok()})

        with pytest.raises(ModerationRejected):
            BedrockImageGenerator([TITAN, NOVA], fake).generate(image, person_mask, THEME, 7)

        assert fake.models_called == [TITAN]

    def test_output_content_filter_is_moderation_without_trying_other_models(self, image, person_mask):
        fake = FakeBedrockRuntime(
            {
                NOVA: {
                    "images": [],
                    "error": "All of the generated images have been blocked by our content filters.",
                },
                STABILITY: stability_ok(),
            }
        )

        with pytest.raises(ModerationRejected):
            BedrockImageGenerator([NOVA, STABILITY], fake).generate(image, person_mask, THEME, 7)

        assert fake.models_called == [NOVA]

    def test_stability_filter_is_moderation(self, image, person_mask):
        fake = FakeBedrockRuntime(
            {STABILITY: {"images": [], "finish_reasons": ["Filter reason: input image"], "seeds": [7]}}
        )

        with pytest.raises(ModerationRejected):
            BedrockImageGenerator([STABILITY], fake).generate(image, person_mask, THEME, 7)

    def test_an_undecodable_answer_is_generation_failed(self, image, person_mask):
        fake = FakeBedrockRuntime({TITAN: {"images": ["AAAA"], "error": None}, NOVA: titan_ok()})

        with pytest.raises(GenerationFailed):
            BedrockImageGenerator([TITAN, NOVA], fake).generate(image, person_mask, THEME, 7)

    def test_a_read_timeout_hands_over_to_the_next_model_and_counts_as_transient(self, image, person_mask):
        timeout = ReadTimeoutError(endpoint_url="https://bedrock-runtime.us-east-1.amazonaws.com")
        fake = FakeBedrockRuntime({TITAN: timeout, NOVA: timeout})

        with pytest.raises(ModelThrottled):
            BedrockImageGenerator([TITAN, NOVA], fake).generate(image, person_mask, THEME, 7)

        assert fake.models_called == [TITAN, NOVA]

    @pytest.mark.parametrize("raw", [b"<html>502</html>", b"[1, 2]"])
    def test_a_body_that_is_not_a_json_object_is_generation_failed(self, raw, image, person_mask):
        fake = FakeBedrockRuntime({TITAN: raw})

        with pytest.raises(GenerationFailed):
            BedrockImageGenerator([TITAN], fake).generate(image, person_mask, THEME, 7)

    def test_a_model_error_falls_over_to_the_next_model_instead_of_ending_as_internal(self, image, person_mask):
        fake = FakeBedrockRuntime(
            {
                STABILITY: client_error("ModelErrorException", "The model failed to process the request.", 424),
                TITAN: titan_ok(),
            }
        )

        result = BedrockImageGenerator([STABILITY, TITAN], fake).generate(image, person_mask, THEME, 7)

        assert fake.models_called == [STABILITY, TITAN]
        assert result.getpixel((0, 0)) == (20, 120, 40)

    def test_every_model_failing_with_model_errors_is_model_unavailable(self, image, person_mask):
        fake = FakeBedrockRuntime(
            {model_id: client_error("ModelErrorException", status=424) for model_id in ALL_MODELS}
        )

        with pytest.raises(ModelUnavailable):
            BedrockImageGenerator(ALL_MODELS, fake).generate(image, person_mask, THEME, 7)

    def test_a_spent_quota_is_transient_like_throttling(self, image, person_mask):
        quota = client_error("ServiceQuotaExceededException", "Too many images for this account.", 400)
        fake = FakeBedrockRuntime({STABILITY: quota, TITAN: quota})

        with pytest.raises(ModelThrottled):
            BedrockImageGenerator([STABILITY, TITAN], fake).generate(image, person_mask, THEME, 7)

        assert fake.models_called == [STABILITY, TITAN]

    def test_an_unexpected_service_error_is_not_disguised(self, image, person_mask):
        fake = FakeBedrockRuntime({TITAN: client_error("UnrecognizedClientException", status=403)})

        with pytest.raises(ClientError):
            BedrockImageGenerator([TITAN, NOVA], fake).generate(image, person_mask, THEME, 7)

    def test_every_error_invoke_model_can_answer_is_classified(self, image, person_mask):
        """botocore's service model lists InvokeModel's errors: each one must lead somewhere deliberate."""
        model = botocore.session.get_session().get_service_model("bedrock-runtime")
        codes = [shape.name for shape in model.operation_model("InvokeModel").error_shapes]
        assert "ModelErrorException" in codes
        for code in codes:
            fake = FakeBedrockRuntime({STABILITY: client_error(code, "for the test"), TITAN: titan_ok()})
            BedrockImageGenerator([STABILITY, TITAN], fake).generate(image, person_mask, THEME, 7)
            assert fake.models_called == [STABILITY, TITAN], code

    def test_an_image_of_another_size_is_resized_to_the_input(self, image, person_mask):
        fake = FakeBedrockRuntime({STABILITY: stability_ok((1024, 1024))})

        result = BedrockImageGenerator([STABILITY], fake).generate(image, person_mask, THEME, 7)

        assert result.size == image.size
        assert result.mode == "RGB"

    def test_logs_name_the_model_and_outcome_but_never_the_prompt_or_image(self, image, person_mask, caplog):
        answer = titan_ok()
        fake = FakeBedrockRuntime({TITAN: client_error("AccessDeniedException"), NOVA: answer})
        caplog.set_level(logging.DEBUG, logger="photobooth.aws.bedrock")
        # Powertools' Logger(service="photobooth") stops propagation at "photobooth" once a handler module is
        # loaded, so listen on the module's own logger rather than on the root.
        module_logger = logging.getLogger("photobooth.aws.bedrock")
        module_logger.addHandler(caplog.handler)
        try:
            BedrockImageGenerator([TITAN, NOVA], fake).generate(image, person_mask, THEME, 7)
        finally:
            module_logger.removeHandler(caplog.handler)

        records = [r for r in caplog.records if r.name.startswith("photobooth")]
        assert records, "the generator should log its outcome"
        logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in records)
        assert TITAN in logged and NOVA in logged
        assert "AccessDeniedException" in logged
        assert "for the test" in logged, "the service's message tells the operator why the model was skipped"
        sent = fake.body(1)
        for secret in (
            THEME.prompt,
            THEME.negative_prompt,
            answer["images"][0][:40],
            sent["outPaintingParams"]["image"][:40],
            sent["outPaintingParams"]["maskImage"][:40],
        ):
            assert secret not in logged


class SlowBedrockRuntime(FakeBedrockRuntime):
    """Every call times out after ``seconds`` of a fake clock (what a Lambda's remaining time would show)."""

    def __init__(self, clock: list[float], seconds: float) -> None:
        super().__init__()
        self.clock = clock
        self.seconds = seconds

    def invoke_model(self, **kwargs):
        self.calls.append(kwargs)
        self.clock[0] -= self.seconds
        raise ReadTimeoutError(endpoint_url="https://bedrock-runtime.us-east-1.amazonaws.com")


class TestTimeBudget:
    """The generate function has 180 s; three models timing out after 60 s each would outlast it."""

    def test_no_model_is_started_that_could_not_finish_in_time(self, image, person_mask):
        remaining = [175.0]
        fake = SlowBedrockRuntime(remaining, seconds=65)
        generator = BedrockImageGenerator(ALL_MODELS, fake, read_timeout=60, reserve_seconds=15)

        with pytest.raises(GenerationOutOfTime) as caught:
            generator.with_time_budget(lambda: remaining[0]).generate(image, person_mask, THEME, 7)

        # 175 s: first call (needs 5 + 60 + 15 = 80); 110 s: second; 45 s: the third is not started.
        assert fake.models_called == [TITAN, NOVA]
        assert STABILITY in str(caught.value)

    def test_too_little_time_from_the_start_calls_no_model(self, image, person_mask):
        fake = FakeBedrockRuntime({TITAN: titan_ok()})
        generator = BedrockImageGenerator([TITAN], fake, read_timeout=60, reserve_seconds=15)

        with pytest.raises(GenerationOutOfTime):
            generator.with_time_budget(lambda: 79.0).generate(image, person_mask, THEME, 7)

        assert fake.calls == []

    def test_enough_time_changes_nothing(self, image, person_mask):
        fake = FakeBedrockRuntime({TITAN: client_error("ResourceNotFoundException"), NOVA: titan_ok()})
        generator = BedrockImageGenerator([TITAN, NOVA], fake, read_timeout=60, reserve_seconds=15)

        generator.with_time_budget(lambda: 80.0).generate(image, person_mask, THEME, 7)

        assert fake.models_called == [TITAN, NOVA]

    def test_each_invocation_gets_its_own_budget_and_shares_the_client(self, monkeypatch, image, person_mask):
        created: list[str] = []
        fake = FakeBedrockRuntime({TITAN: titan_ok()})
        monkeypatch.setattr(bedrock_module.boto3, "client", lambda service, **_: created.append(service) or fake)
        generator = BedrockImageGenerator([TITAN])

        short = generator.with_time_budget(lambda: 10.0)
        long = generator.with_time_budget(lambda: 170.0)
        long.generate(image, person_mask, THEME, 7)

        assert created == ["bedrock-runtime"]
        assert short.client is long.client is generator.client
        assert generator.remaining_seconds is None
        with pytest.raises(GenerationOutOfTime):
            short.generate(image, person_mask, THEME, 7)

    def test_the_generate_function_passes_the_lambdas_remaining_time(self, monkeypatch, image, person_mask):
        from photobooth import wiring

        generator = BedrockImageGenerator([TITAN], FakeBedrockRuntime({TITAN: titan_ok()}))
        monkeypatch.setattr(wiring, "image_generator", lambda: generator)

        bounded = wiring.image_generator_within(lambda: 42_000)

        assert isinstance(bounded, BedrockImageGenerator)
        assert bounded.remaining_seconds is not None and bounded.remaining_seconds() == 42.0
        with pytest.raises(GenerationOutOfTime):
            bounded.generate(image, person_mask, THEME, 7)

    def test_offline_generators_get_no_budget(self, monkeypatch):
        from photobooth import wiring

        offline = object()
        monkeypatch.setattr(wiring, "image_generator", lambda: offline)

        assert wiring.image_generator_within(lambda: 1) is offline
