"""The committed statemachine/definition.asl.json on moto's ASL interpreter, with the real handlers in process,
started by a real S3 PutObject through EventBridge. Case names follow statemachine/mock-config.json."""

from __future__ import annotations

import io
import json
import threading

import boto3
import numpy as np
import pytest
from PIL import Image

from photobooth import wiring
from photobooth.errors import ModelThrottled
from photobooth.local.engine import definition_path
from tests.support import portraits

THEMES = ["unicorn-meadow", "floating-city", "cosmos"]


def _jpeg_objects(cloud, request_id: str) -> list[tuple[str, str, bytes]]:
    s3 = cloud.s3()
    found = []
    for key in cloud.keys(f"generated/{request_id}/"):
        obj = s3.get_object(Bucket=cloud.bucket, Key=key)
        found.append((key, obj["ContentType"], obj["Body"].read()))
    return found


class CountingGenerator:
    """Wraps the offline generator; counts calls per theme and can fail chosen calls."""

    def __init__(self, fail=None) -> None:
        self.inner = wiring.image_generator()
        self.calls: dict[str, int] = {}
        self.fail = fail or (lambda theme, call: None)
        self._lock = threading.Lock()

    def generate(self, image, person_mask, theme, seed):
        with self._lock:
            self.calls[theme.name] = self.calls.get(theme.name, 0) + 1
            call = self.calls[theme.name]
        error = self.fail(theme.name, call)
        if error is not None:
            raise error
        return self.inner.generate(image, person_mask, theme, seed)


def test_the_state_machine_the_tests_run_is_the_committed_definition(cloud):
    sfn = cloud.sfn()
    deployed = sfn.describe_state_machine(stateMachineArn=cloud.local.state_machine_arn)["definition"]
    # The committed file with its ${Name} placeholders filled in by plain replacement (not the engine's own
    # render_definition, so a fault there cannot hide here), compared whole: every state, field and value.
    committed = definition_path().read_text()
    for name, value in cloud.local.substitutions().items():
        committed = committed.replace("${" + name + "}", value)
    assert "${" not in committed
    assert json.loads(deployed) == json.loads(committed)
    # and it is the one an upload starts: the only state machine, the upload rule's only target.
    assert [m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]] == [
        cloud.local.state_machine_arn
    ]
    targets = boto3.client("events", region_name="us-east-1").list_targets_by_rule(Rule="photobooth-photo-uploaded")
    assert [t["Arn"] for t in targets["Targets"]] == [cloud.local.state_machine_arn]


def test_HappyPath(cloud):
    request_id = cloud.upload(portraits.jpeg_bytes(portraits.astronaut()), filename="andy portrait.jpg")

    status = cloud.wait_for_terminal(request_id)

    assert status["status"] == "SUCCEEDED", status
    assert [image["theme"] for image in status["images"]] == THEMES
    assert [image["status"] for image in status["images"]] == ["SUCCEEDED"] * 3
    assert len(status["url_generated"]) == 3
    assert isinstance(status["time_taken"], float) and status["time_taken"] >= 0
    assert "error" not in status
    objects = _jpeg_objects(cloud, request_id)
    assert [key for key, _, _ in objects] == [
        f"generated/{request_id}/photo_andy_portrait_{i}.jpeg" for i in (1, 2, 3)
    ]
    for _, content_type, body in objects:
        assert content_type == "image/jpeg"
        assert body[:3] == b"\xff\xd8\xff"
        assert Image.open(io.BytesIO(body)).format == "JPEG"
    assert cloud.keys(f"photo/{request_id}/") == [f"photo/{request_id}/andy portrait.jpg"]  # nothing new under photo/
    # The working image (a copy of the original at working size) goes when the request ends; the mask stays to
    # show an operator what was cut out.
    assert cloud.keys(f"work/{request_id}/") == [f"work/{request_id}/mask.png"]
    (execution,) = cloud.wait_for_executions(1)
    assert execution["status"] == "SUCCEEDED"
    assert status["executionArn"] == execution["executionArn"]
    visited = cloud.visited_states(execution["executionArn"])
    for state in (
        "Is it a photo upload?",
        "Read the upload event",
        "Claim the request",
        "Detect faces",
        "Cut out the people",
        "Generate one image per theme",
        "Generate image",
        "Record the result",
        "Images are ready",
    ):
        assert state in visited


