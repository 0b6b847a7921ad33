"""statemachine/mock-config.json, built from what the real handlers answer now.

Every mocked Lambda answer in the file is recorded here: the committed definition runs in the embedded AWS (moto's
interpreter, the real handlers, the offline models) on the test photos, and each handler's answer to each task is
kept (a failure as Lambda reports it: the error is ``errorType``, the cause the error payload, less its stack trace,
which names this machine's paths). What no handler answers stays written here, by hand and named as such: the
DynamoDB tasks' answers and the Lambda *service*'s errors (throttling, a timeout, a crashed invocation).

    scripts/regenerate-mock-config      # writes the file
    tests/statemachine/test_mock_config.py::test_the_committed_mocks_are_what_the_handlers_answer_now

The cases' expectations (status, error, states entered) live in ``CASES``; the tests run each case on LocalStack's
interpreter and on moto's.
"""

from __future__ import annotations

import contextlib
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws

from photobooth import wiring
from photobooth.errors import ModelThrottled
from photobooth.local import moto_patches
from photobooth.local.engine import FUNCTIONS, MOTO_CONFIG, LocalCloud
from photobooth.local.runs import settle
from photobooth.ports import ModerationLabel
from tests.statemachine.interpreters import EVENT, MOCK_CONFIG, STATE_MACHINE_NAME
from tests.support import portraits

REQUEST_ID = "mock-request-1"
PHOTO_KEY = EVENT["detail"]["object"]["key"]  # photo/mock-request-1/visitor.jpg
THEMES = LocalCloud().default_themes


@dataclass(frozen=True)
class Case:
    """What one mock-config test case must do on every interpreter."""

    mocks: dict[str, str]  # state -> mocked response
    status: str
    error: str | None
    entered: tuple[str, ...]
    not_entered: tuple[str, ...]
    attempts: dict[str, int] = field(default_factory=dict)  # state outside the Map -> how many times it ran


