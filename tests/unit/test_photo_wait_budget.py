"""POST /photo's wait is a budget: the answer leaves before the first 30 s limit in front of the function.

API Gateway's HTTP API ends an integration after 30 s at most ("between 50 and 30,000 milliseconds for HTTP APIs",
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigatewayv2-integration.html), counted
from when it received the request; CloudFront's origin response timeout is 30 s by default
(https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html#DownloadDistValuesOriginResponseTimeout).
A cold authorizer and a cold presign function spend part of that before the wait starts, so the wait is what is
left of 30 s since the request arrived (the event's ``requestContext.timeEpoch``) and of the function's own time
(the Lambda context's remaining time), less the time the answer needs.
"""

from __future__ import annotations

import inspect
from types import SimpleNamespace

import pytest

from photobooth import api, wiring
from photobooth.config import Settings
from photobooth.local.apigw import http_event
from photobooth.local.engine import load_handler
from tests.unit.test_api_start import KEY, SETTINGS, FakeClock, HeldWorkflow, ports  # noqa: F401

NOW_MS = 1_800_000_000_000


def test_a_warm_start_waits_the_setting():
    assert api.photo_wait_budget(20.0, received_epoch_ms=NOW_MS - 50, now_epoch_ms=NOW_MS, remaining_ms=29_900) == 20


@pytest.mark.parametrize("spent_s", [4.0, 9.5, 14.0])
def test_time_spent_before_the_wait_comes_off_it(spent_s):
    budget = api.photo_wait_budget(
        25.0, received_epoch_ms=NOW_MS - int(spent_s * 1000), now_epoch_ms=NOW_MS, remaining_ms=30_000
    )

    assert budget + spent_s + api.ANSWER_MARGIN_SECONDS <= api.UPSTREAM_TIMEOUT_SECONDS
    assert budget == pytest.approx(api.UPSTREAM_TIMEOUT_SECONDS - spent_s - api.ANSWER_MARGIN_SECONDS)


def test_the_functions_own_remaining_time_bounds_it():
    budget = api.photo_wait_budget(20.0, received_epoch_ms=NOW_MS, now_epoch_ms=NOW_MS, remaining_ms=8_000)

    assert budget == pytest.approx(8.0 - api.ANSWER_MARGIN_SECONDS)


def test_nothing_left_answers_at_once():
    late = api.photo_wait_budget(20.0, received_epoch_ms=NOW_MS - 29_000, now_epoch_ms=NOW_MS, remaining_ms=1_000)
    assert late == 0


def test_the_default_wait_is_lower_than_the_seeds_25_s():
    assert Settings().photo_wait_seconds <= 20


def test_the_wait_starts_with_the_budget(ports):  # noqa: F811
    store, status = ports
    clock, starter = FakeClock(), HeldWorkflow()

    code, _ = api.start_for_uploaded(
        {"bucket": "booth-bucket", "key": KEY, "requestId": "owner-request-1"},
        settings=SETTINGS,
        store=store,
        status=status,
        starter=starter,
        clock=clock,
        sleep=clock.sleep,
        budget=lambda wanted: min(wanted, 6.5),
    )

    assert code == 202
    assert clock.now == pytest.approx(6.5)


def test_the_presign_function_budgets_from_the_event_and_its_context(monkeypatch):
    seen: dict = {}

    def start_for_uploaded(body, *, budget, **_):
        seen["wait"] = budget(20.0)  # where the real one starts its wait, inside the request
        return 202, {"requestId": "owner-request-1", "statusUrl": "/photo/owner-request-1"}

    monkeypatch.setattr(api, "start_for_uploaded", start_for_uploaded)
    for name in ("object_store", "status_store", "workflow_starter"):
        monkeypatch.setattr(wiring, name, lambda: None)
    handler = load_handler("presign")
    # The handler's clock is pinned: the 11 s are the event's, not however long this busy machine takes to run it.
    monkeypatch.setitem(inspect.unwrap(handler).__globals__, "time", SimpleNamespace(time=lambda: NOW_MS / 1000))
    event = http_event("POST", "/photo", body='{"bucket": "booth-bucket", "key": "photo/owner-request-1/a.jpg"}')
    event["requestContext"]["timeEpoch"] = NOW_MS - 11_000  # a cold authorizer and init: 11 s
    context = SimpleNamespace(
        function_name="photobooth-presign",
        function_version="$LATEST",
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:photobooth-presign",
        memory_limit_in_mb=256,
        aws_request_id="req-1",
        log_group_name="/aws/lambda/photobooth-presign",
        log_stream_name="local",
        get_remaining_time_in_millis=lambda: 40_000,
    )

    answer = handler(event, context)

    assert answer["statusCode"] == 202
    assert seen["wait"] == pytest.approx(30 - 11 - api.ANSWER_MARGIN_SECONDS)
