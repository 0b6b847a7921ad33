"""statemachine/mock-config.json (Step Functions Local's MockConfigFile) stays in step with the definition, and
runs against a real Step Functions Local when ``STEPFUNCTIONS_LOCAL_ENDPOINT`` is set."""

from __future__ import annotations

import contextlib
import json
import os
import time

import boto3
import pytest

from photobooth.local.engine import LocalCloud, definition_path, project_root, render_definition

CASES = {
    # case: (execution status, error, a state that must be entered, a state that must not)
    "HappyPath": ("SUCCEEDED", None, "Images are ready", "Record the failure"),
    "NoFace": ("FAILED", "NoFaceDetected", "Record the failure", "Cut out the people"),
    "InvalidImage": ("FAILED", "InvalidImage", "Record the failure", "Cut out the people"),
    "OneThemeFails": ("SUCCEEDED", None, "Note the failed image", "Record the failure"),
    "ThrottledThenSucceeds": ("SUCCEEDED", None, "Images are ready", "Note the failed image"),
    "DuplicateEvent": ("SUCCEEDED", None, "Ignore the repeated event", "Detect faces"),
    "ModelFallback": ("SUCCEEDED", None, "Images are ready", "Record the failure"),
    "FinalizeFailsForever": ("FAILED", "OutcomeNotRecorded", "Mark the request failed", "Images are ready"),
}
EVENT = {
    "version": "0",
    "id": "mock-event",
    "detail-type": "Object Created",
    "source": "aws.s3",
    "time": "2026-11-26T10:00:00Z",
    "detail": {"bucket": {"name": "photobooth-local"}, "object": {"key": "photo/mock-request-1/visitor.jpg"}},
}


def _config() -> dict:
    return json.loads((project_root() / "statemachine" / "mock-config.json").read_text())


def _all_state_names(states: dict) -> set[str]:
    names = set(states)
    for state in states.values():
        if "ItemProcessor" in state:
            names |= _all_state_names(state["ItemProcessor"]["States"])
    return names


def test_mock_config_names_the_workflow_cases_and_real_states():
    config = _config()
    cases = config["StateMachines"]["photobooth"]["TestCases"]
    states = _all_state_names(json.loads(definition_path().read_text())["States"])

    assert set(cases) == set(CASES)
    for case, mocks in cases.items():
        assert set(mocks) <= states, f"{case} mocks states the definition does not have"
        assert set(mocks.values()) <= set(config["MockedResponses"]), f"{case} names an unknown response"


def test_mocked_task_answers_have_the_shapes_the_definition_selects():
    responses = _config()["MockedResponses"]
    detection = responses["OneFaceFound"]["0"]["Return"]["Payload"]
    assert {"inputKey", "faces", "keepBoxes", "contentWidth", "contentHeight"} <= detection.keys()
    image = responses["ImageMade"]["0-2"]["Return"]["Payload"]
    assert {"index", "theme", "status", "key", "error"} <= image.keys()
    claim = responses["ClaimGranted"]["0"]["Return"]
    assert "themeList" in claim["Attributes"]


@pytest.mark.skipif(
    not os.environ.get("STEPFUNCTIONS_LOCAL_ENDPOINT"),
    reason="set STEPFUNCTIONS_LOCAL_ENDPOINT to a Step Functions Local started with this mock-config.json",
)
@pytest.mark.parametrize("case", sorted(CASES))
def test_case_on_stepfunctions_local(case):
    expected_status, expected_error, entered, not_entered = CASES[case]
    sfn = boto3.client("stepfunctions", endpoint_url=os.environ["STEPFUNCTIONS_LOCAL_ENDPOINT"])
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:photobooth"
    with contextlib.suppress(sfn.exceptions.StateMachineAlreadyExists):
        arn = sfn.create_state_machine(
            name="photobooth",
            definition=render_definition(definition_path().read_text(), LocalCloud().substitutions()),
            roleArn="arn:aws:iam::123456789012:role/DummyRole",
        )["stateMachineArn"]
    execution = sfn.start_execution(
        stateMachineArn=f"{arn}#{case}", name=f"{case}-{time.time_ns()}", input=json.dumps(EVENT)
    )["executionArn"]
    deadline = time.monotonic() + 60
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline, f"{case} still running after 60 s"
        time.sleep(0.2)
    assert described["status"] == expected_status
    assert described.get("error") == expected_error
    history = sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
    names = {e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e}
    assert entered in names and not_entered not in names
