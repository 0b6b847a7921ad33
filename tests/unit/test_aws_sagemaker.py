"""SamEndpointSegmenter: one InvokeEndpoint call for all boxes, mask polarity flipped to 255 = person."""

from __future__ import annotations

import base64
import io
import json

import boto3
import numpy as np
import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, ReadTimeoutError
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from PIL import Image

from photobooth.aws import sagemaker as sagemaker_module
from photobooth.aws.sagemaker import SamEndpointSegmenter
from photobooth.errors import ErrorCode, PhotoboothError, SegmentationRejected, SegmentationUnavailable
from photobooth.models import Box
from tests.support import portraits

ENDPOINT = "photobooth-sam"


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def endpoint_mask(size: tuple[int, int], person: tuple[int, int, int, int]) -> bytes:
    """What the endpoint answers: the person black on a white background."""
    mask = Image.new("L", size, 255)
    mask.paste(0, person)
    return json.dumps({"mask_image": base64.b64encode(png(mask)).decode("ascii")}).encode()


def client_error(code: str, status: int, **fields: object) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": "for the test"},
            "ResponseMetadata": {"HTTPStatusCode": status},
            **fields,
        },
        "InvokeEndpoint",
    )


class FakeSageMakerRuntime:
    def __init__(self, answer: bytes | Exception) -> None:
        self.answer = answer
        self.calls: list[dict] = []

    def invoke_endpoint(self, **kwargs):
        self.calls.append(kwargs)
        if isinstance(self.answer, Exception):
            raise self.answer
        return {"Body": io.BytesIO(self.answer), "ContentType": "application/json"}


def sent_body(fake: FakeSageMakerRuntime) -> dict:
    [call] = fake.calls
    return json.loads(call["Body"])


