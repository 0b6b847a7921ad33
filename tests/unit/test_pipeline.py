"""The workflow steps as plain functions, with in-memory ports and the offline models on real photos."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from botocore.exceptions import ClientError
from PIL import Image

from photobooth import imaging, pipeline
from photobooth.config import Settings
from photobooth.errors import ImageTooLarge, ModelThrottled, ModerationRejected, NoFaceDetected, PhotoMissing
from photobooth.models import Box, Face
from photobooth.offline.faces import BundledFaceDetector
from photobooth.offline.scenes import ProceduralSceneGenerator
from photobooth.offline.segmentation import GrabCutSegmenter
from photobooth.ports import ObjectsNotDeleted
from tests.support import portraits
from tests.support.fakes import MemoryObjectStore, MemoryStatusStore
from tests.support.steps import generate_request

SETTINGS = Settings(backend="offline")
UPLOADED = datetime(2026, 11, 26, 10, 0, 0, tzinfo=UTC)


@pytest.fixture
def store():
    return MemoryObjectStore()


@pytest.fixture
def status():
    statuses = MemoryStatusStore()
    statuses.create_pending({"requestId": "req-000001", "status": "PROCESSING", "images": {}})
    return statuses


def _processing_status():
    statuses = MemoryStatusStore()
    statuses.create_pending({"requestId": "req-000001", "status": "PROCESSING", "images": {}})
    return statuses


def _detect(store, photo: bytes, detector=None):
    store.put("photo/req-000001/me.jpg", photo, "image/jpeg")
    request = pipeline.DetectRequest(requestId="req-000001", bucket="b", key="photo/req-000001/me.jpg")
    return pipeline.detect(
        request,
        store=store,
        status=_processing_status(),
        detector=detector or BundledFaceDetector(),
        settings=SETTINGS,
    )


def test_detect_writes_the_working_image_and_returns_every_face(store):
    detection = _detect(store, portraits.jpeg_bytes(portraits.group_of_two()))

    assert len(detection["faces"]) == 2
    assert detection["inputKey"] == "work/req-000001/input.tiff"
    working = Image.open(io.BytesIO(store.get(detection["inputKey"])))
    assert working.width % 64 == 0 and working.height % 64 == 0
    for content, padded in zip((detection["contentWidth"], detection["contentHeight"]), working.size, strict=True):
        assert 0 <= padded - content < 64  # padding only, never a crop


def test_detect_without_a_face_raises_no_face(store):
    with pytest.raises(NoFaceDetected):
        _detect(store, portraits.jpeg_bytes(portraits.cat()))


def test_detect_refuses_an_oversized_upload_before_reading_it(store):
    big = Settings(backend="offline", max_upload_bytes=1000)
    store.put("photo/req-000001/me.jpg", portraits.jpeg_bytes(), "image/jpeg")
    request = pipeline.DetectRequest(requestId="req-000001", bucket="b", key="photo/req-000001/me.jpg")
    with pytest.raises(ImageTooLarge):
        pipeline.detect(
            request, store=store, status=_processing_status(), detector=BundledFaceDetector(), settings=big
        )


def test_detect_finds_a_key_that_was_url_encoded_and_records_the_real_one(store, status):
    store.put("photo/req-000001/my photo.jpg", portraits.jpeg_bytes(), "image/jpeg")
    status.update("req-000001", {"originalKey": "photo/req-000001/my+photo.jpg"})
    request = pipeline.DetectRequest(requestId="req-000001", bucket="b", key="photo/req-000001/my+photo.jpg")

    detection = pipeline.detect(
        request, store=store, status=status, detector=BundledFaceDetector(), settings=SETTINGS
    )

    assert detection["faces"] and detection["sourceKey"] == "photo/req-000001/my photo.jpg"
    assert status.get("req-000001")["originalKey"] == "photo/req-000001/my photo.jpg"


def test_finalize_with_an_unreadable_event_time_still_ends_the_request_with_a_time(status):
    status.update("req-000001", {"createdAt": "2026-11-30T09:59:50+00:00"})
    request = pipeline.FinalizeRequest(requestId="req-000001", uploadedAt="yesterday-ish", images=[_ok(1)])

    pipeline.finalize(
        request,
        status=status,
        store=MemoryObjectStore(),
        settings=SETTINGS,
        now=datetime(2026, 11, 30, 10, tzinfo=UTC),
    )

    assert status.get("req-000001")["status"] == "SUCCEEDED" and status.get("req-000001")["timeTaken"] == 10.0


def test_detect_of_a_missing_object_says_the_photo_is_gone(store):
    request = pipeline.DetectRequest(requestId="req-000001", bucket="b", key="photo/req-000001/gone.jpg")
    with pytest.raises(PhotoMissing):
        pipeline.detect(
            request, store=store, status=_processing_status(), detector=BundledFaceDetector(), settings=SETTINGS
        )


def test_detect_drops_faces_below_the_thresholds(store):
    class Detector:
        def detect_faces(self, image):
            return [
                Face(box=Box(x0=100, y0=100, x1=200, y1=200), confidence=99.0),
                Face(box=Box(x0=300, y0=100, x1=400, y1=200), confidence=50.0),  # unsure
                Face(box=Box(x0=10, y0=10, x1=14, y1=14), confidence=99.0),  # a speck
            ]

        def detect_eyewear(self, image):
            return [Box(x0=120, y0=130, x1=180, y1=150)]

    detection = _detect(store, portraits.jpeg_bytes(), detector=Detector())

    assert detection["faces"] == [{"x0": 100, "y0": 100, "x1": 200, "y1": 200}]
    assert detection["keepBoxes"] == [{"x0": 120, "y0": 130, "x1": 180, "y1": 150}]


def test_segment_keeps_faces_and_eyewear_whatever_the_segmenter_says(store):
    detection = _detect(store, portraits.jpeg_bytes())
    detection["keepBoxes"] = [{"x0": 0, "y0": 0, "x1": 20, "y1": 20}]

    class EmptySegmenter:
        def segment(self, image, boxes):
            return np.zeros((image.height, image.width), np.uint8)

    request = pipeline.SegmentRequest(requestId="req-000001", bucket="b", detection=detection)
    mask_key = pipeline.segment(request, store=store, segmenter=EmptySegmenter())["maskKey"]

    mask = imaging.decode_mask_png(store.get(mask_key))
    face = Box.model_validate(detection["faces"][0])
    oval = imaging.faces_mask([face], (mask.shape[1], mask.shape[0])) == 255
    assert (mask[oval] == 255).all()
    # The box's corners lie outside the face (hair, neck, wall): the segmenter's call, here "not person".
    assert mask[face.y0, face.x0] == 0 and mask[face.y1 - 1, face.x1 - 1] == 0
    assert mask[(face.y0 + face.y1) // 2, (face.x0 + face.x1) // 2] == 255
    assert (mask[:20, :20] == 255).all()  # eyewear keeps its whole box
    assert mask[300:, 450:].max() == 0


def _generate_request(store, theme="cosmos", index=3):
    detection = _detect(store, portraits.jpeg_bytes())
    segment = pipeline.SegmentRequest(requestId="req-000001", bucket="b", detection=detection)
    mask_key = pipeline.segment(segment, store=store, segmenter=GrabCutSegmenter())["maskKey"]
    return generate_request(
        detection, mask_key, request_id="req-000001", key="photo/req-000001/me.jpg", theme=theme, index=index
    )


def test_generate_writes_a_jpeg_and_records_it_at_once(store, status):
    request = _generate_request(store)

    result = pipeline.generate(
        request, store=store, status=status, generator=ProceduralSceneGenerator(), settings=SETTINGS
    )

    assert result == {
        "index": 3,
        "theme": "cosmos",
        "status": "SUCCEEDED",
        "key": "generated/req-000001/photo_me_3.jpeg",
        "error": None,
    }
    data, content_type = store.objects["generated/req-000001/photo_me_3.jpeg"]
    assert content_type == "image/jpeg" and Image.open(io.BytesIO(data)).format == "JPEG"
    assert status.items["req-000001"]["images"]["3"]["status"] == "SUCCEEDED"


def test_generate_records_a_moderated_image_as_failed_and_does_not_raise(store, status):
    class Moderated:
        def generate(self, *args):
            raise ModerationRejected()

    result = pipeline.generate(
        _generate_request(store), store=store, status=status, generator=Moderated(), settings=SETTINGS
    )

    assert result["status"] == "FAILED" and result["error"]["code"] == "MODERATION_REJECTED"
    assert status.items["req-000001"]["images"]["3"]["error"]["code"] == "MODERATION_REJECTED"
    assert store.list_keys("generated/") == []


def test_generate_lets_throttling_reach_the_workflow_retry(store, status):
    class Throttled:
        def generate(self, *args):
            raise ModelThrottled()

    with pytest.raises(ModelThrottled):
        pipeline.generate(
            _generate_request(store), store=store, status=status, generator=Throttled(), settings=SETTINGS
        )


def test_generate_after_erasure_leaves_nothing_behind(store, status):
    request = _generate_request(store)
    status.erase("req-000001", until=2_000_000_000)

    pipeline.generate(request, store=store, status=status, generator=ProceduralSceneGenerator(), settings=SETTINGS)

    assert store.list_keys("generated/") == []


def _finalize(status, store=None, **fields):
    request = pipeline.FinalizeRequest(requestId="req-000001", uploadedAt=UPLOADED.isoformat(), **fields)
    return pipeline.finalize(
        request,
        status=status,
        store=store or MemoryObjectStore(),
        settings=SETTINGS,
        now=UPLOADED + timedelta(seconds=12.5),
    )


def _ok(index):
    return {
        "index": index,
        "theme": f"t{index}",
        "status": "SUCCEEDED",
        "key": f"generated/x/{index}.jpeg",
        "error": None,
    }


def test_finalize_all_succeeded(status):
    assert _finalize(status, images=[_ok(1), _ok(2)])["status"] == "SUCCEEDED"
    record = status.items["req-000001"]
    assert record["status"] == "SUCCEEDED" and record["timeTaken"] == 12.5
    assert record["expiresAt"] == int((UPLOADED + timedelta(seconds=12.5, days=SETTINGS.retention_days)).timestamp())
    assert "errorCode" not in record


@pytest.mark.parametrize(
    "ending", [{"images": [_ok(1)]}, {"error": {"Error": "NoFaceDetected", "Cause": "{}"}}], ids=["made", "failed"]
)
def test_finalize_deletes_the_working_image_and_keeps_the_mask(status, ending):
    store = MemoryObjectStore()
    store.put("work/req-000001/input.tiff", b"working image", "image/tiff")
    store.put("work/req-000001/mask.png", b"mask", "image/png")

    _finalize(status, store, **ending)

    # Nothing reads the working image once the request has ended, and it is 3 MB a visitor; the mask is the
    # debugging artefact worth keeping for the retention period.
    assert store.list_keys("work/") == ["work/req-000001/mask.png"]


def test_a_working_image_that_will_not_delete_does_not_fail_the_request(status, caplog):
    class StuckStore(MemoryObjectStore):
        def delete_keys(self, keys):  # type: ignore[no-untyped-def]
            raise ClientError({"Error": {"Code": "SlowDown", "Message": "reduce your request rate"}}, "DeleteObjects")

    assert _finalize(status, StuckStore(), images=[_ok(1)])["status"] == "SUCCEEDED"
    assert status.items["req-000001"]["status"] == "SUCCEEDED"
    assert "could not delete the working image: SlowDown" in caplog.text


def test_a_working_image_refused_in_delete_objects_answer_does_not_fail_the_request(status, caplog):
    class RefusingStore(MemoryObjectStore):
        def delete_keys(self, keys):  # type: ignore[no-untyped-def]
            raise ObjectsNotDeleted(dict.fromkeys(keys, "AccessDenied"))

    assert _finalize(status, RefusingStore(), images=[_ok(1)])["status"] == "SUCCEEDED"
    assert "could not delete the working image: ['AccessDenied']" in caplog.text


def test_finalize_partial_records_the_failed_image_from_a_spent_retry(status):
    failed = {
        "index": 2,
        "theme": "t2",
        "status": "FAILED",
        "key": None,
        "error": {"Error": "ModelThrottled", "Cause": "{}"},
    }

    assert _finalize(status, images=[_ok(1), failed])["status"] == "PARTIAL"

    assert status.items["req-000001"]["images"]["2"]["error"]["code"] == "GENERATION_FAILED"


def test_finalize_all_failed_uses_their_common_code(status):
    moderated = {
        "index": 1,
        "theme": "t1",
        "status": "FAILED",
        "key": None,
        "error": {"code": "MODERATION_REJECTED", "message": "no"},
    }
    assert _finalize(status, images=[moderated])["status"] == "FAILED"
    assert status.items["req-000001"]["errorCode"] == "MODERATION_REJECTED"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        ("NoFaceDetected", "NO_FACE"),
        ("InvalidImage", "INVALID_IMAGE"),
        ("ImageTooLarge", "TOO_LARGE"),
        ("UnsupportedImageType", "UNSUPPORTED_TYPE"),
        ("States.TaskFailed", "INTERNAL"),
        ("KeyError", "INTERNAL"),
        ("SegmentationUnavailable", "INTERNAL"),
    ],
)
def test_finalize_maps_the_failed_step_to_the_contract_code(status, error, code):
    assert _finalize(status, error={"Error": error, "Cause": "secret internals"})["status"] == "FAILED"
    record = status.items["req-000001"]
    assert record["errorCode"] == code
    assert "secret" not in record["errorMessage"]  # visitors see the public message, never a stack trace


def test_finalize_after_erasure_does_not_bring_the_record_back_and_removes_late_files(status, store):
    status.erase("req-000001", until=2_000_000_000)
    store.put("generated/req-000001/photo_me_1.jpeg", b"late", "image/jpeg")
    store.put("work/req-000001/mask.png", b"late", "image/png")
    store.put("generated/other-request/photo_me_1.jpeg", b"keep", "image/jpeg")

    assert _finalize(status, store, images=[_ok(1)])["status"] == "SUCCEEDED"

    assert status.get("req-000001") is None and status.items["req-000001"]["status"] == "ERASED"
    assert store.list_keys("") == ["generated/other-request/photo_me_1.jpeg"]


def test_finalize_of_a_photo_erased_before_processing_keeps_nothing(status, store):
    store.put("work/req-000001/input.tiff", b"x", "image/tiff")

    assert _finalize(status, store, error={"Error": "PhotoMissing", "Cause": "{}"})["status"] == "FAILED"

    assert status.get("req-000001") is None and status.items["req-000001"] == {
        "requestId": "req-000001",
        "status": "ERASED",
        "expiresAt": status.items["req-000001"]["expiresAt"],
    }
    assert store.list_keys("work/req-000001/") == []


def test_finalize_of_a_late_upload_for_an_erased_request_deletes_it_and_keeps_the_tombstone(status, store):
    status.erase("req-000001", until=2_000_000_000)
    store.put("photo/req-000001/me.jpg", b"late", "image/jpeg")

    _finalize(status, store, lateUpload=True)

    assert store.list_keys("photo/req-000001/") == []
    assert status.get("req-000001") is None and status.items["req-000001"]["status"] == "ERASED"


def test_generate_does_not_hide_a_refused_clean_up_of_an_erased_requests_picture(store, status):
    """The visitor erased the request while its picture was being made: generate deletes the picture, and a delete
    that S3 refused (DeleteObjects' per-key Errors, tests/unit/test_s3_delete_errors.py) fails the step visibly."""
    request = _generate_request(store)

    class ErasedMeanwhile(ProceduralSceneGenerator):
        def generate(self, *args):  # type: ignore[no-untyped-def]
            status.erase("req-000001", until=0)
            return super().generate(*args)

    class RefusingDeletes(MemoryObjectStore):
        def delete_keys(self, keys):  # type: ignore[no-untyped-def]
            raise ObjectsNotDeleted(dict.fromkeys(keys, "AccessDenied"))

    refusing = RefusingDeletes()
    refusing.objects = store.objects

    with pytest.raises(ObjectsNotDeleted) as raised:
        pipeline.generate(request, store=refusing, status=status, generator=ErasedMeanwhile(), settings=SETTINGS)

    assert list(raised.value.failures) == ["generated/req-000001/photo_me_3.jpeg"]