def test_HappyPath_keeps_the_face_pixels(cloud):
    request_id = cloud.upload(
        portraits.png_bytes(portraits.astronaut()), filename="astro.png", content_type="image/png"
    )
    cloud.wait_for_terminal(request_id)

    _, _, body = _jpeg_objects(cloud, request_id)[0]
    result = np.asarray(Image.open(io.BytesIO(body)).convert("RGB"), dtype=np.int16)
    original = np.asarray(portraits.astronaut(), dtype=np.int16)
    assert result.shape == original.shape  # 512x512 is already a multiple of 64: no padding left behind
    # The astronaut's face, well inside the oval the pipeline always keeps (her face box is about x 178-267,
    # y 63-175); the box's corners are the segmenter's call.
    face = (slice(95, 145), slice(195, 250))
    assert np.abs(result[face] - original[face]).mean() < 4.0  # only JPEG noise
    corner = (slice(0, 40), slice(470, 512))  # background far from the person is repainted
    assert np.abs(result[corner] - original[corner]).mean() > 20.0


def test_NoFace(cloud):
    request_id = cloud.upload(portraits.jpeg_bytes(portraits.cat()), filename="cat.jpg")

    status = cloud.wait_for_terminal(request_id)

    assert status["status"] == "FAILED"
    assert status["error"]["code"] == "NO_FACE"
    assert status["url_generated"] == []
    assert cloud.keys(f"generated/{request_id}/") == []
    (execution,) = cloud.wait_for_executions(1)
    assert execution["status"] == "FAILED"
    assert execution["error"] == "NoFaceDetected"
    assert "Record the failure" in cloud.visited_states(execution["executionArn"])


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"this is not a photo at all", "INVALID_IMAGE"),
        (portraits.jpeg_bytes()[:2000], "INVALID_IMAGE"),
        (portraits.encode(portraits.astronaut(), "GIF"), "UNSUPPORTED_TYPE"),
    ],
    ids=["garbage", "truncated", "gif"],
)
def test_InvalidImage(cloud, data, code):
    request_id = cloud.upload(data, filename="broken.jpg")

    status = cloud.wait_for_terminal(request_id)

    assert status["status"] == "FAILED"
    assert status["error"]["code"] == code
    assert cloud.keys(f"generated/{request_id}/") == []


def test_TooLarge(cloud, monkeypatch):
    monkeypatch.setenv("PHOTOBOOTH_MAX_UPLOAD_BYTES", "10000")
    wiring.reset()
    request_id = cloud.upload(portraits.jpeg_bytes(), filename="big.jpg")

    status = cloud.wait_for_terminal(request_id)

    assert status["error"]["code"] == "TOO_LARGE"


def test_OneThemeFails(cloud, monkeypatch):
    generator = CountingGenerator(
        fail=lambda theme, call: RuntimeError("model crashed") if theme == "floating-city" else None
    )
    monkeypatch.setattr(wiring, "image_generator", lambda: generator)
    request_id = cloud.upload(portraits.jpeg_bytes(), filename="me.jpg")

    status = cloud.wait_for_terminal(request_id)

    assert status["status"] == "PARTIAL"
    by_theme = {image["theme"]: image for image in status["images"]}
    assert by_theme["floating-city"]["status"] == "FAILED"
    assert by_theme["floating-city"]["error"]["code"] == "INTERNAL"
    assert by_theme["unicorn-meadow"]["status"] == by_theme["cosmos"]["status"] == "SUCCEEDED"
    assert len(status["url_generated"]) == 2
    assert "error" not in status
    assert cloud.keys(f"generated/{request_id}/") == [
        f"generated/{request_id}/photo_me_1.jpeg",
        f"generated/{request_id}/photo_me_3.jpeg",
    ]
    (execution,) = cloud.wait_for_executions(1)
    assert execution["status"] == "SUCCEEDED"
    assert "Note the failed image" in cloud.visited_states(execution["executionArn"])


