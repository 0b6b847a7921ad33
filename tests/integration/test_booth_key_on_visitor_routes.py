"""On AWS a pad's own id (an alias) is read and erased only with the booth key, and only a pad with the key is
told the execution's ARN; a visitor's random request id needs nothing (issue 18, defects 2 and 7). The real status
handler, its booth key read from Secrets Manager (moto), as the deployed function does."""

from __future__ import annotations

import json

import boto3
import pytest

from photobooth import wiring
from photobooth.local import apigw
from photobooth.local.engine import lambda_context, load_handler

BOOTH_KEY = "s3cret-booth-key-0123456789"
NOT_AN_IMAGE = b"\xff\xd8 these bytes are not a photo"  # the workflow fails it at once: it only has to end


@pytest.fixture
def keyed_cloud(quiet_cloud, monkeypatch: pytest.MonkeyPatch):
    secret = boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name="photobooth-booth-key", SecretString=BOOTH_KEY
    )
    monkeypatch.setenv("PHOTOBOOTH_BACKEND", "aws")  # the deployed functions' backend
    monkeypatch.setenv("PHOTOBOOTH_BOOTH_KEY_SECRET_ARN", secret["ARN"])
    wiring.reset()
    status, upload = quiet_cloud.call_api(
        "POST", "/upload", {"type": "photo", "filename": "visitor.jpg", "contentType": "image/jpeg"}
    )
    assert status == 200, upload
    quiet_cloud.s3().put_object(Bucket=quiet_cloud.bucket, Key=upload["Key"], Body=NOT_AN_IMAGE)
    started = {"requestId": "seedpad-0001", "bucket": quiet_cloud.bucket, "key": upload["Key"]}
    status, answer = quiet_cloud.call_api("POST", "/photo", started)  # waits for the (failed) end
    assert status == 200 and answer["status"] == "FAILED", answer
    return quiet_cloud, upload["requestId"]


def _call(method: str, path: str, key: str | None = None) -> tuple[int, dict | None]:
    headers = {"x-booth-key": key} if key is not None else {}
    response = load_handler("status")(
        apigw.http_event(method, path, headers=headers), lambda_context("photobooth-status")
    )
    return response["statusCode"], json.loads(response["body"]) if response.get("body") else None


def test_reading_through_a_pads_own_id_needs_the_booth_key(keyed_cloud) -> None:
    _, request_id = keyed_cloud

    without, refused = _call("GET", "/photo/seedpad-0001")
    wrong, _ = _call("GET", "/photo/seedpad-0001", key="guessed")
    status, answer = _call("GET", "/photo/seedpad-0001", key=BOOTH_KEY)

    assert without == 401 and "booth key" in refused["message"] and "x-booth-key" in refused["message"], refused
    assert "url_original" not in json.dumps(refused)
    assert wrong == 403
    assert status == 200 and answer["requestId"] == request_id, answer


def test_erasing_through_a_pads_own_id_needs_the_booth_key(keyed_cloud) -> None:
    _, request_id = keyed_cloud

    assert _call("DELETE", "/photo/seedpad-0001")[0] == 401
    assert _call("DELETE", "/photo/seedpad-0001", key="guessed")[0] == 403
    assert _call("GET", f"/photo/{request_id}")[0] == 200  # nothing was erased

    assert _call("DELETE", "/photo/seedpad-0001", key=BOOTH_KEY)[0] == 204
    assert _call("GET", f"/photo/{request_id}")[0] == 404


def test_a_visitors_random_id_needs_no_key_and_the_execution_is_named_only_to_a_pad(keyed_cloud) -> None:
    _, request_id = keyed_cloud

    status, visitor = _call("GET", f"/photo/{request_id}")
    _, pad = _call("GET", f"/photo/{request_id}", key=BOOTH_KEY)
    _, guessed = _call("GET", f"/photo/{request_id}", key="guessed")

    assert status == 200 and visitor["status"] == "FAILED"
    assert "executionArn" not in visitor and "executionArn" not in guessed
    assert pad["executionArn"].startswith("arn:aws:states:")


def test_a_function_without_the_booth_key_secret_refuses_what_needs_the_key(keyed_cloud, monkeypatch) -> None:
    monkeypatch.delenv("PHOTOBOOTH_BOOTH_KEY_SECRET_ARN")
    wiring.reset()

    assert _call("GET", "/photo/seedpad-0001", key=BOOTH_KEY)[0] == 403