CLAIMED = {"Claim the request": "ClaimGranted", "Book the model calls": "SlotsBooked"}
DETECTED = CLAIMED | {"Detect faces": "OneFaceFound", "Cut out the people": "MaskMade"}
CASES: dict[str, Case] = {
    "HappyPath": Case(
        DETECTED | {"Generate image": "ImageMade", "Record the result": "RecordedSucceeded"},
        "SUCCEEDED",
        None,
        ("Generate image", "Images are ready"),
        ("Note the failed image", "Record the failure"),
    ),
    "NoFace": Case(
        CLAIMED | {"Detect faces": "NoFaceDetected", "Record the failure": "FailureRecorded"},
        "FAILED",
        "NoFaceDetected",
        ("Record the failure", "Photo could not be processed"),
        ("Cut out the people", "Mark the request failed"),
    ),
    "InvalidImage": Case(
        CLAIMED | {"Detect faces": "InvalidImage", "Record the failure": "FailureRecorded"},
        "FAILED",
        "InvalidImage",
        ("Record the failure", "Photo could not be processed"),
        ("Cut out the people",),
    ),
    "PhotoRefusedByModeration": Case(
        CLAIMED | {"Detect faces": "PhotoRefused", "Record the failure": "FailureRecorded"},
        "FAILED",
        "PhotoRejected",
        ("Record the failure", "Photo could not be processed"),
        ("Cut out the people", "Generate image"),
        {"Detect faces": 1},  # a refusal is final: no retry
    ),
    "OneThemeFails": Case(
        DETECTED | {"Generate image": "SecondImageCrashes", "Record the result": "RecordedPartial"},
        "SUCCEEDED",
        None,
        ("Note the failed image", "Images are ready"),
        ("Record the failure",),
    ),
    "ThrottledThenSucceeds": Case(
        DETECTED | {"Generate image": "ThrottledOnceThenMade", "Record the result": "RecordedSucceeded"},
        "SUCCEEDED",
        None,
        ("Images are ready",),
        ("Note the failed image",),
    ),
    "LambdaThrottledThenSucceeds": Case(
        DETECTED
        | {"Detect faces": "LambdaThrottledOnce"}
        | {"Generate image": "ImageMade", "Record the result": "RecordedSucceeded"},
        "SUCCEEDED",
        None,
        ("Images are ready",),
        ("Record the failure",),
        {"Detect faces": 2},
    ),
    "GenerateTimesOut": Case(
        DETECTED | {"Generate image": "SecondImageTimesOut", "Record the result": "RecordedPartial"},
        "SUCCEEDED",
        None,
        ("Note the failed image", "Images are ready"),
        ("Record the failure",),
    ),
    "DuplicateEvent": Case(
        {"Claim the request": "AlreadyClaimed", "Was the request erased?": "ClaimedByAnotherRun"},
        "SUCCEEDED",
        None,
        ("Was the request erased?", "Ignore the repeated event"),
        ("Detect faces", "Delete the late upload", "Record the failure"),
    ),
    "LateUploadAfterErasure": Case(
        {
            "Claim the request": "AlreadyClaimed",
            "Was the request erased?": "ErasedRecord",
            "Delete the late upload": "LateUploadDeleted",
        },
        "SUCCEEDED",
        None,
        ("Delete the late upload", "Ignore the repeated event"),
        ("Detect faces", "Record the failure"),
    ),
    "ModelFallback": Case(
        DETECTED | {"Generate image": "ImageMadeByFallbackModel", "Record the result": "RecordedSucceeded"},
        "SUCCEEDED",
        None,
        ("Images are ready",),
        ("Note the failed image", "Record the failure"),
    ),
    "FinalizeFailsForever": Case(
        DETECTED
        | {
            "Generate image": "ImageMade",
            "Record the result": "FinalizeCrashes",
            "Mark the request failed": "MarkedFailed",
        },
        "FAILED",
        "OutcomeNotRecorded",
        ("Mark the request failed", "The outcome could not be recorded"),
        ("Images are ready",),
        {"Record the result": 4},
    ),
    "FailureNotRecorded": Case(
        CLAIMED
        | {
            "Detect faces": "NoFaceDetected",
            "Record the failure": "FinalizeCrashes",
            "Mark the request failed": "MarkedFailed",
        },
        "FAILED",
        "OutcomeNotRecorded",
        ("Record the failure", "Mark the request failed", "The outcome could not be recorded"),
        ("Photo could not be processed", "Cut out the people"),
        {"Record the failure": 4},
    ),
    "RecordAlreadyFinished": Case(
        DETECTED
        | {"Generate image": "ImageMade", "Record the result": "FinalizeCrashes"}
        | {"Mark the request failed": "RecordNoLongerProcessing"},
        "FAILED",
        "OutcomeNotRecorded",
        ("Mark the request failed", "The outcome could not be recorded"),
        ("Images are ready",),
        {"Mark the request failed": 1},  # a refused condition is not retried
    ),
    # On AWS, States.ALL does not catch States.Runtime: an answer without a field the ResultSelector selects fails
    # the execution at once, past every Catch (the execution-status rule then closes the request).
    "DetectionAnswerLacksAField": Case(
        CLAIMED | {"Detect faces": "MalformedDetectionWithoutSourceKey"},
        "FAILED",
        "States.Runtime",
        ("Detect faces",),
        ("Record the failure", "Cut out the people", "Mark the request failed"),
    ),
}
# Deliberately broken answers: the field test checks they do lack a field the definition selects.
MALFORMED_PREFIX = "Malformed"


# --- what the handlers answer ---------------------------------------------------------------------------------------


@dataclass
class Answer:
    state: str
    ok: bool
    body: dict

    def mocked(self) -> dict:
        """As Step Functions Local's MockConfigFile gives it back: a Lambda invoke's result, or the error Lambda
        reports (``errorType`` as the error; the payload, less its machine-specific stack trace, as the cause)."""
        if self.ok:
            return {"Return": {"StatusCode": 200, "Payload": self.body}}
        cause = {key: value for key, value in self.body.items() if key != "stackTrace"}
        return {"Throw": {"Error": self.body["errorType"], "Cause": json.dumps(cause)}}