def test_AllThemesFail(cloud, monkeypatch):
    from photobooth.errors import ModerationRejected

    generator = CountingGenerator(fail=lambda theme, call: ModerationRejected())
    monkeypatch.setattr(wiring, "image_generator", lambda: generator)
    request_id = cloud.upload(portraits.jpeg_bytes(), filename="me.jpg")

    status = cloud.wait_for_terminal(request_id)

    assert status["status"] == "FAILED"
    assert status["error"]["code"] == "MODERATION_REJECTED"
    assert {image["error"]["code"] for image in status["images"]} == {"MODERATION_REJECTED"}
    assert generator.calls == dict.fromkeys(THEMES, 1)  # a content-filter answer is not retried
    (execution,) = cloud.wait_for_executions(1)
    assert execution["status"] == "FAILED" and execution["error"] == "GenerationFailed"


def test_ThrottledThenSucceeds(cloud, monkeypatch):
    generator = CountingGenerator(
        fail=lambda theme, call: ModelThrottled() if theme == "cosmos" and call <= 2 else None
    )
    monkeypatch.setattr(wiring, "image_generator", lambda: generator)
    request_id = cloud.upload(portraits.jpeg_bytes(), filename="me.jpg")

    status = cloud.wait_for_terminal(request_id)

    assert status["status"] == "SUCCEEDED"
    assert generator.calls == {"unicorn-meadow": 1, "floating-city": 1, "cosmos": 3}
    assert len(cloud.sleeps) == 2  # two back-offs, each within the Retry's bounds (FULL jitter, capped)
    assert all(0 <= seconds <= 30 for seconds in cloud.sleeps)


def test_ThrottledForever_fails_only_that_image(cloud, monkeypatch):
    generator = CountingGenerator(fail=lambda theme, call: ModelThrottled() if theme == "cosmos" else None)
    monkeypatch.setattr(wiring, "image_generator", lambda: generator)
    request_id = cloud.upload(portraits.jpeg_bytes(), filename="me.jpg")

    status = cloud.wait_for_terminal(request_id)

    assert status["status"] == "PARTIAL"
    assert generator.calls["cosmos"] == 5  # the first try and MaxAttempts=4 retries
    assert status["images"][2]["error"]["code"] == "GENERATION_FAILED"


def test_DuplicateEvent(cloud, monkeypatch):
    generator = CountingGenerator()
    monkeypatch.setattr(wiring, "image_generator", lambda: generator)
    request_id = cloud.upload(portraits.jpeg_bytes(), filename="me.jpg")
    first = cloud.wait_for_terminal(request_id)
    (original_execution,) = cloud.wait_for_executions(1)

    # S3 delivers at least once: the same upload event again, and the same object written again.
    cloud.sfn().start_execution(
        stateMachineArn=cloud.local.state_machine_arn, name="redelivered", input=original_execution["input"]
    )
    cloud.s3().put_object(Bucket=cloud.bucket, Key=f"photo/{request_id}/me.jpg", Body=portraits.jpeg_bytes())
    executions = cloud.wait_for_executions(3)

    again = cloud.wait_for_terminal(request_id)
    assert again["status"] == first["status"] == "SUCCEEDED"
    assert again["time_taken"] == first["time_taken"]
    assert generator.calls == dict.fromkeys(THEMES, 1)
    assert len(cloud.keys(f"generated/{request_id}/")) == 3
    repeats = [e for e in executions if e["executionArn"] != original_execution["executionArn"]]
    for execution in repeats:
        assert execution["status"] == "SUCCEEDED"
        visited = cloud.visited_states(execution["executionArn"])
        assert "Ignore the repeated event" in visited and "Detect faces" not in visited


