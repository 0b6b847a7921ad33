"""Every AWS call the runtime adapters make, run against botocore's own service models.

moto accepts whatever it is sent; botocore's ``Stubber`` does not: the real client validates each call's parameter
names and types against the service model before the Stubber answers, and ``expected_params`` pins the values.
Each test runs the adapter's real code against a real (stubbed, offline) client.
"""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import jsonschema
import numpy as np
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from PIL import Image

from photobooth import wiring
from photobooth.aws.bedrock import BedrockImageGenerator, build_request
from photobooth.aws.rekognition import RekognitionFaceDetector
from photobooth.aws.s3 import S3ObjectStore, regional_client
from photobooth.aws.sagemaker import SamEndpointSegmenter
from photobooth.aws.stepfunctions import StepFunctionsStarter
from photobooth.models import Box, Theme
from tests.support import portraits

BUCKET = "photobooth-123456789012-eu-central-1"
SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "bedrock_schemas"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def client(service: str, region: str = "eu-central-1"):
    return boto3.client(service, region_name=region, **CREDENTIALS)


def streaming(data: bytes) -> StreamingBody:
    return StreamingBody(io.BytesIO(data), len(data))


def png(colour: tuple[int, int, int], size: tuple[int, int]) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


class TestS3ObjectStore:
    def test_get(self):
        s3 = client("s3")
        with Stubber(s3) as stub:
            stub.add_response(
                "get_object",
                {"Body": streaming(b"bytes")},
                expected_params={"Bucket": BUCKET, "Key": "work/r/in.png"},
            )

            assert S3ObjectStore(BUCKET, s3).get("work/r/in.png") == b"bytes"

    def test_head_size(self):
        s3 = client("s3")
        with Stubber(s3) as stub:
            stub.add_response(
                "head_object", {"ContentLength": 1234}, expected_params={"Bucket": BUCKET, "Key": "photo/r/me.jpg"}
            )

            assert S3ObjectStore(BUCKET, s3).head_size("photo/r/me.jpg") == 1234

    def test_put(self):
        s3 = client("s3")
        with Stubber(s3) as stub:
            stub.add_response(
                "put_object",
                {},
                expected_params={
                    "Bucket": BUCKET,
                    "Key": "generated/r/photo_me_1.jpeg",
                    "Body": b"jpeg",
                    "ContentType": "image/jpeg",
                },
            )

            S3ObjectStore(BUCKET, s3).put("generated/r/photo_me_1.jpeg", b"jpeg", "image/jpeg")

            stub.assert_no_pending_responses()

    def test_list_keys_follows_every_page(self):
        s3 = client("s3")
        with Stubber(s3) as stub:
            stub.add_response(
                "list_objects_v2",
                {"Contents": [{"Key": "work/r/a"}], "IsTruncated": True, "NextContinuationToken": "next"},
                expected_params={"Bucket": BUCKET, "Prefix": "work/r/"},
            )
            stub.add_response(
                "list_objects_v2",
                {"Contents": [{"Key": "work/r/b"}], "IsTruncated": False},
                expected_params={"Bucket": BUCKET, "Prefix": "work/r/", "ContinuationToken": "next"},
            )

            assert S3ObjectStore(BUCKET, s3).list_keys("work/r/") == ["work/r/a", "work/r/b"]

    def test_delete_keys_in_batches_of_1000(self):
        keys = [f"generated/r/{i}" for i in range(1001)]
        s3 = client("s3")
        with Stubber(s3) as stub:
            for batch in (keys[:1000], keys[1000:]):
                stub.add_response(
                    "delete_objects",
                    {},
                    expected_params={
                        "Bucket": BUCKET,
                        "Delete": {"Objects": [{"Key": key} for key in batch], "Quiet": True},
                    },
                )

            S3ObjectStore(BUCKET, s3).delete_keys(keys)

            stub.assert_no_pending_responses()


class TestPresignedUrls:
    """A new bucket outside us-east-1 answers its global hostname with a 307 that a CORS preflight cannot follow."""

    @pytest.mark.parametrize("region", ["us-west-2", "eu-central-1", "us-east-1"])
    def test_urls_name_the_regional_virtual_hosted_endpoint(self, region, monkeypatch):
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        store = S3ObjectStore(BUCKET, regional_client(region))

        for url in (store.presign_put("photo/r/me.jpg", "image/jpeg", 300), store.presign_get("generated/r/x", 60)):
            parts = urlsplit(url)
            assert parts.scheme == "https"
            assert parts.hostname == f"{BUCKET}.s3.{region}.amazonaws.com"
            assert "X-Amz-Credential=testing%2F" in parts.query and f"%2F{region}%2Fs3%2F" in parts.query

    @pytest.mark.parametrize("region", ["us-west-2", "eu-central-1"])
    def test_the_deployed_wiring_signs_for_the_functions_region(self, region, monkeypatch):
        monkeypatch.setenv("AWS_DEFAULT_REGION", region)
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("PHOTOBOOTH_BUCKET_NAME", BUCKET)
        monkeypatch.delenv("PHOTOBOOTH_S3_PUBLIC_ENDPOINT", raising=False)
        wiring.reset()
        try:
            url = wiring.object_store().presign_put("photo/r/me.jpg", "image/jpeg", 300)
        finally:
            wiring.reset()

        assert urlsplit(url).hostname == f"{BUCKET}.s3.{region}.amazonaws.com"

    def test_the_local_server_keeps_path_style_urls_on_its_own_port(self, monkeypatch):
        monkeypatch.setenv("PHOTOBOOTH_BUCKET_NAME", "photobooth-local")
        monkeypatch.setenv("PHOTOBOOTH_S3_PUBLIC_ENDPOINT", "http://127.0.0.1:8123")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        wiring.reset()
        try:
            url = wiring.object_store().presign_put("photo/r/me.jpg", "image/jpeg", 300)
        finally:
            wiring.reset()

        parts = urlsplit(url)
        assert (parts.hostname, parts.port) == ("127.0.0.1", 8123)
        assert parts.path == "/photobooth-local/photo/r/me.jpg"


