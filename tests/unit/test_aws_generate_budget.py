"""The generate function gives the Bedrock generator the Lambda's remaining time (defect: a Lambda timeout while a
third model was still being tried ended the image as INTERNAL)."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from PIL import Image

from photobooth import imaging, wiring
from photobooth.aws.bedrock import BedrockImageGenerator
from photobooth.errors import GenerationOutOfTime
from photobooth.local.engine import lambda_context, load_handler
from photobooth.offline.moderation import NoModeration
from tests.support.fakes import MemoryObjectStore, MemoryStatusStore

REQUEST_ID = "req-00000001"
MODEL = "us.stability.stable-image-inpaint-v1:0"


class PaintingBedrock:
    def __init__(self) -> None:
        self.calls = 0

    def invoke_model(self, *, body, **_):
        self.calls += 1
        size = Image.open(io.BytesIO(base64.b64decode(json.loads(body)["image"]))).size
        buffer = io.BytesIO()
        Image.new("RGB", size, (10, 200, 10)).save(buffer, format="PNG")
        answer = {"seeds": [1], "finish_reasons": [None], "images": [base64.b64encode(buffer.getvalue()).decode()]}
        return {"body": io.BytesIO(json.dumps(answer).encode())}


@pytest.fixture
def booth(monkeypatch):
    store, status = MemoryObjectStore(), MemoryStatusStore()
    image = Image.new("RGB", (256, 192), (120, 120, 120))
    mask = np.zeros((192, 256), dtype=np.uint8)
    mask[40:160, 90:170] = 255
    store.put(f"photo/{REQUEST_ID}/me.jpg", imaging.encode_jpeg(image), "image/jpeg")  # pasted back from
    store.put(f"work/{REQUEST_ID}/input.tiff", imaging.encode_working_image(image), "image/tiff")
    store.put(f"work/{REQUEST_ID}/mask.png", imaging.encode_mask_png(mask), "image/png")
    status.create_pending({"requestId": REQUEST_ID, "status": "PROCESSING"})
    bedrock = PaintingBedrock()
    monkeypatch.setattr(wiring, "object_store", lambda: store)
    monkeypatch.setattr(wiring, "status_store", lambda: status)
    monkeypatch.setattr(wiring, "image_generator", lambda: BedrockImageGenerator([MODEL], bedrock))
    monkeypatch.setattr(wiring, "moderator", NoModeration)
    return bedrock


def invoke(remaining_ms: int) -> dict:
    context = lambda_context("photobooth-generate")
    context.get_remaining_time_in_millis = lambda: remaining_ms
    event = {
        "requestId": REQUEST_ID,
        "bucket": "b",
        "key": f"photo/{REQUEST_ID}/me.jpg",
        "theme": "forest",
        "index": 1,
        "inputKey": f"work/{REQUEST_ID}/input.tiff",
        "maskKey": f"work/{REQUEST_ID}/mask.png",
        "contentWidth": 256,
        "contentHeight": 192,
    }
    result: dict = load_handler("generate")(event, context)
    return result


def test_with_time_left_the_image_is_made(booth):
    assert invoke(170_000)["status"] == "SUCCEEDED"
    assert booth.calls == 1


def test_without_time_for_a_model_call_no_model_is_started(booth):
    with pytest.raises(GenerationOutOfTime):
        invoke(50_000)

    assert booth.calls == 0