def test_ModelFallback(cloud, monkeypatch):
    """Titan answers as an end-of-life model does; the generator falls over to the next configured model."""
    from botocore.exceptions import ClientError

    from photobooth.aws.bedrock import BedrockImageGenerator

    class FakeBedrock:
        def __init__(self) -> None:
            self.calls: list[str] = []

        def invoke_model(self, *, modelId, body, **_):
            self.calls.append(modelId)
            if modelId.startswith("amazon.titan"):
                raise ClientError(
                    {
                        "Error": {
                            "Code": "ResourceNotFoundException",
                            "Message": "This model version has reached the end of its life.",
                        }
                    },
                    "InvokeModel",
                )
            request = json.loads(body)
            size = Image.open(io.BytesIO(__import__("base64").b64decode(request["image"]))).size
            painted = Image.new("RGB", size, (30, 140, 220))
            buffer = io.BytesIO()
            painted.save(buffer, format="PNG")
            answer = {
                "images": [__import__("base64").b64encode(buffer.getvalue()).decode()],
                "finish_reasons": [None],
                "seeds": [1],
            }
            return {"body": io.BytesIO(json.dumps(answer).encode()), "contentType": "application/json"}

    fake = FakeBedrock()
    generator = BedrockImageGenerator(
        ["amazon.titan-image-generator-v2:0", "stability.stable-image-inpaint-v1:0"], client=fake
    )
    monkeypatch.setattr(wiring, "image_generator", lambda: generator)
    request_id = cloud.upload(portraits.jpeg_bytes(), filename="me.jpg")

    status = cloud.wait_for_terminal(request_id)

    assert status["status"] == "SUCCEEDED"
    assert sorted(fake.calls) == sorted(
        ["amazon.titan-image-generator-v2:0", "stability.stable-image-inpaint-v1:0"] * 3
    )
    _, _, body = _jpeg_objects(cloud, request_id)[0]
    corner = np.asarray(Image.open(io.BytesIO(body)).convert("RGB"))[:30, -30:].reshape(-1, 3).mean(axis=0)
    assert np.allclose(corner, (30, 140, 220), atol=12)  # the background came from the fallback model


def test_chosen_themes_are_generated_in_the_booth_order(cloud):
    request_id = cloud.upload(portraits.jpeg_bytes(), filename="me.jpg", themes=["forest", "unicorn-meadow"])

    status = cloud.wait_for_terminal(request_id)

    assert [image["theme"] for image in status["images"]] == ["forest", "unicorn-meadow"]
    assert status["status"] == "SUCCEEDED"


def test_a_photo_put_straight_into_the_bucket_is_processed_with_the_default_themes(cloud):
    cloud.s3().put_object(Bucket=cloud.bucket, Key="photo/direct-upload-1/me.jpg", Body=portraits.jpeg_bytes())

    status = cloud.wait_for_terminal("direct-upload-1")

    assert status["status"] == "SUCCEEDED"
    assert [image["theme"] for image in status["images"]] == THEMES


@pytest.mark.parametrize("show_on_wall", [False, True], ids=["private", "on the wall"])
def test_ErasedWhileProcessing_leaves_nothing_behind(cloud, monkeypatch, show_on_wall):
    started, release = threading.Event(), threading.Event()

    def hold_first_image(theme, call):
        started.set()
        assert release.wait(30), "the test never released the generator"

    generator = CountingGenerator(fail=hold_first_image)
    monkeypatch.setattr(wiring, "image_generator", lambda: generator)
    request_id = cloud.upload(portraits.jpeg_bytes(), filename="me.jpg", showOnWall=show_on_wall)
    assert started.wait(30), "generation never started"

    assert cloud.call_api("DELETE", f"/photo/{request_id}")[0] == 204
    release.set()
    (execution,) = cloud.wait_for_executions(1)

    assert execution["status"] == "SUCCEEDED"
    assert cloud.call_api("GET", f"/photo/{request_id}")[0] == 404
    for prefix in ("photo", "work", "generated"):
        assert cloud.keys(f"{prefix}/{request_id}/") == [], f"{prefix}/ kept files after the erasure"
    assert cloud.keys("wall/") == [], "the event wall kept a copy after the erasure"