def _state_for(function: str, payload: dict) -> str:
    folder = FUNCTIONS[function.rsplit(":", 1)[-1]]
    if folder == "finalize":
        if payload.get("lateUpload"):
            return "Delete the late upload"
        return "Record the failure" if "error" in payload else "Record the result"
    if folder == "generate" and payload.get("action") == "book":
        return "Book the model calls"
    return {"detect_face": "Detect faces", "segment": "Cut out the people", "generate": "Generate image"}[folder]


class RefusingModerator:
    """Refuses every photo, as Rekognition's moderation labels would for one the booth does not show."""

    def moderation_labels(self, image: object) -> list[ModerationLabel]:
        return [ModerationLabel(name="Graphic Violence", ancestors=("Violence",), confidence=93.0)]


class FailingGenerator:
    """The offline generator, except that ``fail(theme, attempt)`` may raise instead."""

    def __init__(self, fail: Callable[[str, int], None]) -> None:
        self.inner = wiring.image_generator()
        self.fail = fail
        self.calls: dict[str, int] = {}
        self._lock = threading.Lock()

    def generate(self, image: Any, person_mask: Any, theme: Any, seed: int) -> Any:
        with self._lock:
            attempt = self.calls[theme.name] = self.calls.get(theme.name, 0) + 1
        self.fail(theme.name, attempt)
        return self.inner.generate(image, person_mask, theme, seed)


def _crash_second_theme(theme: str, attempt: int) -> None:
    if theme == THEMES[1]:
        raise RuntimeError("model crashed")


def _throttle_first_theme_once(theme: str, attempt: int) -> None:
    if theme == THEMES[0] and attempt == 1:
        raise ModelThrottled("the image model is throttled")


@dataclass
class Scenario:
    photo: Callable[[], bytes]
    wiring: dict[str, Callable[[], object]] = field(default_factory=dict)
    tombstone: bool = False  # the visitor erased the request before the upload arrived


SCENARIOS: dict[str, Scenario] = {
    "portrait": Scenario(lambda: portraits.jpeg_bytes(portraits.astronaut())),
    "no_face": Scenario(lambda: portraits.jpeg_bytes(portraits.cat())),
    "not_an_image": Scenario(lambda: b"this is a text file, not a photo"),
    "refused": Scenario(lambda: portraits.jpeg_bytes(portraits.astronaut()), {"moderator": RefusingModerator}),
    "crash": Scenario(
        lambda: portraits.jpeg_bytes(portraits.astronaut()),
        {"image_generator": lambda: FailingGenerator(_crash_second_theme)},
    ),
    "throttled": Scenario(
        lambda: portraits.jpeg_bytes(portraits.astronaut()),
        {"image_generator": lambda: FailingGenerator(_throttle_first_theme_once)},
    ),
    "late_upload": Scenario(lambda: portraits.jpeg_bytes(portraits.astronaut()), tombstone=True),
}


@contextlib.contextmanager
def _embedded_cloud() -> Iterator[LocalCloud]:
    """The embedded AWS of tests/support/cloud.py's ``cloud`` fixture, usable outside a test (the script)."""
    with pytest.MonkeyPatch.context() as patch, mock_aws(config=MOTO_CONFIG):
        patch.setenv("PHOTOBOOTH_BACKEND", "offline")
        patch.setenv("POWERTOOLS_LOG_LEVEL", "ERROR")
        patch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
        for key, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}.items():
            patch.setenv(key, value)
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        local = LocalCloud()
        local.provision()
        for key, value in local.environment().items():
            patch.setenv(key, value)
        wiring.reset()
        moto_patches.set_retry_sleep(lambda seconds: None)  # back-offs are not waited out
        try:
            yield local
        finally:
            settle(timeout=30)
            moto_patches.set_retry_sleep(None)
            wiring.reset()


