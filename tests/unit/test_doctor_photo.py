"""``photobooth doctor --photo``: one photo through a booth API as a pad sends it.

The API is a small ``http.server`` on 127.0.0.1 that answers like the deployed one (CONTRACT.md: ``POST /upload``,
the presigned ``PUT``, ``GET /photo/{id}`` with progressive results, the result URLs); the status table, the
execution history and the generate function's logs are botocore Stubbers.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from botocore.stub import ANY
from PIL import Image

from photobooth.doctor import run_doctor
from photobooth.doctor.deployment import Deployment, GenerateFunction
from photobooth.doctor.photo import PhotoRunSettings, UrllibHttp, run_photo
from tests.support import portraits
from tests.unit.test_doctor import (
    ACCOUNT,
    BOOTH_KEY,
    LOG_GROUP,
    NOW,
    PROFILE,
    SECRET,
    STACK,
    STACK_REGION,
    TABLE,
    Scenario,
    StubbedClients,
    queue,
)

REQUEST_ID = "doctor-0123456789abcdef"
EXECUTION = f"arn:aws:states:{STACK_REGION}:{ACCOUNT}:execution:Workflow-abc:{REQUEST_ID}"
SIGNATURE = "X-Amz-Signature=0123456789abcdef"
FAST = PhotoRunSettings(wait_seconds=10.0, poll_seconds=0.01, log_wait_seconds=5.0)


def jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


@dataclass
class FakeBooth:
    """What the booth API and the bucket answer; records what the "pad" sent."""

    terminal_status: dict = field(default_factory=dict)
    polls_before_terminal: int = 2
    uploads: list[dict] = field(default_factory=list)
    puts: list[tuple[str, bytes]] = field(default_factory=list)
    polls: int = 0
    erased: list[str] = field(default_factory=list)
    url: str = ""


RESULT = jpeg(Image.new("RGB", (64, 48), (30, 120, 200)))


def _handler(booth: FakeBooth) -> type[BaseHTTPRequestHandler]:

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: object) -> None:
            pass

        def _answer(self, status: int, body: bytes, content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, value: object) -> None:
            self._answer(status, json.dumps(value).encode())

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.path != "/upload":
                return self._json(404, {"message": "no such route"})
            if self.headers.get("x-booth-key") != BOOTH_KEY:
                return self._json(403, {"message": "Forbidden"})
            request = json.loads(body)
            booth.uploads.append(request)
            key = f"photo/{REQUEST_ID}/{request['filename']}"
            return self._json(
                200,
                {
                    "requestId": REQUEST_ID,
                    "Bucket": "bucket",
                    "Key": key,
                    "Expires": 300,
                    "ContentType": request["contentType"],
                    "UploadURL": f"{booth.url}/bucket/{key}?{SIGNATURE}",
                    "statusUrl": f"/photo/{REQUEST_ID}",
                },
            )

        def do_PUT(self) -> None:
            data = self.rfile.read(int(self.headers["Content-Length"]))
            booth.puts.append((self.headers["Content-Type"], data))
            self._answer(200, b"", "text/plain")

        def do_DELETE(self) -> None:
            booth.erased.append(self.path)
            self._answer(204, b"", "text/plain")

        def do_GET(self) -> None:
            if self.path == f"/photo/{REQUEST_ID}":
                booth.polls += 1
                if booth.polls <= booth.polls_before_terminal:
                    return self._json(200, {"requestId": REQUEST_ID, "status": "PROCESSING", "url_generated": []})
                return self._json(200, {"requestId": REQUEST_ID, **booth.terminal_status})
            if self.path.startswith("/bucket/generated/"):
                return self._answer(200, RESULT, "image/jpeg")
            return self._json(404, {"message": "not found"})

    return Handler


@pytest.fixture
def booth() -> Iterator[FakeBooth]:
    state = FakeBooth()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "portrait.jpg"
    path.write_bytes(jpeg(portraits.astronaut()))
    return path


def succeeded(booth: FakeBooth) -> dict:
    urls = [f"{booth.url}/bucket/generated/{REQUEST_ID}/photo_doctor_{i}.jpeg?{SIGNATURE}" for i in (1, 2)]
    return {
        "status": "SUCCEEDED",
        "time_taken": 21.4,
        "images": [
            {"index": i, "theme": theme, "status": "SUCCEEDED", "url": url}
            for i, theme, url in [(1, "forest", urls[0]), (2, "beach", urls[1])]
        ],
        "url_generated": urls,
    }


def history() -> list[dict]:
    def event(event_id: int, previous: int, kind: str, name: str, second: float) -> dict:
        details = "stateEnteredEventDetails" if kind.endswith("Entered") else "stateExitedEventDetails"
        return {
            "id": event_id,
            "previousEventId": previous,
            "type": kind,
            "timestamp": NOW + timedelta(seconds=second),
            details: {"name": name},
        }

    return [
        {"id": 1, "previousEventId": 0, "type": "ExecutionStarted", "timestamp": NOW},
        event(2, 1, "TaskStateEntered", "Detect faces", 0.1),
        event(3, 2, "TaskStateExited", "Detect faces", 1.3),
        event(4, 3, "TaskStateEntered", "Cut out the people", 1.3),
        event(5, 4, "TaskStateExited", "Cut out the people", 2.1),
        event(6, 5, "MapStateEntered", "Generate one image per theme", 2.1),
        event(7, 6, "TaskStateEntered", "Generate image", 2.2),
        event(8, 6, "TaskStateEntered", "Generate image", 2.2),
        event(9, 8, "TaskStateExited", "Generate image", 14.2),
        event(10, 7, "TaskStateExited", "Generate image", 17.2),
        event(11, 10, "MapStateExited", "Generate one image per theme", 17.3),
        event(12, 11, "TaskStateEntered", "Record the result", 17.3),
        event(13, 12, "TaskStateExited", "Record the result", 17.6),
    ]


def queue_photo_run(clients: StubbedClients, *, generated: list[tuple[int, str]], log_pages: int = 2) -> None:
    """The status record, the execution history and the generate logs that a --photo run reads."""
    clients.stub("dynamodb").add_response(
        "get_item",
        {"Item": {"executionArn": {"S": EXECUTION}}},
        {
            "TableName": TABLE,
            "Key": {"requestId": {"S": REQUEST_ID}},
            "ProjectionExpression": "executionArn",
            "ConsistentRead": True,
        },
    )
    clients.stub("stepfunctions").add_response(
        "get_execution_history",
        {"events": history()},
        {"executionArn": EXECUTION, "maxResults": 1000, "includeExecutionData": False},
    )
    logs = clients.stub("logs")
    pattern = f'{{ ($.requestId = "{REQUEST_ID}") && ($.outcome = "generated") }}'
    # Logs lag: the first read sees one image, the next one both.
    for seen in range(1, log_pages + 1):
        events = [
            {
                "logStreamName": "2026/11/30/[$LATEST]abc",
                "timestamp": 1,
                "message": json.dumps(
                    {
                        "level": "INFO",
                        "message": "Bedrock generated an image",
                        "requestId": REQUEST_ID,
                        "index": index,
                        "model_id": model,
                        "outcome": "generated",
                    }
                ),
            }
            for index, model in generated[:seen]
        ]
        logs.add_response(
            "filter_log_events",
            {"events": events},
            {"logGroupName": LOG_GROUP, "filterPattern": pattern, "startTime": ANY},
        )


def test_a_photo_runs_through_the_api_as_a_pad_sends_it(
    booth: FakeBooth, photo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    booth.terminal_status = succeeded(booth)
    clients = StubbedClients()
    scenario = Scenario(
        booth_url=booth.url,
        cors_rules=[
            {"AllowedMethods": ["PUT"], "AllowedOrigins": [booth.url], "AllowedHeaders": ["Content-Type"]},
            {"AllowedMethods": ["GET"], "AllowedOrigins": [booth.url]},
        ],
    )
    queue(scenario, clients)
    clients.stub("secretsmanager").add_response(
        "get_secret_value", {"Name": SECRET, "SecretString": BOOTH_KEY}, {"SecretId": SECRET}
    )
    queue_photo_run(clients, generated=[(1, PROFILE), (2, "amazon.titan-image-generator-v2:0")])

    code = run_doctor(stack_name=STACK, clients=clients, photo=photo, now=NOW, photo_settings=FAST)

    out = capsys.readouterr().out
    assert code == 0, out
    clients.assert_all_called()
    # Exactly what the pad sends: the booth key, the content type and length, then the bytes themselves.
    data = photo.read_bytes()
    assert booth.uploads == [
        {"type": "photo", "filename": "doctor.jpg", "contentType": "image/jpeg", "contentLength": len(data)}
    ]
    assert booth.puts == [("image/jpeg", data)]
    assert booth.polls == 3
    assert f"✔ photo: upload: request {REQUEST_ID}, {len(data)} bytes" in out
    assert "✔ photo: processed: SUCCEEDED in" in out
    assert "(time_taken 21.4 s, 2 of 2 images)" in out
    assert "✔ photo: erased: the photo, its results and its status record are gone" in out
    assert booth.erased == [f"/photo/{REQUEST_ID}"]
    assert f"✔ photo: results downloadable: 2 JPEGs ({len(RESULT):,} bytes, {len(RESULT):,} bytes)" in out
    lines = out.splitlines()
    steps = lines[lines.index("  step durations (workflow execution history):") + 1 :][:6]
    assert [line.split()[-2] for line in steps] == ["1.2", "0.8", "15.2", "12.0", "15.0", "0.3"]
    assert steps[0].strip().startswith("Detect faces")
    assert "    image 1: us.stability.stable-image-inpaint-v1:0" in lines
    assert "    image 2: amazon.titan-image-generator-v2:0" in lines
    # Presigned URLs are credentials, and the booth key is a secret: neither is printed.
    assert SIGNATURE not in out
    assert BOOTH_KEY not in out


def _deployment(booth: FakeBooth) -> Deployment:
    return Deployment(
        stack_name=STACK,
        region=STACK_REGION,
        outputs={
            "BoothUrl": booth.url,
            "BoothKeySecret": SECRET,
            "BucketName": "bucket",
            "StatusTableName": TABLE,
            "StateMachineArn": "arn",
        },
        alarm_names=(),
        generate=GenerateFunction(
            name="generate",
            arn=f"arn:aws:lambda:{STACK_REGION}:{ACCOUNT}:function:generate",
            role_arn=f"arn:aws:iam::{ACCOUNT}:role/generate",
            log_group=LOG_GROUP,
            model_ids=(PROFILE,),
            bedrock_region="us-east-1",
            segmentation_backend="grabcut",
            sam_endpoint_name="photobooth-sam",
        ),
    )


def _run(booth: FakeBooth, photo: Path, clients: StubbedClients, *, booth_key: str = BOOTH_KEY) -> list[str]:
    report = run_photo(
        photo,
        _deployment(booth),
        booth_key=booth_key,
        http=UrllibHttp(timeout=5),
        dynamodb=clients.client("dynamodb"),
        stepfunctions=clients.client("stepfunctions"),
        logs=clients.client("logs"),
        settings=FAST,
    )
    clients.assert_all_called()
    return [check.render() for check in report.checks]


def test_a_failed_photo_fails_with_its_error_and_still_reports_the_step_durations(
    booth: FakeBooth, photo: Path
) -> None:
    booth.terminal_status = {
        "status": "FAILED",
        "time_taken": 40.2,
        "images": [{"index": 1, "theme": "forest", "status": "FAILED", "error": {"code": "GENERATION_FAILED"}}],
        "url_generated": [],
        "error": {"code": "GENERATION_FAILED", "message": "No image could be made."},
    }
    clients = StubbedClients()
    queue_photo_run(clients, generated=[], log_pages=0)

    upload, processed, results, erased = _run(booth, photo, clients)

    assert upload.startswith("✔ photo: upload")
    assert processed.startswith("✘ photo: processed: FAILED in")
    assert "GENERATION_FAILED: No image could be made.; image 1: GENERATION_FAILED" in processed
    assert (
        "fix: NO_FACE: use a photo with a clearly visible face. Otherwise read the generate function's logs"
        in processed
    )
    assert results.startswith("✘ photo: results downloadable: no result URL")
    assert erased.startswith("✔ photo: erased")


def test_a_refused_booth_key_fails_at_the_upload(booth: FakeBooth, photo: Path) -> None:
    clients = StubbedClients()
    for service in ("dynamodb", "stepfunctions", "logs"):
        clients.stub(service)

    (upload,) = _run(booth, photo, clients, booth_key="wrong")

    assert upload.startswith('✘ photo: upload: POST /upload answered 403: {"message": "Forbidden"}')
    assert "fix: the booth key was refused" in upload
    assert booth.puts == []
    assert booth.erased == []  # nothing was created


def test_a_photo_that_never_finishes_fails_after_the_bounded_wait(booth: FakeBooth, photo: Path) -> None:
    booth.polls_before_terminal = 10**6
    clients = StubbedClients()
    clients.stub("dynamodb").add_response("get_item", {})
    clients.stub("stepfunctions")
    clients.stub("logs")

    report = run_photo(
        photo,
        _deployment(booth),
        booth_key=BOOTH_KEY,
        http=UrllibHttp(timeout=5),
        dynamodb=clients.client("dynamodb"),
        stepfunctions=clients.client("stepfunctions"),
        logs=clients.client("logs"),
        settings=PhotoRunSettings(wait_seconds=0.3, poll_seconds=0.01, log_wait_seconds=0.1),
    )

    upload, processed, erased = (check.render() for check in report.checks)
    assert upload.startswith("✔ photo: upload")
    assert processed.startswith("✘ photo: processed: still PROCESSING after 0.3 s")
    assert "Step Functions console" in processed
    assert erased.startswith("✔ photo: erased")  # erasure wins over a run in flight
    assert report.notes == ["the status record names no workflow execution (the workflow never claimed the upload)"]


def test_a_file_that_is_not_a_photo_is_refused_before_any_request(booth: FakeBooth, tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a photo")
    clients = StubbedClients()
    for service in ("dynamodb", "stepfunctions", "logs"):
        clients.stub(service)

    (refused,) = _run(booth, text, clients)

    assert refused.startswith(f"✘ photo: {text} is neither JPEG nor PNG")
    assert booth.uploads == []
