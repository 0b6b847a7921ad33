"""Every CONTRACT.md route and status code, through the real API handlers, on moto's S3, DynamoDB and Step
Functions."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import pytest

from photobooth import wiring
from tests.support import portraits

UPLOAD = {"type": "photo", "filename": "andy_portrait_2.jpg", "contentType": "image/jpeg"}


def test_upload_answers_the_contract_shape_and_creates_a_pending_record(cloud):
    status, answer = cloud.call_api("POST", "/upload", UPLOAD)

    assert status == 200
    request_id = answer["requestId"]
    assert answer["Bucket"] == cloud.bucket
    assert answer["Key"] == f"photo/{request_id}/andy_portrait_2.jpg"
    assert answer["Expires"] == 300
    assert answer["ContentType"] == "image/jpeg"
    assert answer["statusUrl"] == f"/photo/{request_id}"
    url = urlparse(answer["UploadURL"])
    assert url.scheme == "https" and url.path.endswith(f"/photo/{request_id}/andy_portrait_2.jpg")
    assert "content-type" in parse_qs(url.query)["X-Amz-SignedHeaders"][0]  # the PUT must send the same type
    code, record = cloud.call_api("GET", f"/photo/{request_id}")
    assert code == 200
    assert record["status"] == "PENDING_UPLOAD"
    assert record["url_generated"] == []
    assert [image["status"] for image in record["images"]] == ["PENDING"] * 3
    assert "time_taken" not in record and "error" not in record


def test_upload_signs_the_declared_size_and_refuses_one_over_the_limit(cloud):
    status, answer = cloud.call_api("POST", "/upload", {**UPLOAD, "contentLength": 123_456})

    assert status == 200
    signed = parse_qs(urlparse(answer["UploadURL"]).query)["X-Amz-SignedHeaders"][0].split(";")
    assert "content-length" in signed  # S3 then refuses a body of any other size
    status, answer = cloud.call_api("POST", "/upload", {**UPLOAD, "contentLength": 15 * 1024 * 1024 + 1})
    assert status == 400 and "limit" in answer["message"]
    for bad in (0, -1, "12", 1.5, True):
        assert cloud.call_api("POST", "/upload", {**UPLOAD, "contentLength": bad})[0] == 400, bad


def test_upload_records_the_wall_consent_off_by_default(cloud):
    _, plain = cloud.call_api("POST", "/upload", UPLOAD)
    _, consented = cloud.call_api("POST", "/upload", {**UPLOAD, "showOnWall": True})

    assert plain["showOnWall"] is False and consented["showOnWall"] is True
    assert cloud.call_api("GET", f"/photo/{plain['requestId']}")[1]["showOnWall"] is False
    assert cloud.call_api("GET", f"/photo/{consented['requestId']}")[1]["showOnWall"] is True
    assert cloud.call_api("POST", "/upload", {**UPLOAD, "showOnWall": "yes"})[0] == 400


def test_the_seed_envelope_is_an_option(cloud, monkeypatch):
    monkeypatch.setenv("PHOTOBOOTH_SEED_COMPAT_ENVELOPE", "true")
    wiring.reset()

    status, envelope = cloud.call_api("POST", "/upload", UPLOAD)

    assert status == 200 and envelope["statusCode"] == 200 and isinstance(envelope["body"], str)
    inner = json.loads(envelope["body"])
    assert inner["Key"] == f"photo/{inner['requestId']}/andy_portrait_2.jpg" and inner["UploadURL"]


def test_upload_accepts_png_and_a_client_request_id(cloud):
    status, answer = cloud.call_api(
        "POST", "/upload", {**UPLOAD, "filename": "me.png", "contentType": "image/png", "requestId": "booth-7_abc"}
    )
    assert status == 200
    assert answer["requestId"] == "booth-7_abc"
    assert answer["Key"] == "photo/booth-7_abc/me.png"


def test_upload_with_an_existing_request_id_is_a_conflict(cloud):
    assert cloud.call_api("POST", "/upload", {**UPLOAD, "requestId": "same-id-123"})[0] == 200

    status, answer = cloud.call_api("POST", "/upload", {**UPLOAD, "requestId": "same-id-123"})

    assert status == 409
    assert "already exists" in answer["message"]


@pytest.mark.parametrize(
    "body",
    [
        {**UPLOAD, "type": "video"},
        {k: v for k, v in UPLOAD.items() if k != "filename"},
        {**UPLOAD, "filename": ""},
        {**UPLOAD, "filename": "   "},
        {**UPLOAD, "filename": "../escape.jpg"},
        {**UPLOAD, "filename": "folder/me.jpg"},
        {**UPLOAD, "filename": "folder\\me.jpg"},
        {**UPLOAD, "filename": "bell\x07.jpg"},
        {**UPLOAD, "filename": "a" * 125 + ".jpg"},
        {**UPLOAD, "contentType": "image/gif"},
        {**UPLOAD, "contentType": "text/plain"},
        {**UPLOAD, "requestId": "short"},
        {**UPLOAD, "requestId": "has spaces in it"},
        {**UPLOAD, "requestId": "x" * 65},
        {**UPLOAD, "themes": ["no-such-theme"]},
        {**UPLOAD, "themes": []},
        "{not json",
        "[1, 2]",
        b'{"type": "photo", "filename": "\xff\xfe.jpg"}',
        "[" * 10_000 + "]" * 10_000,
        '{"a": ' * 10_000 + "1" + "}" * 10_000,
        {**UPLOAD, "padding": "x" * 20_000},
    ],
    ids=[
        "type",
        "no-filename",
        "empty-filename",
        "blank-filename",
        "dotdot",
        "slash",
        "backslash",
        "control-char",
        "129-chars",
        "gif",
        "text",
        "short-id",
        "spaces-id",
        "long-id",
        "unknown-theme",
        "no-themes",
        "bad-json",
        "json-array",
        "not-utf8",
        "nested-10000-deep",
        "object-nested-10000-deep",
        "oversized-body",
    ],
)
def test_upload_refuses_bad_requests_with_400_and_a_message(cloud, body):
    status, answer = cloud.call_api("POST", "/upload", body)

    assert status == 400
    assert isinstance(answer["message"], str) and answer["message"]


@pytest.mark.parametrize("body", [b"\xff\xfe{}", "[" * 10_000 + "]" * 10_000], ids=["not-utf8", "deep"])
def test_start_refuses_bodies_it_cannot_read_with_400(cloud, body):
    status, answer = cloud.call_api("POST", "/photo", body)

    assert status == 400 and answer["message"]


def test_a_refused_upload_leaves_no_record(cloud):
    cloud.call_api("POST", "/upload", {**UPLOAD, "requestId": "refused-123", "contentType": "image/gif"})

    assert cloud.call_api("GET", "/photo/refused-123")[0] == 404


def test_status_of_an_unknown_request_is_404_and_of_a_malformed_id_400(cloud):
    status, answer = cloud.call_api("GET", "/photo/unknown-request-1")
    assert status == 404 and answer["message"]
    status, answer = cloud.call_api("GET", "/photo/bad!id")
    assert status == 400 and answer["message"]


def test_themes_lists_the_configured_themes_with_the_defaults_marked(cloud):
    status, themes = cloud.call_api("GET", "/themes")

    assert status == 200
    assert [t["name"] for t in themes if t["default"]] == ["unicorn-meadow", "floating-city", "cosmos"]
    assert {"forest", "beach"} <= {t["name"] for t in themes}


def test_unknown_route_is_404(cloud):
    from photobooth.local import apigw
    from photobooth.local.engine import lambda_context, load_handler

    assert apigw.function_for("GET", "/photo/abcdefgh/extra") is None
    assert apigw.function_for("PUT", "/upload") is None
    # A route API Gateway would not send to this function still gets a JSON 404, not a crash.
    answer = load_handler("status")(apigw.http_event("GET", "/nothing/here"), lambda_context("photobooth-status"))
    assert answer["statusCode"] == 404
    assert json.loads(answer["body"]) == {"message": "no such route"}


def test_start_for_an_uploaded_key_waits_for_the_pictures_and_starts_one_workflow(quiet_cloud):
    cloud = quiet_cloud
    key = "photo/seed-compat-1/visitor.jpg"
    cloud.s3().put_object(Bucket=cloud.bucket, Key=key, Body=portraits.jpeg_bytes())
    body = {"requestId": "seed-compat-1", "bucket": cloud.bucket, "key": key}

    first_status, first = cloud.call_api("POST", "/photo", body)
    second_status, second = cloud.call_api("POST", "/photo", body)

    assert first_status == 200 and first["status"] == "SUCCEEDED", first
    assert first["requestId"] == "seed-compat-1" and first["statusUrl"] == "/photo/seed-compat-1"
    assert len(first["url"]) == 3 and first["url"] == first["url_generated"]
    assert isinstance(first["time_taken"], float) and "error" not in first
    assert second_status == 200 and second["status"] == "SUCCEEDED"
    assert len(cloud.executions()) == 1


def test_start_answers_202_at_once_when_asked_not_to_wait(quiet_cloud):
    cloud = quiet_cloud
    key = "photo/seed-compat-3/visitor.jpg"
    cloud.s3().put_object(Bucket=cloud.bucket, Key=key, Body=portraits.jpeg_bytes())

    status, answer = cloud.call_api(
        "POST", "/photo", {"requestId": "seed-compat-3", "bucket": cloud.bucket, "key": key, "wait": 0}
    )

    assert (status, answer) == (202, {"requestId": "seed-compat-3", "statusUrl": "/photo/seed-compat-3"})
    assert cloud.wait_for_terminal("seed-compat-3")["status"] == "SUCCEEDED"
    assert len(cloud.executions()) == 1


def test_the_pads_own_id_becomes_an_alias_of_the_request_that_owns_the_key(quiet_cloud):
    cloud = quiet_cloud
    status, upload = cloud.call_api(
        "POST", "/upload", {"type": "photo", "filename": "andy.jpg", "contentType": "image/jpeg"}
    )
    cloud.s3().put_object(Bucket=cloud.bucket, Key=upload["Key"], Body=portraits.jpeg_bytes())

    status, answer = cloud.call_api(
        "POST", "/photo", {"requestId": "b123456abc", "bucket": cloud.bucket, "key": upload["Key"]}
    )

    assert status == 200 and answer["requestId"] == upload["requestId"]
    by_alias = cloud.call_api("GET", "/photo/b123456abc")
    by_owner = cloud.call_api("GET", f"/photo/{upload['requestId']}")
    assert by_alias[0] == 200 and by_alias[1]["requestId"] == upload["requestId"]
    assert by_alias[1]["status"] == by_owner[1]["status"] == "SUCCEEDED"
    assert cloud.call_api("DELETE", "/photo/b123456abc")[0] == 204
    assert cloud.call_api("GET", f"/photo/{upload['requestId']}")[0] == 404
    assert cloud.call_api("GET", "/photo/b123456abc")[0] == 404
    assert cloud.keys(f"generated/{upload['requestId']}/") == []


def test_start_for_an_erased_request_never_brings_it_back(quiet_cloud):
    cloud = quiet_cloud
    _, upload = cloud.call_api(
        "POST", "/upload", {"type": "photo", "filename": "andy.jpg", "contentType": "image/jpeg"}
    )
    cloud.s3().put_object(Bucket=cloud.bucket, Key=upload["Key"], Body=portraits.jpeg_bytes())
    assert cloud.call_api("DELETE", f"/photo/{upload['requestId']}")[0] == 204
    cloud.s3().put_object(Bucket=cloud.bucket, Key=upload["Key"], Body=portraits.jpeg_bytes())  # a late PUT

    status, _ = cloud.call_api("POST", "/photo", {"bucket": cloud.bucket, "key": upload["Key"]})

    assert status == 404 and cloud.executions() == []
    assert cloud.call_api("GET", f"/photo/{upload['requestId']}")[0] == 404


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"bucket": "someone-elses-bucket"}, "bucket"),
        ({"key": "generated/seed-compat-2/visitor.jpg"}, "photo/"),
        ({"key": "photo/seed-compat-2/missing.jpg"}, "no uploaded photo"),
        ({"requestId": "bad id"}, "requestId"),
    ],
)
def test_start_refuses_keys_outside_the_service(quiet_cloud, change, reason):
    cloud = quiet_cloud
    cloud.s3().put_object(Bucket=cloud.bucket, Key="photo/seed-compat-2/visitor.jpg", Body=portraits.jpeg_bytes())
    body = {"requestId": "seed-compat-2", "bucket": cloud.bucket, "key": "photo/seed-compat-2/visitor.jpg"} | change

    status, answer = cloud.call_api("POST", "/photo", body)

    assert status == 400
    assert reason in answer["message"]
    assert cloud.executions() == []


def test_delete_erases_every_object_and_the_record(cloud):
    request_id = cloud.upload(portraits.jpeg_bytes(), filename="me.jpg")
    cloud.wait_for_terminal(request_id)
    assert cloud.keys(f"generated/{request_id}/") and cloud.keys(f"work/{request_id}/")

    status, body = cloud.call_api("DELETE", f"/photo/{request_id}")

    assert status == 204 and body is None
    assert cloud.call_api("GET", f"/photo/{request_id}")[0] == 404
    for prefix in ("photo", "work", "generated"):
        assert cloud.keys(f"{prefix}/{request_id}/") == []
    assert cloud.call_api("DELETE", f"/photo/{request_id}")[0] == 404


def test_delete_of_unknown_or_malformed_ids(cloud):
    assert cloud.call_api("DELETE", "/photo/never-existed-1")[0] == 404
    assert cloud.call_api("DELETE", "/photo/bad!id")[0] == 400


def test_finished_status_has_urls_time_and_execution(cloud):
    request_id = cloud.upload(portraits.jpeg_bytes(), filename="me.jpg")

    status = cloud.wait_for_terminal(request_id)

    assert status["url_original"].startswith("https://")
    assert f"/photo/{request_id}/me.jpg" in status["url_original"]
    assert all(f"/generated/{request_id}/photo_me_" in url for url in status["url_generated"])
    assert [image["index"] for image in status["images"]] == [1, 2, 3]
    assert all(image["url"] == url for image, url in zip(status["images"], status["url_generated"], strict=True))
    assert json.loads(json.dumps(status)) == status  # plain JSON: url_generated is a list, not a string
    assert status["executionArn"].startswith("arn:aws:states:")