def _run(local: LocalCloud, scenario: Scenario) -> list[Answer]:
    answers: list[Answer] = []
    lock = threading.Lock()
    original = moto_patches.invoke_function

    def recording(function: str, payload: dict) -> tuple[bool, dict]:
        ok, body = original(function, payload)
        with lock:
            answers.append(Answer(_state_for(function, payload), ok, body))
        return ok, body

    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    dynamodb.delete_item(TableName=local.table, Key={"requestId": {"S": REQUEST_ID}})
    if scenario.tombstone:
        dynamodb.put_item(TableName=local.table, Item={"requestId": {"S": REQUEST_ID}, "status": {"S": "ERASED"}})
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    before = len(sfn.list_executions(stateMachineArn=local.state_machine_arn)["executions"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(moto_patches, "invoke_function", recording)
        for name, build in scenario.wiring.items():
            made = build()
            patch.setattr(wiring, name, lambda made=made: made)
        boto3.client("s3", region_name="us-east-1").put_object(
            Bucket=local.bucket, Key=PHOTO_KEY, Body=scenario.photo(), ContentType="image/jpeg"
        )
        deadline = time.monotonic() + 120
        while True:
            listed = sfn.list_executions(stateMachineArn=local.state_machine_arn)["executions"]
            if len(listed) > before and all(e["status"] != "RUNNING" for e in listed):
                break
            assert time.monotonic() < deadline, "the workflow did not finish within 120 s"
            time.sleep(0.1)
        settle(timeout=30)
    return answers


def handler_answers() -> dict[str, list[Answer]]:
    """Each scenario's handler answers, in the order the handlers gave them."""
    with _embedded_cloud() as local:
        return {name: _run(local, scenario) for name, scenario in SCENARIOS.items()}


# --- the file -------------------------------------------------------------------------------------------------------


def _one(answers: list[Answer], state: str, *, ok: bool = True, index: int | None = None) -> Answer:
    found = [
        a
        for a in answers
        if a.state == state and a.ok == ok and (index is None or not ok or a.body.get("index") == index)
    ]
    assert found, f"no {'answer' if ok else 'failure'} from {state!r} (index {index}) in {answers}"
    return found[0]


def _images(answers: list[Answer]) -> list[dict]:
    """The generate step's answers for themes 1..n, in theme order (the mocks answer in call order)."""
    return [_one(answers, "Generate image", index=i).mocked() for i in range(1, len(THEMES) + 1)]


def _numbered(responses: list[dict]) -> dict[str, dict]:
    return {str(attempt): response for attempt, response in enumerate(responses)}


def _past_slots(calls: int) -> list[dict]:
    from photobooth import pacing

    return pacing.slots(pacing.Booking(first=1_767_225_600.0, last=1_767_225_600.0 + 15.0 * (calls - 1)), calls, 4.0)


def _throw(error: str, cause: str) -> dict:
    return {"Throw": {"Error": error, "Cause": cause}}


def build_mock_config(answers: dict[str, list[Answer]]) -> dict:
    portrait, crash, throttled = answers["portrait"], answers["crash"], answers["throttled"]
    detection = _one(portrait, "Detect faces").mocked()
    images = _images(portrait)
    malformed = json.loads(json.dumps(detection))
    del malformed["Return"]["Payload"]["sourceKey"]
    # Lambda's own errors, which no handler answers: the names Step Functions reports for them
    # (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html).
    lambda_throttled = _throw("Lambda.TooManyRequestsException", "Rate Exceeded. (Service: Lambda, Status Code: 429)")
    finalize_crashes = _throw("Lambda.ServiceException", "The finalize function failed on every attempt")
    # The generate function running past its own timeout (300 s, infra/photobooth_infra/constants.py): Lambda ends
    # it and answers the function error Sandbox.Timedout
    # (https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-invocation.html). Not States.Timeout: that is the
    # Task's own TimeoutSeconds, which Generate image does not set, and a name no task may report (the "States."
    # prefix is reserved; both interpreters refuse a mocked one).
    timed_out = _throw(
        "Sandbox.Timedout",
        json.dumps({"errorType": "Sandbox.Timedout", "errorMessage": "Error: Task timed out after 300.00 seconds"}),
    )
    claim_refused = _throw("DynamoDB.ConditionalCheckFailedException", "The conditional request failed")
    responses = {
        # DynamoDB's answers (no handler): the claim's ALL_NEW record, the refused condition, the status read back.
        "ClaimGranted": _numbered(
            [
                {
                    "Return": {
                        "Attributes": {
                            "requestId": {"S": REQUEST_ID},
                            "status": {"S": "PROCESSING"},
                            "themeList": {"S": ",".join(THEMES)},
                        }
                    }
                }
            ]
        ),
        "AlreadyClaimed": _numbered([claim_refused]),
        "ClaimedByAnotherRun": _numbered([{"Return": {"Item": {"status": {"S": "PROCESSING"}}}}]),
        "ErasedRecord": _numbered([{"Return": {"Item": {"status": {"S": "ERASED"}}}}]),
        "MarkedFailed": _numbered([{"Return": {}}]),
        # The booking's answer by hand: its slots are clock times, so the recorded ones would differ at every run.
        # Fixed slots in the past, one interval apart: each Wait passes at once.
        "SlotsBooked": _numbered([{"Return": {"StatusCode": 200, "Payload": {"slots": _past_slots(len(THEMES))}}}]),
        "RecordNoLongerProcessing": _numbered([claim_refused]),
        # The handlers' answers.
        "OneFaceFound": _numbered([detection]),
        "LambdaThrottledOnce": _numbered([lambda_throttled, detection]),
        MALFORMED_PREFIX + "DetectionWithoutSourceKey": _numbered([malformed]),
        "NoFaceDetected": _numbered([_one(answers["no_face"], "Detect faces", ok=False).mocked()]),
        "InvalidImage": _numbered([_one(answers["not_an_image"], "Detect faces", ok=False).mocked()]),
        "PhotoRefused": _numbered([_one(answers["refused"], "Detect faces", ok=False).mocked()]),
        "MaskMade": _numbered([_one(portrait, "Cut out the people").mocked()]),
        "ImageMade": _numbered(images),
        # The fallback happens inside the generate function (its Bedrock adapter tries the configured models in
        # order): the workflow sees the same answer.
        "ImageMadeByFallbackModel": _numbered(images),
        "SecondImageCrashes": _numbered([images[0], _one(crash, "Generate image", ok=False).mocked(), images[2]]),
        "SecondImageTimesOut": _numbered([images[0], timed_out, images[2]]),
        "ThrottledOnceThenMade": _numbered([_one(throttled, "Generate image", ok=False).mocked(), *images]),
        "RecordedSucceeded": _numbered([_one(portrait, "Record the result").mocked()]),
        "RecordedPartial": _numbered([_one(crash, "Record the result").mocked()]),
        "FailureRecorded": _numbered([_one(answers["no_face"], "Record the failure").mocked()]),
        "LateUploadDeleted": _numbered([_one(answers["late_upload"], "Delete the late upload").mocked()]),
        "FinalizeCrashes": {"0-3": finalize_crashes},
    }
    return {
        "StateMachines": {
            STATE_MACHINE_NAME: {"TestCases": {name: dict(case.mocks) for name, case in CASES.items()}}
        },
        "MockedResponses": responses,
    }


def render(config: dict) -> str:
    return json.dumps(config, indent=2) + "\n"


def main(argv: list[str]) -> int:
    text = render(build_mock_config(handler_answers()))
    if "--check" in argv:
        if MOCK_CONFIG.read_text() != text:
            print(f"{MOCK_CONFIG} differs from what the handlers answer now: run scripts/regenerate-mock-config")
            return 1
        return 0
    MOCK_CONFIG.write_text(text)
    print(f"wrote {MOCK_CONFIG}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
