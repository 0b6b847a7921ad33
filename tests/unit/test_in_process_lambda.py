"""The Lambda client moto's interpreter gets: it answers as Lambda does, from the handlers in this process."""

from __future__ import annotations

import json

import pytest

from photobooth.local import handlers, moto_patches, runs
from tests.support.fresh import fresh_python


def _invoke(function: str, payload: object, **parameters: str) -> tuple[dict, object]:
    answer = moto_patches._InProcessLambda().invoke(
        FunctionName=function, Payload=json.dumps(payload).encode(), **parameters
    )
    body = answer["Payload"].read()
    return answer, json.loads(body) if body else None


def test_an_unknown_function_is_a_function_error_as_lambda_reports_it() -> None:
    answer, body = _invoke("arn:aws:lambda:us-east-1:123456789012:function:nobody", {})

    assert answer["StatusCode"] == 200 and answer["FunctionError"] == "Unhandled"
    assert body["errorType"] == "ResourceNotFoundException"


def test_a_handler_exception_is_named_after_its_class(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ASL's Retry and Catch match ``errorType``: it must be the exception's class name, as on Lambda."""

    class NoFaceFound(Exception):
        pass

    def fails(event: dict, context: object) -> dict:
        raise NoFaceFound("nobody in the photo")

    monkeypatch.setattr(handlers, "load_handler", lambda folder: fails)

    answer, body = _invoke("photobooth-detect-face", {"requestId": "r"})

    assert answer["FunctionError"] == "Unhandled"
    assert body["errorType"] == "NoFaceFound" and body["errorMessage"] == "nobody in the photo"
    assert body["stackTrace"]


def test_a_result_is_the_payload(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict] = []
    monkeypatch.setattr(
        handlers, "load_handler", lambda folder: lambda event, context: seen.append(event) or {"ok": 1}
    )

    answer, body = _invoke("photobooth-finalize", {"requestId": "r"})

    assert "FunctionError" not in answer and answer["StatusCode"] == 200
    assert body == {"ok": 1} and seen == [{"requestId": "r"}]


def test_an_asynchronous_invocation_runs_on_its_own_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict] = []
    monkeypatch.setattr(handlers, "load_handler", lambda folder: lambda event, context: seen.append(event))

    answer, body = _invoke("photobooth-finalize", {"requestId": "r"}, InvocationType="Event")

    assert answer["StatusCode"] == 202 and body is None
    assert runs.settle(timeout=10) == []
    assert seen == [{"requestId": "r"}]


def test_setting_up_the_embedded_aws_loads_no_lambda_service() -> None:
    """moto's Lambda (and with it its IAM-backed models) is no longer on the start-up path."""
    script = (
        "import os, sys, json\n"
        "from moto import mock_aws\n"
        "from photobooth.local import engine\n"
        "os.environ.update(engine.offline_environment())\n"
        "with mock_aws(config=engine.MOTO_CONFIG):\n"
        "    engine.LocalCloud().provision()\n"
        "print(json.dumps([m for m in sys.modules if m.startswith('moto.awslambda')]))\n"
    )
    assert fresh_python("-c", script) == []
