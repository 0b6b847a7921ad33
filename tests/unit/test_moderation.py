"""Moderation before any model spend: the policy, the detect and generate steps, the Rekognition adapter, wiring.

Taxonomy names follow Rekognition's content moderation model version 7
(https://docs.aws.amazon.com/rekognition/latest/dg/moderation-api.html, "Label Categories"); the request and answer
shapes follow https://docs.aws.amazon.com/rekognition/latest/APIReference/API_DetectModerationLabels.html.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import ANY, Stubber
from PIL import Image

from photobooth import moderation, pipeline, wiring
from photobooth.aws.moderation import RekognitionModerator
from photobooth.config import Settings
from photobooth.errors import (
    ErrorCode,
    InvalidImage,
    ModerationUnavailable,
    PhotoRejected,
    error_class_for,
)
from photobooth.offline.faces import BundledFaceDetector
from photobooth.offline.moderation import NoModeration
from photobooth.offline.scenes import ProceduralSceneGenerator
from photobooth.offline.segmentation import GrabCutSegmenter
from photobooth.ports import ModerationLabel
from tests.support import portraits
from tests.support.fakes import MemoryObjectStore, MemoryStatusStore
from tests.support.steps import generate_request

REQUEST_ID = "req-moderate-1"
PHOTO_KEY = f"photo/{REQUEST_ID}/me.jpg"
SETTINGS = Settings(backend="offline")
EXPLICIT_L3 = ModerationLabel(name="Exposed Male Genitalia", ancestors=("Explicit Nudity", "Explicit"), confidence=97)


class FakeModerator:
    """Answers fixed labels and remembers every picture it was shown."""

    def __init__(self, labels: list[ModerationLabel] | None = None) -> None:
        self.labels = labels or []
        self.seen: list[tuple[int, int]] = []

    def moderation_labels(self, image: Image.Image) -> list[ModerationLabel]:
        self.seen.append(image.size)
        return self.labels


class CountingDetector:
    def __init__(self) -> None:
        self.inner = BundledFaceDetector()
        self.calls = 0

    def detect_faces(self, image):
        self.calls += 1
        return self.inner.detect_faces(image)

    def detect_eyewear(self, image):
        return self.inner.detect_eyewear(image)


# --- the policy ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "refused"),
    [
        (EXPLICIT_L3, True),  # an L3 label counts for its L1 category
        (ModerationLabel("Explicit", (), 81.0), True),
        (ModerationLabel("Explicit", (), 79.9), False),  # below the threshold
        (ModerationLabel("Alcoholic Beverages", ("Alcohol",), 99.0), False),  # not a refused category
        (ModerationLabel("Kissing on the Lips", ("Non-Explicit Nudity of Intimate parts and Kissing",), 95), False),
        (ModerationLabel("Implied Nudity", ("Non-Explicit Nudity",), 90.0), True),  # an L2 category in the list
    ],
)
def test_refused_labels_follow_categories_at_any_level_and_the_threshold(label, refused):
    found = moderation.refused_labels(
        [label], categories=SETTINGS.moderation_categories, min_confidence=SETTINGS.moderation_min_confidence
    )
    assert bool(found) is refused


def test_moderation_settings_refuse_unknown_categories():
    with pytest.raises(ValueError, match="unknown moderation categories"):
        Settings(moderation_categories=("Explicitt",))
    assert Settings(moderation_categories=("Alcohol", "Gambling")).moderation_categories == ("Alcohol", "Gambling")
    with pytest.raises(ValueError):
        Settings(moderation_min_confidence=101)


def test_the_photo_rejection_is_a_moderation_rejection_with_a_visitor_safe_message():
    cls = error_class_for("PhotoRejected")
    assert cls is PhotoRejected and cls.code is ErrorCode.MODERATION_REJECTED
    assert "Explicit" not in cls.public_message and "photo" in cls.public_message
    assert error_class_for("GeneratedImageRejected").code is ErrorCode.MODERATION_REJECTED
    assert error_class_for("ModerationUnavailable").code is ErrorCode.INTERNAL


# --- the detect step: checked before anything else is paid for or written ---------------------------------------


def _detect(store: MemoryObjectStore, moderator, detector=None) -> dict:
    store.put(PHOTO_KEY, portraits.jpeg_bytes(), "image/jpeg")
    status = MemoryStatusStore()
    status.create_pending({"requestId": REQUEST_ID, "status": "PROCESSING", "images": {}})
    return pipeline.detect(
        pipeline.DetectRequest(requestId=REQUEST_ID, bucket="b", key=PHOTO_KEY),
        store=store,
        status=status,
        detector=detector or BundledFaceDetector(),
        settings=SETTINGS,
        moderator=moderator,
    )


def test_a_refused_photo_fails_detect_before_face_detection_and_writes_nothing():
    store, detector, moderator = MemoryObjectStore(), CountingDetector(), FakeModerator([EXPLICIT_L3])

    with pytest.raises(PhotoRejected) as raised:
        _detect(store, moderator, detector)

    assert raised.value.code is ErrorCode.MODERATION_REJECTED
    assert moderator.seen == [(512, 512)]  # the working image's photo part, not the padding
    assert detector.calls == 0
    assert store.list_keys("work/") == []


def test_an_acceptable_photo_goes_on_to_face_detection():
    store, moderator = MemoryObjectStore(), FakeModerator([ModerationLabel("Alcohol", (), 99.0)])

    detection = _detect(store, moderator)

    assert len(detection["faces"]) == 1
    assert store.list_keys("work/") == [f"work/{REQUEST_ID}/input.tiff"]


# --- the generate step: each picture checked, a refused one becomes a failed image -------------------------------


def _generate(moderator, settings: Settings = SETTINGS) -> tuple[dict, MemoryObjectStore, MemoryStatusStore]:
    store = MemoryObjectStore()
    detection = _detect(store, NoModeration())
    segment = pipeline.SegmentRequest(requestId=REQUEST_ID, bucket="b", detection=detection)
    mask_key = pipeline.segment(segment, store=store, segmenter=GrabCutSegmenter())["maskKey"]
    status = MemoryStatusStore()
    status.create_pending({"requestId": REQUEST_ID, "status": "PROCESSING", "images": {}})
    request = generate_request(detection, mask_key, request_id=REQUEST_ID, key=PHOTO_KEY, theme="forest", index=2)
    result = pipeline.generate(
        request,
        store=store,
        status=status,
        generator=ProceduralSceneGenerator(),
        settings=settings,
        moderator=moderator,
    )
    return result, store, status


def test_a_refused_generated_image_is_a_failed_image_and_is_not_stored():
    moderator = FakeModerator([ModerationLabel("Graphic Violence", ("Violence",), 92.0)])

    result, store, status = _generate(moderator)

    assert result["status"] == "FAILED"
    assert result["error"]["code"] == "MODERATION_REJECTED"
    assert status.items[REQUEST_ID]["images"]["2"]["error"]["code"] == "MODERATION_REJECTED"
    assert store.list_keys("generated/") == []
    assert moderator.seen == [(512, 512)]  # the painted picture at working size, before the print-size work


def test_a_busy_content_check_fails_the_image_without_showing_it():
    class Busy:
        def moderation_labels(self, image):
            raise ModerationUnavailable("ThrottlingException")

    result, store, _ = _generate(Busy())

    assert result["status"] == "FAILED" and result["error"]["code"] == "INTERNAL"
    assert store.list_keys("generated/") == []


def test_generated_images_are_not_checked_when_the_setting_is_off():
    moderator = FakeModerator([EXPLICIT_L3])

    result, store, _ = _generate(moderator, Settings(backend="offline", moderate_generated_images=False))

    assert result["status"] == "SUCCEEDED"
    assert moderator.seen == []
    assert store.list_keys("generated/") == [result["key"]]


# --- the Rekognition adapter ------------------------------------------------------------------------------------


def _stubbed(min_confidence: float = 80.0) -> tuple[RekognitionModerator, Stubber]:
    client = boto3.client("rekognition", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    return RekognitionModerator(client, min_confidence=min_confidence), Stubber(client)


def test_rekognition_moderator_sends_image_bytes_with_min_confidence_and_reads_the_taxonomy():
    moderator, stubber = _stubbed(min_confidence=75.0)
    answer = {
        "ModerationLabels": [
            {"Name": "Explicit", "ParentName": "", "TaxonomyLevel": 1, "Confidence": 98.1},
            {"Name": "Explicit Nudity", "ParentName": "Explicit", "TaxonomyLevel": 2, "Confidence": 97.5},
            {
                "Name": "Exposed Male Genitalia",
                "ParentName": "Explicit Nudity",
                "TaxonomyLevel": 3,
                "Confidence": 96.0,
            },
        ],
        "ModerationModelVersion": "7.0",
    }
    stubber.add_response(
        "detect_moderation_labels", answer, expected_params={"Image": {"Bytes": ANY}, "MinConfidence": 75.0}
    )

    with stubber:
        labels = moderator.moderation_labels(portraits.astronaut())

    stubber.assert_no_pending_responses()
    assert labels[2] == ModerationLabel("Exposed Male Genitalia", ("Explicit Nudity", "Explicit"), 96.0)
    assert labels[0] == ModerationLabel("Explicit", (), 98.1)


def test_rekognition_moderator_knows_the_top_category_when_the_answer_leaves_it_out():
    moderator, stubber = _stubbed()
    answer = {
        "ModerationLabels": [
            {
                "Name": "Exposed Female Genitalia",
                "ParentName": "Explicit Nudity",
                "TaxonomyLevel": 3,
                "Confidence": 91,
            }
        ]
    }
    stubber.add_response("detect_moderation_labels", answer)

    with stubber:
        (label,) = moderator.moderation_labels(portraits.astronaut())

    assert label.ancestors == ("Explicit Nudity", "Explicit")
    assert moderation.refused_labels([label], categories=("Explicit",), min_confidence=80)


def test_rekognition_moderator_sends_jpeg_bytes():
    moderator, stubber = _stubbed()
    sent: list[bytes] = []

    class JpegBytes:
        def __eq__(self, other):
            sent.append(other)
            return isinstance(other, bytes) and other[:3] == b"\xff\xd8\xff"

    stubber.add_response(
        "detect_moderation_labels",
        {"ModerationLabels": []},
        expected_params={"Image": {"Bytes": JpegBytes()}, "MinConfidence": 80.0},
    )
    with stubber:
        assert moderator.moderation_labels(portraits.astronaut()) == []
    assert sent


@pytest.mark.parametrize(
    ("code", "raised"),
    [
        ("ThrottlingException", ModerationUnavailable),
        ("ProvisionedThroughputExceededException", ModerationUnavailable),
        ("InvalidImageFormatException", InvalidImage),
    ],
)
def test_rekognition_moderator_maps_errors(code, raised):
    moderator, stubber = _stubbed()
    stubber.add_client_error("detect_moderation_labels", service_error_code=code, http_status_code=400)

    with stubber, pytest.raises(raised):
        moderator.moderation_labels(portraits.astronaut())


def test_rekognition_moderator_lets_a_permission_problem_through():
    moderator, stubber = _stubbed()
    stubber.add_client_error("detect_moderation_labels", service_error_code="AccessDeniedException")

    with stubber, pytest.raises(ClientError):
        moderator.moderation_labels(portraits.astronaut())


# --- wiring -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"PHOTOBOOTH_BACKEND": "offline"}, NoModeration),
        ({"PHOTOBOOTH_BACKEND": "offline", "PHOTOBOOTH_MODERATION_BACKEND": "rekognition"}, NoModeration),
        ({"PHOTOBOOTH_BACKEND": "aws", "PHOTOBOOTH_MODERATION_BACKEND": "none"}, NoModeration),
        ({"PHOTOBOOTH_BACKEND": "aws"}, RekognitionModerator),
    ],
)
def test_wiring_builds_the_configured_moderator(monkeypatch, environment, expected):
    monkeypatch.delenv("PHOTOBOOTH_MODERATION_BACKEND", raising=False)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    wiring.reset()
    try:
        built = wiring.moderator()
        assert isinstance(built, expected)
    finally:
        wiring.reset()


def test_wiring_passes_the_threshold_to_rekognition(monkeypatch):
    monkeypatch.setenv("PHOTOBOOTH_BACKEND", "aws")
    monkeypatch.setenv("PHOTOBOOTH_MODERATION_MIN_CONFIDENCE", "65")
    monkeypatch.setenv("PHOTOBOOTH_MODERATION_CATEGORIES", '["Explicit","Hate Symbols"]')
    wiring.reset()
    try:
        built = wiring.moderator()
        assert isinstance(built, RekognitionModerator) and built.min_confidence == 65.0
        assert wiring.settings().moderation_categories == ("Explicit", "Hate Symbols")
    finally:
        wiring.reset()
