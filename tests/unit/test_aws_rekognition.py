"""RekognitionFaceDetector: exact requests, pixel boxes, every face kept, eyewear threshold on the 0-100 scale."""

from __future__ import annotations

import io

import boto3
import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from botocore.stub import ANY, Stubber
from PIL import Image

from photobooth.aws import rekognition as rekognition_module
from photobooth.aws.rekognition import RekognitionFaceDetector
from photobooth.errors import FaceDetectionUnavailable, ImageTooLarge, InvalidImage
from photobooth.models import Box, Face
from tests.support import portraits


def client_error(code: str, operation: str, status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": f"{code} for the test"}, "ResponseMetadata": {"HTTPStatusCode": status}},
        operation,
    )


class FakeRekognition:
    """Records each call's keyword arguments and answers from a queue (an exception is raised)."""

    def __init__(self, **answers: dict | Exception) -> None:
        self.answers = answers
        self.calls: list[tuple[str, dict]] = []

    def _answer(self, operation: str, kwargs: dict) -> dict:
        self.calls.append((operation, kwargs))
        answer = self.answers[operation]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def detect_faces(self, **kwargs):
        return self._answer("detect_faces", kwargs)

    def detect_labels(self, **kwargs):
        return self._answer("detect_labels", kwargs)


def real_client():
    return boto3.client(
        "rekognition", region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )


def face_detail(left: float, top: float, width: float, height: float, confidence: float) -> dict:
    return {"BoundingBox": {"Left": left, "Top": top, "Width": width, "Height": height}, "Confidence": confidence}


def label(name: str, *instances: tuple[float, dict]) -> dict:
    return {
        "Name": name,
        "Confidence": 99.0,
        "Instances": [{"BoundingBox": bbox, "Confidence": confidence} for confidence, bbox in instances],
    }


def sent_image(kwargs: dict) -> Image.Image:
    data = kwargs["Image"]["Bytes"]
    assert data[:3] == b"\xff\xd8\xff", "the image must be sent as JPEG bytes"
    return Image.open(io.BytesIO(data))


class TestDetectFaces:
    def test_sends_the_exact_detect_faces_request(self):
        image = portraits.astronaut()
        client = real_client()
        with Stubber(client) as stub:
            stub.add_response(
                "detect_faces",
                {"FaceDetails": []},
                expected_params={"Image": {"Bytes": ANY}, "Attributes": ["DEFAULT"]},
            )

            RekognitionFaceDetector(client).detect_faces(image)

            stub.assert_no_pending_responses()

    def test_sends_the_image_itself_as_jpeg(self):
        image = portraits.grace_hopper()
        fake = FakeRekognition(detect_faces={"FaceDetails": []})

        RekognitionFaceDetector(fake).detect_faces(image)

        [(operation, kwargs)] = fake.calls
        assert operation == "detect_faces"
        assert set(kwargs) == {"Image", "Attributes"}
        assert sent_image(kwargs).size == image.size

    def test_two_faces_give_two_faces_with_pixel_boxes(self):
        image = portraits.group_of_two()  # 948 x 512
        fake = FakeRekognition(
            detect_faces={
                "FaceDetails": [
                    face_detail(0.15, 0.1, 0.2, 0.4, 99.9),
                    face_detail(0.65, 0.05, 0.2, 0.5, 98.25),
                ]
            }
        )

        faces = RekognitionFaceDetector(fake).detect_faces(image)

        assert faces == [
            Face(box=Box(x0=142, y0=51, x1=332, y1=256), confidence=99.9),
            Face(box=Box(x0=616, y0=25, x1=806, y1=282), confidence=98.25),
        ]

    def test_faces_overflowing_the_image_are_clipped_and_faces_outside_dropped(self):
        image = portraits.astronaut()  # 512 x 512
        fake = FakeRekognition(
            detect_faces={
                "FaceDetails": [
                    face_detail(-0.1, -0.05, 0.3, 0.3, 97.0),
                    face_detail(0.9, 0.8, 0.25, 0.25, 96.0),
                    face_detail(1.1, 0.2, 0.1, 0.1, 95.0),
                ]
            }
        )

        faces = RekognitionFaceDetector(fake).detect_faces(image)

        assert [f.box for f in faces] == [Box(x0=0, y0=0, x1=103, y1=128), Box(x0=460, y0=409, x1=512, y1=512)]

    def test_no_face_gives_an_empty_list(self):
        fake = FakeRekognition(detect_faces={"FaceDetails": []})

        assert RekognitionFaceDetector(fake).detect_faces(portraits.cat()) == []