def test_an_event_for_an_erased_upload_keeps_nothing(cloud):
    """The visitor erased the photo before its event was handled: no record comes back, nothing is written."""
    event = {
        "version": "0",
        "id": "late-event",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "time": "2026-11-26T10:00:00Z",
        "detail": {"bucket": {"name": cloud.bucket}, "object": {"key": "photo/erased-before-1/me.jpg"}},
    }
    cloud.sfn().start_execution(stateMachineArn=cloud.local.state_machine_arn, name="late", input=json.dumps(event))

    (execution,) = cloud.wait_for_executions(1)

    assert execution["status"] == "FAILED" and execution["error"] == "PhotoMissing"
    assert cloud.call_api("GET", "/photo/erased-before-1")[0] == 404
    assert cloud.keys("work/erased-before-1/") == []


def test_ErasedThenUploaded_stays_erased(cloud):
    """POST /upload, DELETE, then a PUT to the still-valid upload URL: the tombstone refuses the claim, the late
    photo is deleted and nothing is processed (CONTRACT.md: erasure is final)."""
    status, answer = cloud.call_api(
        "POST", "/upload", {"type": "photo", "filename": "me.jpg", "contentType": "image/jpeg"}
    )
    assert status == 200, answer
    request_id = answer["requestId"]
    assert cloud.call_api("DELETE", f"/photo/{request_id}")[0] == 204

    cloud.s3().put_object(
        Bucket=cloud.bucket, Key=answer["Key"], Body=portraits.jpeg_bytes(), ContentType="image/jpeg"
    )
    (execution,) = cloud.wait_for_executions(1)

    assert execution["status"] == "SUCCEEDED"
    assert "Delete the late upload" in cloud.visited_states(execution["executionArn"])
    assert cloud.call_api("GET", f"/photo/{request_id}")[0] == 404
    for prefix in ("photo", "work", "generated"):
        assert cloud.keys(f"{prefix}/{request_id}/") == [], f"{prefix}/ kept files of an erased request"
    assert cloud.call_api("DELETE", f"/photo/{request_id}")[0] == 404
    again = {"type": "photo", "filename": "me.jpg", "contentType": "image/jpeg", "requestId": request_id}
    assert cloud.call_api("POST", "/upload", again)[0] == 409


def test_a_repeated_event_for_a_finished_request_changes_nothing(cloud):
    request_id = cloud.upload(portraits.jpeg_bytes(), filename="me.jpg")
    first = cloud.wait_for_terminal(request_id)
    key = f"photo/{request_id}/me.jpg"

    cloud.s3().put_object(Bucket=cloud.bucket, Key=key, Body=portraits.jpeg_bytes(), ContentType="image/jpeg")
    executions = cloud.wait_for_executions(2)

    assert {e["status"] for e in executions} == {"SUCCEEDED"}
    assert cloud.call_api("GET", f"/photo/{request_id}")[1]["status"] == first["status"]
    assert cloud.keys(key) == [key], "a repeated event for a live request must not delete its photo"


