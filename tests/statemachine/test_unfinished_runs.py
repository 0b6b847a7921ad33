"""No request stays PROCESSING on the local server (CONTRACT.md): runs that end without recording their end, and
requests a stop interrupted, are failed FAILED/INTERNAL or resumed (photobooth.local.recovery)."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator

import boto3
import pytest
from moto.dynamodb.exceptions import MockValidationException
from moto.dynamodb.models import DynamoDBBackend

from photobooth.local import handlers
from photobooth.local.engine import load_handler
from tests.support import portraits

PROCESSING_ELSEWHERE = "arn:aws:states:us-east-1:123456789012:execution:photobooth:from-a-stopped-process"


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Lets hanging handlers go only after the recovery fixture stopped listening (fixtures end in reverse order)."""
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture
def generate_hangs(release, monkeypatch) -> threading.Event:
    """Every generate step hangs until the test ends; the event is set once a run is inside one. A test that stops
    a run waits for it: moto ends a run stopped in the middle of an earlier task FAILED, not ABORTED."""
    inside = threading.Event()

    def hanging(payload, context):
        inside.set()
        release.wait(timeout=60)
        raise TimeoutError("released by the test")

    monkeypatch.setattr(
        handlers, "load_handler", lambda folder: hanging if folder == "generate" else load_handler(folder)
    )
    return inside


def _quiet(cloud) -> None:
    """Uploads start nothing by themselves: the test decides which workflows run."""
    cloud.s3().put_bucket_notification_configuration(Bucket=cloud.bucket, NotificationConfiguration={})


def _pending(cloud, request_id: str) -> str:
    body = {"type": "photo", "filename": "me.jpg", "contentType": "image/jpeg", "requestId": request_id}
    status, answer = cloud.call_api("POST", "/upload", body)
    assert status == 200, answer
    return answer["Key"]


def _set(cloud, request_id: str, **fields) -> None:
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(cloud.local.table)
    names = {f"#f{i}": name for i, name in enumerate(fields)}
    values = {f":v{i}": value for i, value in enumerate(fields.values())}
    table.update_item(
        Key={"requestId": request_id},
        UpdateExpression="SET " + ", ".join(f"#f{i} = :v{i}" for i in range(len(fields))),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )


def _status(cloud, request_id: str) -> dict:
    code, answer = cloud.call_api("GET", f"/photo/{request_id}")
    assert code == 200, answer
    return answer


def test_a_run_whose_outcome_cannot_be_recorded_ends_the_request_failed_internal(cloud, recovery, monkeypatch):
    """The ASL's last resort is "Mark the request failed"; when that write fails too, the execution FAILS with the
    record still PROCESSING. On AWS the execution_ended function hears of it; locally the engine's end-of-run hook
    does (CONTRACT.md: a step that keeps failing ends the request FAILED/INTERNAL)."""
    real_finalize = load_handler("finalize")

    def failing_on_results(payload, context):
        if "images" in payload:
            raise RuntimeError("the status table is unreachable")
        return real_finalize(payload, context)

    monkeypatch.setattr(
        handlers, "load_handler", lambda folder: failing_on_results if folder == "finalize" else load_handler(folder)
    )
    real_update = DynamoDBBackend.update_item

    def refusing_the_workflows_own_mark(backend, table_name, *args, **kwargs):
        if "errorCode = :internal" in str(kwargs.get("update_expression", "")):
            raise MockValidationException("the table refused the write")
        return real_update(backend, table_name, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "update_item", refusing_the_workflows_own_mark)

    request_id = cloud.upload(portraits.jpeg_bytes(), filename="me.jpg")
    final = cloud.wait_for_terminal(request_id)

    (execution,) = cloud.wait_for_executions(1)
    assert execution["status"] == "FAILED" and execution["error"] == "OutcomeNotRecorded", execution
    assert final["status"] == "FAILED" and final["error"]["code"] == "INTERNAL", final
    assert isinstance(final["time_taken"], float)


def test_an_aborted_run_ends_the_request_failed_internal(cloud, release, recovery, generate_hangs):
    request_id = cloud.upload(portraits.jpeg_bytes(), filename="me.jpg")
    assert generate_hangs.wait(timeout=60), "the run never reached the hanging step"

    (running,) = cloud.sfn().list_executions(stateMachineArn=cloud.local.state_machine_arn)["executions"]
    cloud.sfn().stop_execution(executionArn=running["executionArn"])
    release.set()  # the run ends (and the hook runs) once its step returns

    final = cloud.wait_for_terminal(request_id)
    assert final["status"] == "FAILED" and final["error"]["code"] == "INTERNAL", final


def test_a_processing_request_without_a_running_workflow_is_failed_by_the_sweep(cloud, recovery, capsys):
    _quiet(cloud)
    _pending(cloud, "lost-run-0001")
    _set(cloud, "lost-run-0001", status="PROCESSING", executionArn=PROCESSING_ELSEWHERE)
    hierarchy = logging.getLogger("photobooth")
    level = hierarchy.level
    hierarchy.setLevel(logging.WARNING)  # as Powertools sets it on photobooth serve
    try:
        assert recovery.sweep() == ["lost-run-0001"]
    finally:
        hierarchy.setLevel(level)
    assert "lost-run-0001: no workflow is running" in capsys.readouterr().out, "the operator is told why"

    final = _status(cloud, "lost-run-0001")
    assert final["status"] == "FAILED" and final["error"]["code"] == "INTERNAL"
    assert recovery.sweep() == [], "a finished request is left alone"


