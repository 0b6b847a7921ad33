"""The optional Bedrock upscaler (Stability's Fast Upscale): its request against botocore's model, its limits, and its
fallback to Lanczos. Request and answer shapes: Bedrock user guide, "Stable Image Fast Upscale" model card and
"Stability AI Image Services" (https://docs.aws.amazon.com/bedrock/latest/userguide/stable-image-services.html)."""

from __future__ import annotations

import base64
import io
import json

import boto3
import numpy as np
import pytest
from botocore.stub import ANY, Stubber
from PIL import Image

from photobooth import imaging, pipeline, wiring
from photobooth.aws.upscale import BedrockFastUpscaler, build_request, fit_input
from photobooth.config import Settings
from photobooth.offline.upscale import LanczosUpscaler


def _png(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture
def stubbed():
    client = boto3.client(
        "bedrock-runtime", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )
    with Stubber(client) as stub:
        yield BedrockFastUpscaler(client=client), stub
        stub.assert_no_pending_responses()


def _answer(image: Image.Image) -> dict:
    body = json.dumps({"seeds": [1], "finish_reasons": [None], "images": [_png(image)]}).encode()
    from botocore.response import StreamingBody

    return {"body": StreamingBody(io.BytesIO(body), len(body)), "contentType": "application/json"}


def test_the_background_is_sent_once_and_the_4x_answer_is_resampled_to_the_print_size(stubbed):
    upscaler, stub = stubbed
    background = Image.new("RGB", (1024, 768), (10, 120, 200))
    stub.add_response(
        "invoke_model",
        _answer(Image.new("RGB", (4096, 3072), (10, 120, 200))),
        expected_params={
            "modelId": "us.stability.stable-fast-upscale-v1:0",
            "body": ANY,
            "contentType": "application/json",
            "accept": "application/json",
        },
    )

    grown = upscaler.upscale(background, (2048, 1536))

    assert grown.size == (2048, 1536) and grown.getpixel((100, 100)) == (10, 120, 200)


def test_the_request_has_only_the_image_and_the_format():
    body = build_request(Image.new("RGB", (1024, 768)))

    assert set(body) == {"image", "output_format"} and body["output_format"] == "png"
    assert Image.open(io.BytesIO(base64.b64decode(body["image"]))).size == (1024, 768)


@pytest.mark.parametrize(("size", "expected"), [((1024, 1024), (1024, 1024)), ((2000, 1000), (1448, 724))])
def test_the_input_fits_the_services_limits(size, expected):
    fitted = fit_input(Image.new("RGB", size))

    assert fitted.size == expected
    assert fitted.width * fitted.height <= 1_048_576 and max(fitted.size) <= 1536


@pytest.mark.parametrize(
    "failure",
    [
        {"service_error_code": "AccessDeniedException", "service_message": "not subscribed", "http_status_code": 403},
        {"service_error_code": "ThrottlingException", "service_message": "slow down", "http_status_code": 429},
    ],
)
def test_a_refusal_falls_back_to_lanczos_and_names_the_reason(stubbed, failure, caplog):
    upscaler, stub = stubbed
    stub.add_client_error("invoke_model", **failure)
    background = Image.new("RGB", (512, 384), (200, 30, 30))

    grown = upscaler.upscale(background, (1024, 768))

    assert grown.size == (1024, 768) and grown.getpixel((10, 10)) == (200, 30, 30)
    assert failure["service_message"] in caplog.text and failure["service_error_code"] in caplog.text


def test_nothing_to_grow_costs_no_call(stubbed):
    upscaler, _ = stubbed  # no response queued: a call would fail the test

    assert upscaler.upscale(Image.new("RGB", (1024, 768)), (1024, 768)).size == (1024, 768)


def test_the_wiring_chooses_the_upscaler_from_settings(monkeypatch):
    assert isinstance(wiring.upscaler(), LanczosUpscaler)
    monkeypatch.setenv("PHOTOBOOTH_UPSCALER", "bedrock")
    wiring.reset()
    assert isinstance(wiring.upscaler(), BedrockFastUpscaler)
    monkeypatch.setenv("PHOTOBOOTH_BACKEND", "offline")
    wiring.reset()
    assert isinstance(wiring.upscaler(), LanczosUpscaler)


def test_the_print_result_grows_the_background_with_the_configured_upscaler():
    class Recording:
        def __init__(self) -> None:
            self.sizes: list[tuple[int, int]] = []

        def upscale(self, image, size):
            self.sizes.append(size)
            return imaging.upscale(image, size)

    original = Image.new("RGB", (3000, 2000), (90, 90, 90))
    mask = np.zeros((683, 1024), np.uint8)
    mask[200:400, 400:600] = 255
    recording = Recording()

    result = pipeline._print_result(
        imaging.encode_jpeg(original), Image.new("RGB", (1024, 683)), mask, Settings(backend="offline"), recording
    )

    assert recording.sizes == [result.size] and max(result.size) == 2048