class TestRekognition:
    def test_detect_faces_and_labels(self):
        rekognition = client("rekognition")
        image = portraits.astronaut()
        with Stubber(rekognition) as stub:
            stub.add_response(
                "detect_faces",
                {
                    "FaceDetails": [
                        {"BoundingBox": {"Left": 0.3, "Top": 0.1, "Width": 0.3, "Height": 0.4}, "Confidence": 99.5}
                    ]
                },
                expected_params={"Image": {"Bytes": ANY}, "Attributes": ["DEFAULT"]},
            )
            stub.add_response(
                "detect_labels",
                {"Labels": []},
                expected_params={
                    "Image": {"Bytes": ANY},
                    "MinConfidence": 70.0,
                    "Settings": {"GeneralLabels": {"LabelInclusionFilters": ["Glasses", "Sunglasses"]}},
                },
            )
            detector = RekognitionFaceDetector(rekognition)

            faces = detector.detect_faces(image)
            detector.detect_eyewear(image)

            stub.assert_no_pending_responses()
        assert len(faces) == 1


class TestBedrock:
    THEME = Theme(name="forest", prompt="an enchanted forest", negative_prompt="text, watermark")

    @pytest.mark.parametrize(
        ("model_id", "request_schema", "answer"),
        [
            (
                "us.stability.stable-image-inpaint-v1:0",
                "stability-image-inpaint.request.json",
                lambda size: {"seeds": [7], "finish_reasons": [None], "images": [png((1, 2, 3), size)]},
            ),
            (
                "amazon.titan-image-generator-v2:0",
                "titan-image-generator-outpainting.request.json",
                lambda size: {"images": [png((1, 2, 3), size)], "error": None},
            ),
            (
                "amazon.nova-canvas-v1:0",
                "nova-canvas-outpainting.request.json",
                lambda size: {"images": [png((1, 2, 3), size)], "error": None},
            ),
        ],
    )
    def test_invoke_model_for_each_family(self, model_id, request_schema, answer):
        bedrock = client("bedrock-runtime", "us-west-2")
        image = portraits.astronaut()
        mask = np.zeros((image.height, image.width), dtype=np.uint8)
        mask[100:400, 150:350] = 255
        body = build_request(model_id, image, mask, self.THEME, 7)
        jsonschema.validate(body, json.loads((SCHEMAS / request_schema).read_text()))
        raw = json.dumps(answer(image.size)).encode()
        with Stubber(bedrock) as stub:
            stub.add_response(
                "invoke_model",
                {"body": streaming(raw), "contentType": "application/json"},
                expected_params={
                    "modelId": model_id,
                    "body": json.dumps(body).encode(),
                    "contentType": "application/json",
                    "accept": "application/json",
                },
            )

            result = BedrockImageGenerator([model_id], bedrock).generate(image, mask, self.THEME, 7)

            stub.assert_no_pending_responses()
        assert result.getpixel((0, 0)) == (1, 2, 3)


class TestSageMaker:
    def test_invoke_endpoint(self):
        runtime = client("sagemaker-runtime")
        image = portraits.astronaut()
        mask = Image.new("L", image.size, 255)
        buffer = io.BytesIO()
        mask.save(buffer, format="PNG")
        answer = json.dumps({"mask_image": base64.b64encode(buffer.getvalue()).decode()}).encode()
        with Stubber(runtime) as stub:
            stub.add_response(
                "invoke_endpoint",
                {"Body": streaming(answer), "ContentType": "application/json"},
                expected_params={
                    "EndpointName": "photobooth-sam",
                    "ContentType": "application/json",
                    "Accept": "application/json",
                    "Body": ANY,
                },
            )

            SamEndpointSegmenter("photobooth-sam", runtime).segment(image, [Box(x0=10, y0=10, x1=50, y1=60)])

            stub.assert_no_pending_responses()


class TestStepFunctions:
    ARN = "arn:aws:states:eu-central-1:123456789012:stateMachine:photobooth"

    def test_start_execution_is_named_after_the_request(self):
        sfn = client("stepfunctions")
        event = {"detail": {"bucket": {"name": BUCKET}, "object": {"key": "photo/r/me.jpg"}}}
        with Stubber(sfn) as stub:
            stub.add_response(
                "start_execution",
                {"executionArn": f"{self.ARN}:req-12345678", "startDate": "2026-11-30T10:00:00Z"},
                expected_params={"stateMachineArn": self.ARN, "name": "req-12345678", "input": json.dumps(event)},
            )

            StepFunctionsStarter(self.ARN, sfn).start("req-12345678", event)

            stub.assert_no_pending_responses()

    def test_starting_twice_is_harmless(self):
        sfn = client("stepfunctions")
        with Stubber(sfn) as stub:
            stub.add_client_error(
                "start_execution", service_error_code="ExecutionAlreadyExists", http_status_code=400
            )

            StepFunctionsStarter(self.ARN, sfn).start("req-12345678", {})

            stub.assert_no_pending_responses()


def test_the_stubbed_clients_really_validate_calls_against_the_service_model():
    from botocore.exceptions import ParamValidationError

    s3 = client("s3")
    with Stubber(s3) as stub:
        stub.add_response("put_object", {})

        with pytest.raises(ParamValidationError):
            s3.put_object(Bucket=BUCKET, Key="k", Body=b"x", ContentTyp="image/jpeg")