class TestRequest:
    def test_one_box_is_sent_as_one_flat_box(self):
        image = portraits.astronaut()
        fake = FakeSageMakerRuntime(endpoint_mask(image.size, (150, 40, 330, 300)))

        SamEndpointSegmenter(ENDPOINT, fake).segment(image, [Box(x0=170, y0=40, x1=310, y1=220)])

        [call] = fake.calls
        assert {k: v for k, v in call.items() if k != "Body"} == {
            "EndpointName": ENDPOINT,
            "ContentType": "application/json",
            "Accept": "application/json",
        }
        body = json.loads(call["Body"])
        assert set(body) == {"encode_image", "input_box"}
        assert body["input_box"] == [170, 40, 310, 220]
        sent = Image.open(io.BytesIO(base64.b64decode(body["encode_image"])))
        assert sent.format == "PNG"
        assert np.array_equal(np.asarray(sent.convert("RGB")), np.asarray(image))

    def test_several_boxes_go_in_one_call_as_a_list_of_boxes(self):
        image = portraits.group_of_two()
        fake = FakeSageMakerRuntime(endpoint_mask(image.size, (100, 50, 400, 512)))
        boxes = [Box(x0=140, y0=50, x1=330, y1=256), Box(x0=616, y0=25, x1=806, y1=282)]

        SamEndpointSegmenter(ENDPOINT, fake).segment(image, boxes)

        assert sent_body(fake)["input_box"] == [[140, 50, 330, 256], [616, 25, 806, 282]]

    def test_request_matches_the_real_invoke_endpoint_shape(self):
        image = portraits.astronaut()
        answer = endpoint_mask(image.size, (150, 40, 330, 300))
        client = boto3.client(
            "sagemaker-runtime", region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        with Stubber(client) as stub:
            stub.add_response(
                "invoke_endpoint",
                {"Body": StreamingBody(io.BytesIO(answer), len(answer)), "ContentType": "application/json"},
                expected_params={
                    "EndpointName": ENDPOINT,
                    "ContentType": "application/json",
                    "Accept": "application/json",
                    "Body": ANY,
                },
            )

            mask = SamEndpointSegmenter(ENDPOINT, client).segment(image, [Box(x0=170, y0=40, x1=310, y1=220)])

        assert mask.shape == (512, 512)

    def test_no_box_is_a_programming_error(self):
        with pytest.raises(ValueError):
            SamEndpointSegmenter(ENDPOINT, FakeSageMakerRuntime(b"")).segment(portraits.astronaut(), [])


class TestMask:
    def test_black_person_on_white_becomes_255_person_on_0(self):
        image = portraits.astronaut()  # 512 x 512
        fake = FakeSageMakerRuntime(endpoint_mask(image.size, (150, 40, 330, 300)))

        mask = SamEndpointSegmenter(ENDPOINT, fake).segment(image, [Box(x0=170, y0=40, x1=310, y1=220)])

        expected = np.zeros((512, 512), dtype=np.uint8)
        expected[40:300, 150:330] = 255
        assert mask.dtype == np.uint8
        assert np.array_equal(mask, expected)

    def test_a_mask_of_another_size_is_resized_to_the_image(self):
        image = portraits.group_of_two()  # 948 x 512
        fake = FakeSageMakerRuntime(endpoint_mask((474, 256), (50, 25, 200, 256)))

        mask = SamEndpointSegmenter(ENDPOINT, fake).segment(image, [Box(x0=140, y0=50, x1=330, y1=256)])

        assert mask.shape == (512, 948)
        assert set(np.unique(mask)) == {0, 255}
        assert mask[256, 200] == 255 and mask[511, 398] == 255
        assert mask[10, 10] == 0 and mask[256, 500] == 0


class TestErrors:
    @pytest.mark.parametrize(
        "error",
        [
            pytest.param(client_error("ThrottlingException", 400), id="throttling"),
            pytest.param(client_error("ModelNotReadyException", 429), id="model not ready"),
            pytest.param(client_error("ServiceUnavailable", 503), id="service unavailable"),
            pytest.param(client_error("InternalFailure", 500), id="internal failure"),
            pytest.param(client_error("ModelError", 424, OriginalStatusCode=500), id="container 500"),
            pytest.param(client_error("SomethingNew", 502), id="any 5xx"),
            pytest.param(client_error("ModelError", 424), id="container timeout (no original status)"),
            pytest.param(ReadTimeoutError(endpoint_url="https://runtime.sagemaker"), id="read timeout"),
            pytest.param(ConnectTimeoutError(endpoint_url="https://runtime.sagemaker"), id="connect timeout"),
        ],
    )
    def test_busy_or_failing_endpoint_is_transient(self, error):
        fake = FakeSageMakerRuntime(error)

        with pytest.raises(SegmentationUnavailable):
            SamEndpointSegmenter(ENDPOINT, fake).segment(portraits.astronaut(), [Box(x0=1, y0=1, x1=9, y1=9)])

    def test_container_5xx_is_recognised_from_a_real_model_error(self):
        client = boto3.client(
            "sagemaker-runtime", region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        with Stubber(client) as stub:
            stub.add_client_error(
                "invoke_endpoint",
                service_error_code="ModelError",
                http_status_code=424,
                modeled_fields={"OriginalStatusCode": 503},
            )

            with pytest.raises(SegmentationUnavailable):
                SamEndpointSegmenter(ENDPOINT, client).segment(portraits.astronaut(), [Box(x0=1, y0=1, x1=9, y1=9)])

    @pytest.mark.parametrize(
        "error",
        [
            pytest.param(client_error("ModelError", 424, OriginalStatusCode=400), id="container 400"),
            pytest.param(client_error("ModelError", 424, OriginalStatusCode=413), id="container 413"),
            pytest.param(client_error("ValidationError", 400), id="validation"),
        ],
    )
    def test_rejected_requests_are_permanent_not_retried(self, error):
        fake = FakeSageMakerRuntime(error)

        with pytest.raises(SegmentationRejected):
            SamEndpointSegmenter(ENDPOINT, fake).segment(portraits.astronaut(), [Box(x0=1, y0=1, x1=9, y1=9)])

    def test_container_4xx_is_recognised_from_a_real_model_error(self):
        client = boto3.client(
            "sagemaker-runtime", region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        with Stubber(client) as stub:
            stub.add_client_error(
                "invoke_endpoint",
                service_error_code="ModelError",
                http_status_code=424,
                modeled_fields={"OriginalStatusCode": 400, "OriginalMessage": "bad input_box"},
            )

            with pytest.raises(SegmentationRejected):
                SamEndpointSegmenter(ENDPOINT, client).segment(portraits.astronaut(), [Box(x0=1, y0=1, x1=9, y1=9)])

    def test_an_unexpected_error_is_not_disguised(self):
        fake = FakeSageMakerRuntime(client_error("AccessDeniedException", 403))

        with pytest.raises(ClientError):
            SamEndpointSegmenter(ENDPOINT, fake).segment(portraits.astronaut(), [Box(x0=1, y0=1, x1=9, y1=9)])

    @pytest.mark.parametrize(
        "answer",
        [
            pytest.param(b"<html>oops</html>", id="not json"),
            pytest.param(b"[]", id="not an object"),
            pytest.param(b'{"masks": []}', id="no mask_image"),
            pytest.param(b'{"mask_image": "***"}', id="not base64"),
            pytest.param(json.dumps({"mask_image": base64.b64encode(b"not a png").decode()}).encode(), id="not png"),
        ],
    )
    def test_malformed_answers_are_internal_errors(self, answer):
        fake = FakeSageMakerRuntime(answer)

        with pytest.raises(PhotoboothError) as caught:
            SamEndpointSegmenter(ENDPOINT, fake).segment(portraits.astronaut(), [Box(x0=1, y0=1, x1=9, y1=9)])

        assert type(caught.value) is PhotoboothError
        assert caught.value.code is ErrorCode.INTERNAL


def test_the_client_is_created_on_first_use_only(monkeypatch):
    image = portraits.astronaut()
    created: list[str] = []
    fake = FakeSageMakerRuntime(endpoint_mask(image.size, (10, 10, 20, 20)))

    def fake_client(service, **kwargs):
        created.append(service)
        return fake

    monkeypatch.setattr(sagemaker_module.boto3, "client", fake_client)
    segmenter = SamEndpointSegmenter(ENDPOINT)
    assert created == []

    segmenter.segment(image, [Box(x0=10, y0=10, x1=20, y1=20)])

    assert created == ["sagemaker-runtime"]


def test_the_client_waits_70_s_and_never_retries_by_itself():
    # SageMaker gives the container 60 s; a botocore retry of a read timeout would double the segment step's wait.
    client = SamEndpointSegmenter(ENDPOINT).client

    assert client.meta.config.read_timeout == 70
    assert client.meta.config.connect_timeout <= 10
    assert client.meta.config.retries["total_max_attempts"] == 1
