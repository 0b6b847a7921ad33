"""A hostile process on the booth laptop against the local S3 endpoint and moto's own port.

CONTRACT.md: "The local S3 endpoint honours only valid, unexpired presigned URLs for the signed method and key;
listing, unsigned access and other origins' CORS requests are refused (403)." The rules for a presigned URL are
AWS's: https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
"""

from __future__ import annotations

import calendar
import json
import os
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from photobooth.local.persistence import object_file_name
from tests.reliability.conftest import listening_ports, needs_proc, upload
from tests.support import portraits
from tests.support.server import start_booth

pytestmark = pytest.mark.slow

BUCKET = "photobooth-local"


def _put(booth, url: str, body: bytes = b"not a photo", headers: dict | None = None) -> int:
    return booth.request("PUT", "", body, headers or {"Content-Type": "image/jpeg"}, url=url)[0]


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    return parts._replace(query=urlencode(dict(parse_qsl(parts.query)) | changes)).geturl()


@pytest.fixture(scope="module")
def finished(booth) -> dict:
    """One finished request whose original and results exist, to aim at."""
    answer = upload(booth, filename="target.jpg")
    assert _put(booth, answer["UploadURL"], portraits.jpeg_bytes()) == 200
    status = booth.wait_for_terminal(answer["requestId"])
    assert status["status"] == "SUCCEEDED", status
    return answer | {"status": status}


def test_the_bucket_cannot_be_listed(booth, finished):
    for path in (f"/{BUCKET}/?list-type=2", f"/{BUCKET}?list-type=2", f"/{BUCKET}", f"/{BUCKET}/"):
        status, _, body = booth.request("GET", path)
        assert status == 403, (path, status)
        assert finished["requestId"].encode() not in body


def test_unsigned_access_to_a_key_is_refused(booth, finished):
    key_path = f"/{BUCKET}/{finished['Key']}"
    assert booth.request("GET", key_path)[0] == 403
    assert booth.request("HEAD", key_path)[0] == 403
    assert booth.request("DELETE", key_path)[0] == 403
    assert booth.request("PUT", key_path, b"overwritten", {"Content-Type": "image/jpeg"})[0] == 403
    assert (booth.data_dir / "objects" / object_file_name(finished["Key"])).read_bytes() == portraits.jpeg_bytes()


def test_a_made_up_signature_reads_writes_and_deletes_nothing(booth, finished):
    original_url = finished["status"]["url_original"]
    forged_get = _with_query(original_url, **{"X-Amz-Signature": "0" * 64})
    assert booth.request("GET", "", url=forged_get)[0] == 403
    assert booth.request("DELETE", "", url=forged_get)[0] == 403
    forged_put = _with_query(finished["UploadURL"], **{"X-Amz-Signature": "f" * 64})
    assert _put(booth, forged_put) == 403
    assert booth.request("GET", "", url=original_url)[0] == 200  # the real URL still works


def test_a_real_url_used_for_another_method_is_refused(booth, finished):
    original_url = finished["status"]["url_original"]
    assert booth.request("DELETE", "", url=original_url)[0] == 403
    assert _put(booth, original_url) == 403
    assert (booth.data_dir / "objects" / object_file_name(finished["Key"])).exists()


def test_a_real_upload_url_with_another_key_swapped_in_is_refused(booth):
    mine = upload(booth, filename="mine.jpg")
    theirs = upload(booth, filename="theirs.jpg")
    swapped = mine["UploadURL"].replace(mine["Key"], theirs["Key"])
    assert swapped != mine["UploadURL"]

    assert _put(booth, swapped) == 403

    assert not (booth.data_dir / "objects" / object_file_name(theirs["Key"])).exists()
    assert booth.json("GET", f"/photo/{theirs['requestId']}")[1]["status"] == "PENDING_UPLOAD"  # type: ignore[index]


def test_a_longer_expiry_written_into_a_real_url_is_refused(booth):
    answer = upload(booth, filename="longer.jpg")
    assert _put(booth, _with_query(answer["UploadURL"], **{"X-Amz-Expires": "604800"})) == 403


def test_another_origin_gets_no_cors_headers_and_no_photo(booth, finished):
    url = finished["status"]["url_original"]
    status, headers, body = booth.request("GET", "", headers={"Origin": "http://evil.example"}, url=url)
    assert status == 403
    assert headers.get("Access-Control-Allow-Origin") is None
    assert body[:3] != b"\xff\xd8\xff"
    preflight = booth.request(
        "OPTIONS", "", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "PUT"}, url=url
    )
    assert preflight[0] == 403 and preflight[1].get("Access-Control-Allow-Origin") is None


def test_the_booths_own_origins_get_cors_headers(booth, finished):
    url = finished["status"]["url_original"]
    for origin in (booth.url, f"http://localhost:{booth.port}"):
        status, headers, _ = booth.request("GET", "", headers={"Origin": origin}, url=url)
        assert status == 200
        assert headers["Access-Control-Allow-Origin"] == origin
    status, headers, _ = booth.request(
        "OPTIONS",
        "",
        headers={"Origin": f"http://localhost:{booth.port}", "Access-Control-Request-Method": "PUT"},
        url=url,
    )
    assert status == 204 and "PUT" in headers["Access-Control-Allow-Methods"]


