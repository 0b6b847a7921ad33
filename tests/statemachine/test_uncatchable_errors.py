"""Errors no Catch takes still end the request: the execution fails and the execution-status rule closes it.

AWS, "Handling errors in Step Functions workflows"
(https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html): ``States.ALL`` "doesn't catch
the States.DataLimitExceeded terminal error type and runtime error types" (``States.Runtime``, e.g. a
``ResultSelector`` path missing from a task's answer). Such an execution FAILS past every Catch, with the request's
record still PROCESSING; the *Step Functions Execution Status Change* event (FAILED) reaches the execution_ended
function, which writes FAILED/INTERNAL. Offline, the engine's end-of-run hook does what that rule does.

moto's interpreter, like LocalStack's, lets ``States.ALL`` catch them; these tests run it with the AWS rule
(tests/statemachine/localstack_env/aws_rules.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest

from photobooth import pipeline
from tests.statemachine.localstack_env import aws_rules
from tests.support import portraits


@pytest.fixture
def aws_error_rules() -> Iterator[None]:
    undo = aws_rules.apply("moto.stepfunctions.parser")
    yield
    undo()


def test_a_States_Runtime_error_fails_the_execution_and_the_request_does_not_stay_PROCESSING(
    cloud, recovery, aws_error_rules, monkeypatch
):
    real_detect = pipeline.detect

    def detect_without_source_key(*args, **kwargs):
        detection = dict(real_detect(*args, **kwargs))
        del detection["sourceKey"]  # Detect faces' ResultSelector selects $.Payload.sourceKey
        return detection

    monkeypatch.setattr(pipeline, "detect", detect_without_source_key)

    request_id = cloud.upload(portraits.jpeg_bytes(), filename="me.jpg")
    final = cloud.wait_for_terminal(request_id)

    (execution,) = cloud.wait_for_executions(1)
    assert execution["status"] == "FAILED" and execution["error"] == "States.Runtime", execution
    visited = cloud.visited_states(execution["executionArn"])
    assert "Record the failure" not in visited and "Mark the request failed" not in visited, visited
    assert final["status"] == "FAILED" and final["error"]["code"] == "INTERNAL", final


@pytest.mark.parametrize("error", ["States.Runtime", "States.DataLimitExceeded"])
def test_the_execution_status_rule_closes_a_request_whose_run_failed_past_every_catch(cloud, recovery, error):
    """What the execution_ended function gets from the rule for such a run: its own PROCESSING record is failed."""
    cloud.s3().put_bucket_notification_configuration(Bucket=cloud.bucket, NotificationConfiguration={})
    status, answer = cloud.call_api(
        "POST",
        "/upload",
        {"type": "photo", "filename": "me.jpg", "contentType": "image/jpeg", "requestId": "uncaught-01"},
    )
    assert status == 200, answer
    execution_arn = "arn:aws:states:us-east-1:123456789012:execution:photobooth:uncaught"
    boto3.resource("dynamodb", region_name="us-east-1").Table(cloud.local.table).update_item(
        Key={"requestId": "uncaught-01"},
        UpdateExpression="SET #s = :s, executionArn = :a",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": "PROCESSING", ":a": execution_arn},
    )
    detail = {
        "executionArn": execution_arn,
        "status": "FAILED",
        "error": error,
        "input": json.dumps({"detail": {"object": {"key": answer["Key"]}}}),
    }

    assert recovery.execution_ended(detail) is True

    code, final = cloud.call_api("GET", "/photo/uncaught-01")
    assert code == 200 and final["status"] == "FAILED" and final["error"]["code"] == "INTERNAL", final
