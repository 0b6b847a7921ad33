"""``doctor --photo``: one photo through the deployed booth exactly as a pad sends it, then where the time went.

The pad's sequence (web/ and CONTRACT.md): ``POST /upload`` with the booth key, ``PUT`` the bytes to the presigned
URL, poll ``GET /photo/{id}`` until a terminal status, fetch the result URLs; at the end the photo is erased with
``DELETE /photo/{id}`` as a visitor may do. Before that, the status record names the workflow execution; its
history gives each step's duration, and the generate function's structured logs (the ``requestId`` key and the
``model_id`` of the "generated" outcome, photobooth.aws.bedrock) say which model made each image. Presigned URLs
are never printed: their query strings are credentials.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urljoin

from botocore.exceptions import ClientError

from photobooth.doctor.deployment import Deployment
from photobooth.doctor.results import CheckResult, client_error_message

BOOTH_KEY_HEADER = "x-booth-key"  # infra/photobooth_infra/constants.py
_TERMINAL = frozenset({"SUCCEEDED", "PARTIAL", "FAILED"})
_CONTENT_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
_TIMED_STATE_KINDS = ("Task", "Map")


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")


class HttpClient(Protocol):
    def request(
        self, method: str, url: str, *, body: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> HttpResponse: ...


class UrllibHttp:
    """The standard library's HTTP client; an error status is an answer, not an exception."""

    def __init__(self, timeout: float = 30.0) -> None:
        self.timeout = timeout

    def request(
        self, method: str, url: str, *, body: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> HttpResponse:
        request = urllib.request.Request(url, data=body, method=method, headers=dict(headers or {}))
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return HttpResponse(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return HttpResponse(error.code, dict(error.headers), error.read())


@dataclass(frozen=True)
class StepDuration:
    state: str
    seconds: float


@dataclass
class PhotoReport:
    checks: list[CheckResult] = field(default_factory=list)
    steps: list[StepDuration] = field(default_factory=list)
    models: dict[int, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out: list[str] = []
        if self.steps:
            out.append("  step durations (workflow execution history):")
            width = max(len(s.state) for s in self.steps)
            out += [f"    {s.state:<{width}}  {s.seconds:6.1f} s" for s in self.steps]
        if self.models:
            out.append("  model that made each image (generate function's logs):")
            out += [f"    image {index}: {model}" for index, model in sorted(self.models.items())]
        out += [f"  {note}" for note in self.notes]
        return out


@dataclass(frozen=True)
class PhotoRunSettings:
    wait_seconds: float = 180.0
    poll_seconds: float = 2.0
    log_wait_seconds: float = 30.0


DEFAULT_PHOTO_RUN = PhotoRunSettings()


def content_type_of(data: bytes) -> str | None:
    return next((ctype for magic, ctype in _CONTENT_TYPES.items() if data.startswith(magic)), None)


def run_photo(
    photo: Path,
    deployment: Deployment,
    *,
    booth_key: str,
    http: HttpClient,
    dynamodb: Any,
    stepfunctions: Any,
    logs: Any,
    settings: PhotoRunSettings = DEFAULT_PHOTO_RUN,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    wall_clock: Callable[[], float] = time.time,
) -> PhotoReport:
    report = PhotoReport()
    if not photo.is_file():
        report.checks.append(CheckResult.failed("photo", f"{photo} is not a file", "pass a JPEG or PNG portrait"))
        return report
    data = photo.read_bytes()
    content_type = content_type_of(data)
    if content_type is None:
        report.checks.append(
            CheckResult.failed("photo", f"{photo} is neither JPEG nor PNG", "pass a JPEG or PNG portrait")
        )
        return report
    api = deployment.booth_url
    key_header = {BOOTH_KEY_HEADER: booth_key}
    started_ms = int(wall_clock() * 1000)
    started = clock()

    # 1. POST /upload
    filename = "doctor" + (".jpg" if content_type == "image/jpeg" else ".png")
    upload_request = {"type": "photo", "filename": filename, "contentType": content_type, "contentLength": len(data)}
    try:
        answer = http.request(
            "POST",
            f"{api}/upload",
            body=json.dumps(upload_request).encode(),
            headers={"content-type": "application/json", **key_header},
        )
    except OSError as error:
        report.checks.append(_unreachable("upload", api, error))
        return report
    if answer.status != 200:
        report.checks.append(_upload_refused(answer))
        return report
    upload = answer.json()
    request_id = upload["requestId"]

    # 2. PUT the bytes
    try:
        put = http.request(
            "PUT",
            upload["UploadURL"],
            body=data,
            headers={"content-type": content_type, "content-length": str(len(data))},
        )
    except OSError as error:
        report.checks += [_unreachable("upload", "the bucket", error), _erase(http, f"{api}/photo/{request_id}")]
        return report
    if put.status not in (200, 204):
        report.checks.append(
            CheckResult.failed(
                "photo: upload",
                f"the PUT to the presigned URL answered {put.status}",
                "check the bucket's CORS and the presign function's logs; a 307 means the URL uses S3's global "
                "host instead of the regional one",
            )
        )
        report.checks.append(_erase(http, f"{api}/photo/{request_id}"))
        return report
    report.checks.append(
        CheckResult.passed("photo: upload", f"request {request_id}, {len(data)} bytes in {clock() - started:.1f} s")
    )

    # 3. Poll GET /photo/{id} until terminal, as the pad does
    status = _poll(
        http,
        urljoin(f"{api}/", upload.get("statusUrl") or f"/photo/{request_id}"),
        key_header,
        settings,
        clock,
        sleep,
    )
    if isinstance(status, CheckResult):
        report.checks.append(status)
    else:
        report.checks.append(_outcome(status, clock() - started))
        report.checks.append(_fetch_results(http, status))

    # 4. Where the time went, and which model answered
    execution_arn = _execution_arn(dynamodb, deployment.status_table, request_id, report)
    if execution_arn:
        try:
            report.steps = step_durations(_history(stepfunctions, execution_arn))
        except ClientError as error:
            report.notes.append(f"execution history not readable: {client_error_message(error)}")
    succeeded = (
        0
        if isinstance(status, CheckResult)
        else sum(i.get("status") == "SUCCEEDED" for i in status.get("images", []))
    )
    if succeeded:
        report.models = _models_from_logs(
            logs, deployment.generate.log_group, request_id, succeeded, started_ms, settings, clock, sleep
        )
        if len(report.models) < succeeded:
            report.notes.append(
                f"the generate function's logs name the model of {len(report.models)} of {succeeded} images "
                f"(log group {deployment.generate.log_group}; logs can lag a minute)"
            )
    report.checks.append(_erase(http, f"{api}/photo/{request_id}"))
    return report


def _erase(http: HttpClient, status_url: str) -> CheckResult:
    """The doctor's photo is erased as a visitor would erase theirs (``DELETE /photo/{id}``, CONTRACT.md)."""
    name = "photo: erased"
    try:
        answer = http.request("DELETE", status_url)
    except OSError as error:
        return CheckResult.failed(name, str(error), "erase it by hand: curl -X DELETE <BoothUrl>/photo/<requestId>")
    if answer.status != 204:
        return CheckResult.failed(
            name,
            f"DELETE /photo/{{id}} answered {answer.status}",
            "read the status function's logs; erase the photo by hand: curl -X DELETE <BoothUrl>/photo/<requestId>",
        )
    return CheckResult.passed(name, "the photo, its results and its status record are gone")


def _unreachable(step: str, where: str, error: OSError) -> CheckResult:
    return CheckResult.failed(
        f"photo: {step}",
        f"{where} is unreachable: {error}",
        "check the BoothUrl output and your network; a new CloudFront distribution needs a few minutes",
    )


def _upload_refused(answer: HttpResponse) -> CheckResult:
    message = answer.body.decode("utf-8", "replace")[:200]
    if answer.status in (401, 403):
        fix = "the booth key was refused: check the BoothKeySecret output and the authorizer function's logs"
    else:
        fix = "read the presign function's logs in CloudWatch for this request"
    return CheckResult.failed("photo: upload", f"POST /upload answered {answer.status}: {message}", fix)


def _poll(
    http: HttpClient,
    url: str,
    headers: Mapping[str, str],
    settings: PhotoRunSettings,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> dict | CheckResult:
    deadline = clock() + settings.wait_seconds
    last = "no answer"
    while True:
        try:
            answer = http.request("GET", url, headers=headers)
            if answer.status == 200:
                status = answer.json()
                if status.get("status") in _TERMINAL:
                    return dict(status)
                last = str(status.get("status"))
            else:
                last = f"HTTP {answer.status}"
        except OSError as error:
            last = str(error)
        if clock() >= deadline:
            return CheckResult.failed(
                "photo: processed",
                f"still {last} after {settings.wait_seconds:g} s",
                "open the state machine's execution in the Step Functions console (StateMachineArn output) to see "
                "the step it waits in; no request may stay PROCESSING",
            )
        sleep(settings.poll_seconds)


def _outcome(status: dict, seconds: float) -> CheckResult:
    name = "photo: processed"
    images = status.get("images", [])
    outcome = status.get("status")
    took = f"time_taken {status['time_taken']} s, " if "time_taken" in status else ""
    made = sum(i.get("status") == "SUCCEEDED" for i in images)
    summary = f"{outcome} in {seconds:.1f} s ({took}{made} of {len(images)} images)"
    if outcome == "SUCCEEDED":
        return CheckResult.passed(name, summary)
    errors = [f"image {i.get('index')}: {i['error'].get('code')}" for i in images if isinstance(i.get("error"), dict)]
    if isinstance(status.get("error"), dict):
        errors.insert(0, f"{status['error'].get('code')}: {status['error'].get('message')}")
    fix = (
        "NO_FACE: use a photo with a clearly visible face. Otherwise read the generate function's logs for this "
        "requestId (each skipped model is logged with the service's message) and the failed model checks above"
    )
    return CheckResult.failed(name, f"{summary}; {'; '.join(errors) or 'no error reported'}", fix)


def _fetch_results(http: HttpClient, status: dict) -> CheckResult:
    name = "photo: results downloadable"
    urls = status.get("url_generated") or []
    if not urls:
        return CheckResult.failed(name, "no result URL in the status", "see the processing result above")
    sizes: list[int] = []
    for index, url in enumerate(urls, start=1):
        try:
            answer = http.request("GET", url)
        except OSError as error:
            return CheckResult.failed(name, f"result {index}: {error}", "check the bucket's and CloudFront's access")
        if answer.status != 200 or content_type_of(answer.body) != "image/jpeg":
            return CheckResult.failed(
                name,
                f"result {index} answered {answer.status} ({len(answer.body)} bytes, not a JPEG)",
                "check that the status function may read generated/ (s3:GetObject) and that the URL has not expired",
            )
        sizes.append(len(answer.body))
    return CheckResult.passed(name, f"{len(sizes)} JPEGs ({', '.join(f'{size:,} bytes' for size in sizes)})")


def _execution_arn(dynamodb: Any, table: str, request_id: str, report: PhotoReport) -> str | None:
    try:
        item = dynamodb.get_item(
            TableName=table,
            Key={"requestId": {"S": request_id}},
            ProjectionExpression="executionArn",
            ConsistentRead=True,
        ).get("Item", {})
    except ClientError as error:
        report.notes.append(f"status record not readable: {client_error_message(error)}")
        return None
    arn = item.get("executionArn", {}).get("S")
    if not arn:
        report.notes.append("the status record names no workflow execution (the workflow never claimed the upload)")
    return arn


def _history(stepfunctions: Any, execution_arn: str) -> list[dict]:
    events: list[dict] = []
    # Timestamps and state names only: the execution's data holds visitors' keys.
    kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000, "includeExecutionData": False}
    while True:
        page = stepfunctions.get_execution_history(**kwargs)
        events.extend(page.get("events", []))
        if not page.get("nextToken"):
            return events
        kwargs["nextToken"] = page["nextToken"]


def step_durations(events: list[dict]) -> list[StepDuration]:
    """Task and Map states from entry to exit, in the order they were entered.

    Map iterations run in parallel and interleave in the history, so an exit is paired with its own entry by
    following ``previousEventId`` back through its iteration."""
    by_id = {event["id"]: event for event in events}
    durations: list[tuple[datetime, StepDuration]] = []
    for event in events:
        kind, _, phase = event["type"].partition("State")
        if kind not in _TIMED_STATE_KINDS or phase != "Exited":
            continue
        state = event["stateExitedEventDetails"]["name"]
        entered = _entry_of(by_id, event, kind, state)
        if entered is not None:
            seconds = (event["timestamp"] - entered["timestamp"]).total_seconds()
            durations.append((entered["timestamp"], StepDuration(state, seconds)))
    return [step for _, step in sorted(durations, key=lambda pair: pair[0])]


def _entry_of(by_id: dict[int, dict], exited: dict, kind: str, state: str) -> dict | None:
    event = by_id.get(exited.get("previousEventId", 0))
    while event is not None:
        if event["type"] == f"{kind}StateEntered" and event["stateEnteredEventDetails"]["name"] == state:
            return event
        event = by_id.get(event.get("previousEventId", 0))
    return None


def _models_from_logs(
    logs: Any,
    log_group: str,
    request_id: str,
    expected: int,
    started_ms: int,
    settings: PhotoRunSettings,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> dict[int, str]:
    pattern = f'{{ ($.requestId = "{request_id}") && ($.outcome = "generated") }}'
    deadline = clock() + settings.log_wait_seconds
    models: dict[int, str] = {}
    while True:
        try:
            kwargs: dict[str, Any] = {"logGroupName": log_group, "filterPattern": pattern, "startTime": started_ms}
            while True:
                page = logs.filter_log_events(**kwargs)
                for event in page.get("events", []):
                    try:
                        record = json.loads(event["message"])
                        models[int(record["index"])] = str(record["model_id"])
                    except (ValueError, KeyError, TypeError):
                        continue  # a line the filter matched but that is not the generator's structured record
                if not page.get("nextToken"):
                    break
                kwargs["nextToken"] = page["nextToken"]
        except ClientError:
            return models
        if len(models) >= expected or clock() >= deadline:
            return models
        sleep(settings.poll_seconds)