class TestDetectEyewear:
    def test_sends_the_exact_detect_labels_request(self):
        client = real_client()
        with Stubber(client) as stub:  # the Stubber also validates the request against botocore's service model
            stub.add_response(
                "detect_labels",
                {"Labels": []},
                expected_params={
                    "Image": {"Bytes": ANY},
                    "MinConfidence": 70.0,
                    "Settings": {"GeneralLabels": {"LabelInclusionFilters": ["Glasses", "Sunglasses"]}},
                },
            )

            RekognitionFaceDetector(client).detect_eyewear(portraits.grace_hopper())

            stub.assert_no_pending_responses()

    def test_keeps_glasses_and_sunglasses_at_or_above_the_threshold_on_the_0_to_100_scale(self):
        image = portraits.astronaut()  # 512 x 512
        near = {"Left": 0.25, "Top": 0.25, "Width": 0.25, "Height": 0.125}
        far = {"Left": 0.5, "Top": 0.5, "Width": 0.125, "Height": 0.125}
        fake = FakeRekognition(
            detect_labels={
                "Labels": [
                    label("Glasses", (70.0, near), (69.9, far)),
                    label("Sunglasses", (88.0, far)),
                    label("Person", (99.0, near)),
                    label("Accessories"),
                ]
            }
        )

        boxes = RekognitionFaceDetector(fake).detect_eyewear(image)

        assert boxes == [Box(x0=128, y0=128, x1=256, y1=192), Box(x0=256, y0=256, x1=320, y1=320)]

    def test_a_stricter_threshold_is_sent_and_applied(self):
        box = {"Left": 0.25, "Top": 0.25, "Width": 0.25, "Height": 0.125}
        fake = FakeRekognition(detect_labels={"Labels": [label("Glasses", (89.0, box), (91.0, box))]})

        boxes = RekognitionFaceDetector(fake, eyewear_min_confidence=90.0).detect_eyewear(portraits.astronaut())

        assert fake.calls[0][1]["MinConfidence"] == 90.0
        assert boxes == [Box(x0=128, y0=128, x1=256, y1=192)]

    def test_no_eyewear_gives_an_empty_list(self):
        fake = FakeRekognition(detect_labels={"Labels": [label("Glasses")]})

        assert RekognitionFaceDetector(fake).detect_eyewear(portraits.astronaut()) == []


class TestErrors:
    @pytest.mark.parametrize(
        ("code", "expected"),
        [
            ("ThrottlingException", FaceDetectionUnavailable),
            ("ProvisionedThroughputExceededException", FaceDetectionUnavailable),
            ("InternalServerError", FaceDetectionUnavailable),
            ("InvalidImageFormatException", InvalidImage),
            ("ImageTooLargeException", ImageTooLarge),
        ],
    )
    @pytest.mark.parametrize("operation", ["detect_faces", "detect_eyewear"])
    def test_service_errors_become_named_errors(self, code, expected, operation):
        api = "detect_labels" if operation == "detect_eyewear" else operation
        fake = FakeRekognition(**{api: client_error(code, api)})

        with pytest.raises(expected):
            getattr(RekognitionFaceDetector(fake), operation)(portraits.astronaut())

    @pytest.mark.parametrize("operation", ["detect_faces", "detect_eyewear"])
    def test_a_timeout_is_transient(self, operation):
        api = "detect_labels" if operation == "detect_eyewear" else operation
        fake = FakeRekognition(**{api: ReadTimeoutError(endpoint_url="https://rekognition.us-east-1.amazonaws.com")})

        with pytest.raises(FaceDetectionUnavailable):
            getattr(RekognitionFaceDetector(fake), operation)(portraits.astronaut())

    def test_a_real_internal_server_error_is_transient(self):
        client = real_client()
        with Stubber(client) as stub:
            stub.add_client_error("detect_faces", service_error_code="InternalServerError", http_status_code=500)

            with pytest.raises(FaceDetectionUnavailable):
                RekognitionFaceDetector(client).detect_faces(portraits.astronaut())

    def test_other_errors_are_not_disguised(self):
        fake = FakeRekognition(detect_faces=client_error("AccessDeniedException", "DetectFaces"))

        with pytest.raises(ClientError):
            RekognitionFaceDetector(fake).detect_faces(portraits.astronaut())


def test_the_client_is_created_on_first_use_only(monkeypatch):
    created: list[str] = []
    fake = FakeRekognition(detect_faces={"FaceDetails": []})

    def fake_client(service, **kwargs):
        created.append(service)
        return fake

    monkeypatch.setattr(rekognition_module.boto3, "client", fake_client)
    detector = RekognitionFaceDetector()
    assert created == []

    detector.detect_faces(portraits.astronaut())
    detector.detect_faces(portraits.astronaut())

    assert created == ["rekognition"]


def test_two_calls_fit_in_the_detect_functions_30_s():
    client = RekognitionFaceDetector().client
    config = client.meta.config

    assert config.retries["total_max_attempts"] == 1
    assert 2 * (config.connect_timeout + config.read_timeout) <= 30
