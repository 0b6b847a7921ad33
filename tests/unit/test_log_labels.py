"""Each log line names the request its own invocation works on, even when handlers run in threads of one process
(``photobooth serve`` runs the workflow's steps that way; a Lambda sandbox runs one at a time)."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator

import pytest

from photobooth.observability import label_log_lines, logger


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    """What the Powertools logger writes (its handler keeps the stream it was built with, so capsys misses it)."""
    buffer = io.StringIO()
    previous = logger.registered_handler.setStream(buffer)  # type: ignore[attr-defined]
    yield buffer
    logger.registered_handler.setStream(previous)  # type: ignore[attr-defined]


def _lines(output: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in output.getvalue().splitlines()]


def test_concurrent_invocations_label_only_their_own_lines(output):
    labelled = threading.Barrier(4)

    def invocation(request_id: str) -> None:
        label_log_lines(requestId=request_id)
        labelled.wait(timeout=10)  # every thread has labelled before any logs
        logger.warning("step failed")

    threads = [threading.Thread(target=invocation, args=(f"request-{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(line["requestId"] for line in _lines(output)) == [f"request-{i}" for i in range(4)]


def test_a_thread_s_next_invocation_does_not_inherit_the_last_one_s_labels(output):
    label_log_lines(requestId="first", theme="forest")
    label_log_lines(requestId="second")
    logger.warning("step failed")

    (line,) = _lines(output)
    assert line["requestId"] == "second" and "theme" not in line


def test_a_waiting_post_photo_logs_under_its_own_function_while_a_pad_polls(output, monkeypatch):
    """``photobooth serve`` runs the API functions in threads of one process: a ``POST /photo`` that waits while a
    pad polls (the status function) must still log as the presign function (issue 18)."""
    from photobooth import api, wiring
    from photobooth.local import apigw
    from photobooth.local.engine import lambda_context, load_handler

    for name, value in {
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
        "AWS_DEFAULT_REGION": "us-east-1",
        "PHOTOBOOTH_STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:photobooth",
    }.items():
        monkeypatch.setenv(name, value)
    wiring.reset()
    waiting, polled = threading.Event(), threading.Event()

    def start_that_waits_then_fails(*args, **kwargs):
        waiting.set()
        assert polled.wait(timeout=10)
        raise RuntimeError("the wait broke")

    monkeypatch.setattr(api, "start_for_uploaded", start_that_waits_then_fails)
    body = {"bucket": "photobooth-local", "key": "photo/request-0001/me.jpg"}
    post = threading.Thread(
        target=load_handler("presign"),
        args=(apigw.http_event("POST", "/photo", body=json.dumps(body)), lambda_context("photobooth-presign")),
    )
    post.start()
    assert waiting.wait(timeout=10)
    poll = load_handler("status")(apigw.http_event("GET", "/themes"), lambda_context("photobooth-status"))
    polled.set()
    post.join(timeout=10)
    wiring.reset()

    assert poll["statusCode"] == 200
    (error,) = [line for line in _lines(output) if line["level"] == "ERROR"]
    assert error["message"] == "unhandled error in API handler"
    assert error["function_name"] == "photobooth-presign", error


def test_a_request_s_log_lines_carry_the_code_its_screen_shows_staff(output):
    """Issue 23 item 10: staff read the short code off the visitor's screen (GET /photo's ``code``) and find the
    request's lines in CloudWatch by it, as in the local console."""
    from photobooth import naming

    label_log_lines(requestId="Xq3vT0aLp9RkWm2sYb7cDe", theme="forest")
    logger.info("image made")

    (line,) = _lines(output)
    assert line["requestCode"] == naming.short_code("Xq3vT0aLp9RkWm2sYb7cDe")
    assert line["requestId"] == "Xq3vT0aLp9RkWm2sYb7cDe"