def test_a_run_that_hangs_is_stopped_and_its_request_failed(cloud, release, recovery, generate_hangs):
    """On Lambda a step is cut off at its timeout; the embedded engine has none, so the sweep stops such a run."""
    request_id = cloud.upload(portraits.jpeg_bytes(), filename="me.jpg")
    assert generate_hangs.wait(timeout=60), "the run never reached the hanging step"
    assert recovery.sweep() == [], "a run still within the longest run is left alone"
    recovery.longest_run = 0

    assert recovery.sweep() == [request_id]

    final = _status(cloud, request_id)
    assert final["status"] == "FAILED" and final["error"]["code"] == "INTERNAL"
    (execution,) = cloud.wait_for_executions(1)
    assert execution["status"] == "ABORTED"


def test_a_hung_run_counts_as_stopped_when_its_end_hook_fails_the_request_first(
    cloud, release, recovery, generate_hangs, monkeypatch
):
    """Stopping a run wakes the end-of-run hook on the run's own thread, which may fail the request before the sweep
    does: the sweep still reports the request it stopped (CI once saw the hook win that race)."""
    real_abort = recovery._abort

    def abort_then_let_the_hook_win(arn: str) -> None:
        real_abort(arn)
        deadline = time.monotonic() + 30
        while _status(cloud, request_id)["status"] != "FAILED":
            assert time.monotonic() < deadline, "the end-of-run hook never failed the request"
            time.sleep(0.05)

    monkeypatch.setattr(recovery, "_abort", abort_then_let_the_hook_win)
    request_id = cloud.upload(portraits.jpeg_bytes(), filename="me.jpg")
    assert generate_hangs.wait(timeout=60), "the run never reached the hanging step"
    recovery.longest_run = 0

    assert recovery.sweep() == [request_id]
    assert _status(cloud, request_id)["error"]["code"] == "INTERNAL"


def test_an_upload_whose_workflow_never_started_is_started_by_the_sweep(cloud, recovery):
    _quiet(cloud)
    key = _pending(cloud, "no-event-0001")
    cloud.s3().put_object(Bucket=cloud.bucket, Key=key, Body=portraits.jpeg_bytes(), ContentType="image/jpeg")
    recovery.pending_grace = 0

    assert recovery.sweep() == ["no-event-0001"]

    assert cloud.wait_for_terminal("no-event-0001")["status"] == "SUCCEEDED"


def test_a_failed_run_of_a_repeated_event_leaves_the_owners_request_alone(cloud, recovery):
    _quiet(cloud)
    key = _pending(cloud, "owned-run-0001")
    _set(cloud, "owned-run-0001", status="PROCESSING", executionArn="arn:aws:states:::execution:photobooth:owner")
    started_with = json.dumps({"detail": {"object": {"key": key}}})
    detail = {"executionArn": "arn:aws:states:::execution:photobooth:duplicate", "status": "FAILED"}

    assert recovery.execution_ended({**detail, "input": started_with}) is False
    assert _status(cloud, "owned-run-0001")["status"] == "PROCESSING"
    owner = {**detail, "executionArn": "arn:aws:states:::execution:photobooth:owner"}
    assert recovery.execution_ended({**owner, "input": started_with}) is True
    assert _status(cloud, "owned-run-0001")["error"]["code"] == "INTERNAL"


def test_at_start_interrupted_requests_are_resumed_once_and_the_rest_failed(cloud, recovery):
    _quiet(cloud)
    photo = portraits.jpeg_bytes()
    for request_id in ("interrupted-01", "landed-only-01", "resumed-before-01", "photo-gone-01", "never-sent-01"):
        key = _pending(cloud, request_id)
        if request_id != "photo-gone-01" and request_id != "never-sent-01":
            cloud.s3().put_object(Bucket=cloud.bucket, Key=key, Body=photo, ContentType="image/jpeg")
    for request_id in ("interrupted-01", "resumed-before-01", "photo-gone-01"):
        _set(cloud, request_id, status="PROCESSING", executionArn=PROCESSING_ELSEWHERE)
    _set(cloud, "resumed-before-01", resumeCount=1)

    report = recovery.resume_interrupted()

    assert sorted(report.resumed) == ["interrupted-01", "landed-only-01"]
    assert sorted(report.failed) == ["photo-gone-01", "resumed-before-01"]
    for request_id in report.resumed:
        assert cloud.wait_for_terminal(request_id)["status"] == "SUCCEEDED"
    for request_id in report.failed:
        final = _status(cloud, request_id)
        assert final["status"] == "FAILED" and final["error"]["code"] == "INTERNAL"
    assert _status(cloud, "never-sent-01")["status"] == "PENDING_UPLOAD", "no upload, nothing was in flight"


def test_the_sweeps_work_does_not_grow_with_requests_whose_photo_never_came(cloud, recovery):
    """Another web page made thousands of PENDING_UPLOAD records, and the sweep looked for each one's photo every
    5 s (0.6 of a core with ~3,400 of them; issue 18). A record whose photo never came expires on its own: the sweep
    neither reads it nor looks for its photo."""
    _quiet(cloud)
    recovery.sweep()  # builds the sweep's clients, so the counters below see every call
    s3_calls: list[str] = []
    records_read: list[int] = []
    recovery._client("s3").meta.events.register("before-call.s3", lambda model, **_: s3_calls.append(model.name))
    for client in (recovery._table().meta.client, recovery._status().table.meta.client):
        client.meta.events.register(
            "after-call.dynamodb", lambda parsed, **_: records_read.append(len(parsed.get("Items", [])))
        )

    for index in range(25):
        _pending(cloud, f"never-sent-{index:04d}")
    assert recovery.sweep() == []

    assert "HeadObject" not in s3_calls, s3_calls
    assert sum(records_read) == 0, f"the sweep read {sum(records_read)} record(s) that have no photo"
