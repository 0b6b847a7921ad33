"""The "Step Functions Execution Status Change" target: a run that died leaves no request PROCESSING."""

from __future__ import annotations

import json

from photobooth.local.engine import lambda_context, load_handler


def _status_change(key: str, status: str = "TIMED_OUT") -> dict:
    # The event's shape: https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html
    started_with = {"detail-type": "Object Created", "detail": {"bucket": {"name": "b"}, "object": {"key": key}}}
    return {
        "version": "0",
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "detail": {
            "executionArn": "arn:aws:states:us-east-1:123456789012:execution:photobooth:x",
            "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:photobooth",
            "status": status,
            "input": json.dumps(started_with),
        },
    }


def _handle(event: dict) -> dict:
    return load_handler("execution_ended")(event, lambda_context("photobooth-execution-ended"))


def test_a_timed_out_execution_ends_its_request_failed_internal(cloud):
    status, answer = cloud.call_api(
        "POST", "/upload", {"type": "photo", "filename": "me.jpg", "contentType": "image/jpeg"}
    )
    assert status == 200

    assert _handle(_status_change(answer["Key"])) == {"requestId": answer["requestId"], "failed": True}

    code, record = cloud.call_api("GET", f"/photo/{answer['requestId']}")
    assert code == 200 and record["status"] == "FAILED"
    assert record["error"]["code"] == "INTERNAL" and isinstance(record["time_taken"], float)


def test_a_finished_or_erased_request_is_not_touched(cloud):
    _, answer = cloud.call_api(
        "POST", "/upload", {"type": "photo", "filename": "me.jpg", "contentType": "image/jpeg"}
    )
    assert cloud.call_api("DELETE", f"/photo/{answer['requestId']}")[0] == 204

    assert _handle(_status_change(answer["Key"], "ABORTED"))["failed"] is False
    assert cloud.call_api("GET", f"/photo/{answer['requestId']}")[0] == 404
    assert _handle(_status_change("photo/")) == {"requestId": None, "failed": False}