@pytest.mark.parametrize("key", ["photo/abc12345/", "photo/x", "photo/", "photo/abc12345/sub/me.jpg"])
def test_NotAPhotoKey_ends_cleanly_before_any_intrinsic(cloud, key):
    """A folder marker or a key that is not photo/{requestId}/{file} ends quietly. Before, "Read the upload event"
    split the key with intrinsics: photo/ failed with States.Runtime (which no Catch handles) and the others
    claimed a request nobody made (FACTS.md: States.ALL does not catch States.Runtime)."""
    cloud.s3().put_object(Bucket=cloud.bucket, Key=key, Body=b"")

    (execution,) = cloud.wait_for_executions(1)

    assert execution["status"] == "SUCCEEDED", execution
    visited = cloud.visited_states(execution["executionArn"])
    assert visited == ["Is it a photo upload?", "Ignore a key that is not a photo"]
    for request_id in ("abc12345", "x"):
        assert cloud.call_api("GET", f"/photo/{request_id}")[0] in {400, 404}
    assert cloud.keys("work/") == [] and cloud.keys("generated/") == []


def test_FinalizeFailsForever_marks_the_request_failed(cloud, monkeypatch):
    """The last step keeps failing (its function crashes every time): the fallback writes FAILED/INTERNAL into the
    record itself, so the booth pad does not wait on PROCESSING until the record expires."""
    from photobooth import pipeline

    calls = []

    def broken_finalize(request, **_):
        calls.append(request.request_id)
        raise RuntimeError("the status table is unreachable")

    monkeypatch.setattr(pipeline, "finalize", broken_finalize)
    request_id = cloud.upload(portraits.jpeg_bytes(), filename="me.jpg")

    status = cloud.wait_for_terminal(request_id)

    assert status["status"] == "FAILED"
    assert status["error"]["code"] == "INTERNAL"
    assert isinstance(status["time_taken"], float)  # computed from the fallback's finishedAt
    assert len(calls) == 4  # the first try and the Retry's three attempts
    (execution,) = cloud.wait_for_executions(1)
    assert execution["status"] == "FAILED" and execution["error"] == "OutcomeNotRecorded"
    visited = cloud.visited_states(execution["executionArn"])
    assert visited[-3:] == ["Record the result", "Mark the request failed", "The outcome could not be recorded"]


def test_the_fallback_never_touches_a_finished_request(cloud, monkeypatch):
    """The fallback's condition: a record that is no longer PROCESSING (finished, or erased and gone) stays as is."""
    from photobooth import pipeline

    real_finalize = pipeline.finalize

    def finalize_then_crash(request, **kwargs):
        real_finalize(request, **kwargs)
        raise RuntimeError("the answer was lost after the record was written")

    monkeypatch.setattr(pipeline, "finalize", finalize_then_crash)
    request_id = cloud.upload(portraits.jpeg_bytes(), filename="me.jpg")

    (execution,) = cloud.wait_for_executions(1)

    assert execution["status"] == "FAILED" and execution["error"] == "OutcomeNotRecorded"
    status = cloud.wait_for_terminal(request_id)
    assert status["status"] == "SUCCEEDED" and "error" not in status


def test_OutOfTime_is_retried_once_in_a_fresh_invocation(cloud, monkeypatch):
    from photobooth.errors import GenerationOutOfTime

    def out_of_time(theme, call):
        if theme == "cosmos":
            return GenerationOutOfTime()  # every call: one retry, then the image fails
        if theme == "floating-city" and call == 1:
            return GenerationOutOfTime()  # the first call only: the retry makes the image
        return None

    generator = CountingGenerator(fail=out_of_time)
    monkeypatch.setattr(wiring, "image_generator", lambda: generator)
    request_id = cloud.upload(portraits.jpeg_bytes(), filename="me.jpg")

    status = cloud.wait_for_terminal(request_id)

    assert status["status"] == "PARTIAL"
    assert [image["status"] for image in status["images"]] == ["SUCCEEDED", "SUCCEEDED", "FAILED"]
    assert status["images"][2]["error"]["code"] == "GENERATION_FAILED"
    assert generator.calls == {"unicorn-meadow": 1, "floating-city": 2, "cosmos": 2}
