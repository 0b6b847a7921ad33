"""Each DynamoDB task of the workflow retries every transient error DynamoDB can answer for its operation, under
the name Step Functions gives it on AWS and under the name the interpreters we test with give it.

- The errors an operation can answer come from botocore's DynamoDB model (its error shapes); the transient ones are
  those botocore's own retry handler treats as throttling (``ThrottledRetryableChecker``) and DynamoDB's
  ``InternalServerError`` (HTTP 500, "Error handling with DynamoDB",
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html).
- On AWS the optimized integration prefixes ``DynamoDB.`` ("Call DynamoDB APIs with Step Functions",
  https://docs.aws.amazon.com/step-functions/latest/dg/connect-ddb.html, "Exception prefix differences") and the
  error name always ends in ``Exception``, even where the service's own code does not ("Learning to use AWS service
  SDK integrations in Step Functions", https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html:
  S3's ``BucketAlreadyExists`` is ``S3.BucketAlreadyExistsException``). So DynamoDB's ``InternalServerError`` is
  ``DynamoDB.InternalServerErrorException``.
- moto's ASL interpreter (LocalStack's) names it after the service's error code, ``DynamoDB.InternalServerError``
  (``StateTaskServiceDynamoDB._error_cause_from_client_error``): listed too, so a local run retries what AWS does.
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.retries.standard import ThrottledRetryableChecker

from photobooth.local.engine import definition_path

_OPTIMIZED = "arn:aws:states:::dynamodb:"


def _dynamodb_tasks() -> dict[str, dict]:
    states = json.loads(definition_path().read_text())["States"]
    return {name: state for name, state in states.items() if str(state.get("Resource", "")).startswith(_OPTIMIZED)}


def _transient_errors(operation: str) -> set[str]:
    model = boto3.client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    ).meta.service_model
    codes = {shape.name for shape in model.operation_model(operation).error_shapes}
    throttling = codes & set(ThrottledRetryableChecker._THROTTLED_ERROR_CODES)
    return throttling | (codes & {"InternalServerError"})


def _retried(state: dict) -> set[str]:
    return {name for retrier in state.get("Retry", []) for name in retrier["ErrorEquals"]}


def test_the_workflow_has_dynamodb_tasks():
    assert len(_dynamodb_tasks()) >= 3


@pytest.mark.parametrize("name", sorted(_dynamodb_tasks()))
def test_every_transient_dynamodb_error_is_retried_under_its_aws_name(name):
    state = _dynamodb_tasks()[name]
    operation = state["Resource"].removeprefix(_OPTIMIZED)
    operation = operation[0].upper() + operation[1:]
    transient = _transient_errors(operation)
    assert "InternalServerError" in transient

    aws_names = {f"DynamoDB.{code}" + ("" if code.endswith("Exception") else "Exception") for code in transient}
    interpreter_names = {f"DynamoDB.{code}" for code in transient}
    retried = _retried(state)

    assert aws_names <= retried, f"{name}: not retried on AWS: {sorted(aws_names - retried)}"
    assert interpreter_names <= retried, f"{name}: not retried locally: {sorted(interpreter_names - retried)}"