def _moto_port(booth) -> int:
    needs_proc()
    ports = listening_ports(booth.process.pid) - {booth.port}
    assert len(ports) == 1, f"expected moto's one extra port, found {ports}"
    return ports.pop()


def test_motos_port_refuses_unsigned_requests(booth, finished):
    moto = f"http://127.0.0.1:{_moto_port(booth)}"
    key = urllib.request.quote(finished["Key"])
    for method, path in [
        ("GET", f"/{BUCKET}/?list-type=2"),
        ("GET", f"/{BUCKET}/{key}"),
        ("DELETE", f"/{BUCKET}/{key}"),
        ("POST", "/moto-api/reset"),
        ("GET", "/moto-api/data.json"),
    ]:
        status = booth.request(method, "", url=moto + path)[0]
        assert status == 403, (method, path, status)
    status, _, _ = booth.request(
        "POST",
        "",
        json.dumps({"TableName": "photobooth-status"}).encode(),
        {"X-Amz-Target": "DynamoDB_20120810.Scan", "Content-Type": "application/x-amz-json-1.0"},
        url=moto + "/",
    )
    assert status == 403
    assert booth.json("GET", f"/photo/{finished['requestId']}")[0] == 200


def test_motos_port_refuses_requests_signed_with_other_credentials(booth, finished):
    moto = f"http://127.0.0.1:{_moto_port(booth)}"
    for access_key in ("photobooth-local", os.environ["AWS_ACCESS_KEY_ID"]):
        s3 = boto3.client(
            "s3",
            endpoint_url=moto,
            region_name="us-east-1",
            aws_access_key_id=access_key,
            aws_secret_access_key="photobooth-local",
            config=Config(retries={"max_attempts": 1}),
        )
        with pytest.raises(ClientError) as refused:
            s3.delete_object(Bucket=BUCKET, Key=finished["Key"])
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        dynamodb = boto3.client(
            "dynamodb",
            endpoint_url=moto,
            region_name="us-east-1",
            aws_access_key_id=access_key,
            aws_secret_access_key="photobooth-local",
            config=Config(retries={"max_attempts": 1}),
        )
        with pytest.raises(ClientError) as refused:
            dynamodb.put_item(TableName="photobooth-status", Item={"requestId": {"S": "../../x"}})
        assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert (booth.data_dir / "objects" / object_file_name(finished["Key"])).exists()
    assert not (booth.data_dir.parent / "x.json").exists()


def test_the_log_shows_no_signature_and_no_filename(booth):
    # What it looks for, it makes itself: a signed upload, a finished request and signed reads of its pictures.
    answer = upload(booth, filename="log-probe.jpg")
    assert _put(booth, answer["UploadURL"], portraits.jpeg_bytes()) == 200
    status = booth.wait_for_terminal(answer["requestId"])
    assert status["status"] == "SUCCEEDED", status
    for url in [status["url_original"], *status["url_generated"]]:
        assert booth.request("GET", "", url=url)[0] == 200

    log = booth.wait_for_output(f"{answer['requestId']} SUCCEEDED")  # this request's lines are in it

    assert "X-Amz-Signature" not in log and "X-Amz-Credential" not in log
    assert "log-probe" not in log


def test_an_expired_upload_url_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("PHOTOBOOTH_UPLOAD_URL_EXPIRES", "1")  # inherited by the served process
    served = start_booth(tmp_path / "data", tmp_path / "serve.log")
    try:
        answer = upload(served, filename="late.jpg")
        signed_at = dict(parse_qsl(urlsplit(answer["UploadURL"]).query))["X-Amz-Date"]
        expiry = calendar.timegm(time.strptime(signed_at, "%Y%m%dT%H%M%SZ")) + 1
        time.sleep(max(0.0, expiry - time.time()) + 1.5)

        assert _put(served, answer["UploadURL"], portraits.jpeg_bytes()) == 403

        assert not (served.data_dir / "objects" / object_file_name(answer["Key"])).exists()
    finally:
        served.stop()


def test_upload_urls_carry_no_session_token_from_the_shell(tmp_path, monkeypatch):
    needs_proc()
    # A booth of its own, started after the token is set: the module's booth was started before any test's
    # environment was.
    monkeypatch.setenv("AWS_SESSION_TOKEN", "token-of-the-shell")
    monkeypatch.setenv("AWS_SECURITY_TOKEN", "token-of-the-shell")
    served = start_booth(tmp_path / "data", tmp_path / "serve.log")
    try:
        started_with = Path(f"/proc/{served.process.pid}/environ").read_bytes().split(b"\0")
        assert b"AWS_SESSION_TOKEN=token-of-the-shell" in started_with, "the served process did not inherit it"

        answer = upload(served, filename="token.jpg")

        assert "X-Amz-Security-Token" not in answer["UploadURL"]
        assert "token-of-the-shell" not in answer["UploadURL"]
        assert _put(served, answer["UploadURL"], portraits.jpeg_bytes()) == 200
    finally:
        served.stop()
