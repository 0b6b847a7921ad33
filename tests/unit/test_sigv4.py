"""The local server's SigV4 checks against URLs and requests signed by boto3/botocore themselves.

The rules come from AWS's "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)",
https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html , and "Signature Calculations for the
Authorization Header", https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-header-based-auth.html .
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import boto3
import pytest
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials as BotoCredentials

from photobooth.local.sigv4 import (
    Credentials,
    SignatureRefused,
    verify_authorization_header,
    verify_presigned,
)

ENDPOINT = "http://127.0.0.1:8123"
OURS = Credentials("photobooth-test-key", "a-secret-only-this-process-knows")
NAMES = ["IMG 0001.jpg", "100% a+b.jpg", "사진 1.jpg", "😀 photo.jpg", "a?b#c.jpg", "x%2Fy.jpg", "%2e%2e.jpg"]


def _s3(credentials: Credentials = OURS):
    return boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url=ENDPOINT,
        aws_access_key_id=credentials.access_key,
        aws_secret_access_key=credentials.secret_key,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )


def _presign_put(key: str = "photo/abcdefgh/visitor.jpg", credentials: Credentials = OURS, **params) -> str:
    return _s3(credentials).generate_presigned_url(
        "put_object",
        Params={"Bucket": "photobooth-local", "Key": key, "ContentType": "image/jpeg", **params},
        ExpiresIn=300,
    )


def _presign_get(key: str = "photo/abcdefgh/visitor.jpg") -> str:
    return _s3().generate_presigned_url(
        "get_object", Params={"Bucket": "photobooth-local", "Key": key}, ExpiresIn=300
    )


def _check(url: str, method: str = "PUT", headers: dict | None = None, now: datetime | None = None):
    parts = urlsplit(url)
    sent = {"Host": parts.netloc, **(headers if headers is not None else {"Content-Type": "image/jpeg"})}
    return verify_presigned(OURS, method=method, raw_path=parts.path, raw_query=parts.query, headers=sent, now=now)


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query, keep_blank_values=True)) | changes
    return parts._replace(query=urlencode(query)).geturl()


@pytest.mark.parametrize("name", NAMES)
def test_a_url_boto3_presigned_for_any_filename_is_accepted(name):
    signed = _check(_presign_put(f"photo/abcdefgh/{name}"))
    assert (signed.service, signed.region) == ("s3", "us-east-1")


def test_a_presigned_get_is_accepted_for_get_only():
    url = _presign_get()
    assert _check(url, method="GET", headers={}).service == "s3"
    with pytest.raises(SignatureRefused):
        _check(url, method="DELETE", headers={})


def test_a_made_up_signature_is_refused():
    with pytest.raises(SignatureRefused, match="signature does not match"):
        _check(_with_query(_presign_put(), **{"X-Amz-Signature": "0" * 64}))


def test_a_url_signed_with_another_secret_is_refused():
    forged = _presign_put(credentials=Credentials(OURS.access_key, "guessed"))
    with pytest.raises(SignatureRefused, match="signature does not match"):
        _check(forged)


def test_an_expired_url_is_refused():
    url = _presign_put()
    signed_at = datetime.strptime(dict(parse_qsl(urlsplit(url).query))["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    just_before = signed_at.replace(tzinfo=UTC) + timedelta(seconds=299)
    assert _check(url, now=just_before)
    with pytest.raises(SignatureRefused, match="expired"):
        _check(url, now=just_before + timedelta(seconds=2))


def test_a_longer_expiry_written_into_a_real_url_is_refused():
    with pytest.raises(SignatureRefused, match="signature does not match"):
        _check(_with_query(_presign_put(), **{"X-Amz-Expires": "604800"}))


def test_a_real_url_with_another_key_swapped_in_is_refused():
    url = _presign_put("photo/abcdefgh/visitor.jpg")
    swapped = url.replace("/photo/abcdefgh/visitor.jpg", "/photo/zzzzzzzz/visitor.jpg")
    with pytest.raises(SignatureRefused, match="signature does not match"):
        _check(swapped)


def test_a_listing_parameter_added_to_a_real_url_is_refused():
    url = _presign_get()
    listing = url.replace("/photo/abcdefgh/visitor.jpg?", "/?list-type=2&")
    with pytest.raises(SignatureRefused):
        _check(listing, method="GET", headers={})


def test_another_content_type_than_the_signed_one_is_refused():
    with pytest.raises(SignatureRefused, match="signature does not match"):
        _check(_presign_put(), headers={"Content-Type": "text/html"})


def test_a_signed_content_length_binds_the_size():
    url = _presign_put(ContentLength=1234)
    assert _check(url, headers={"Content-Type": "image/jpeg", "Content-Length": "1234"})
    with pytest.raises(SignatureRefused, match="signature does not match"):
        _check(url, headers={"Content-Type": "image/jpeg", "Content-Length": "999999"})
    with pytest.raises(SignatureRefused, match="missing"):
        _check(url, headers={"Content-Type": "image/jpeg"})


def test_a_url_without_a_signature_is_refused():
    url = _presign_put()
    with pytest.raises(SignatureRefused, match="not a presigned URL"):
        _check(url.split("?")[0])


def _signed_request(
    service: str, url: str, body: bytes, headers: dict, credentials: Credentials = OURS
) -> AWSRequest:
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    signer = S3SigV4Auth if service == "s3" else SigV4Auth
    signer(BotoCredentials(credentials.access_key, credentials.secret_key), service, "us-east-1").add_auth(request)
    return request


def _check_header(request: AWSRequest, body: bytes, now: datetime | None = None):
    parts = urlsplit(request.url)
    headers = dict(request.headers.items()) | {"Host": parts.netloc}
    return verify_authorization_header(
        OURS,
        method=request.method,
        raw_path=parts.path,
        raw_query=parts.query,
        headers=headers,
        body_sha256=hashlib.sha256(body).hexdigest(),
        now=now,
    )


def test_a_header_signed_dynamodb_call_is_accepted_and_a_changed_body_is_not():
    body = b'{"TableName": "photobooth-status"}'
    request = _signed_request(
        "dynamodb", ENDPOINT + "/", body, {"X-Amz-Target": "DynamoDB_20120810.GetItem", "Content-Type": "x"}
    )
    assert _check_header(request, body).service == "dynamodb"
    with pytest.raises(SignatureRefused, match="signature does not match"):
        _check_header(request, b'{"TableName": "another"}')


def test_a_header_signed_lambda_invoke_by_arn_is_accepted():
    arn = "arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Aphotobooth-generate"
    body = b"{}"
    request = _signed_request("lambda", f"{ENDPOINT}/2015-03-31/functions/{arn}/invocations", body, {})
    assert _check_header(request, body).service == "lambda"


def test_a_header_signed_s3_put_is_accepted():
    body = b"jpeg bytes"
    request = _signed_request(
        "s3",
        f"{ENDPOINT}/photobooth-local/generated/abcdefgh/photo_a_1.jpeg",
        body,
        {"X-Amz-Content-SHA256": hashlib.sha256(body).hexdigest()},
    )
    assert _check_header(request, body).service == "s3"


def test_a_header_signature_by_another_key_or_too_old_is_refused():
    body = b"{}"
    forged = _signed_request("dynamodb", ENDPOINT + "/", body, {}, Credentials(OURS.access_key, "guessed"))
    with pytest.raises(SignatureRefused, match="signature does not match"):
        _check_header(forged, body)
    request = _signed_request("dynamodb", ENDPOINT + "/", body, {})
    with pytest.raises(SignatureRefused, match="too far"):
        _check_header(request, body, now=datetime.now(UTC) + timedelta(minutes=16))


def test_an_unsigned_request_is_refused():
    with pytest.raises(SignatureRefused, match="not signed"):
        verify_authorization_header(
            OURS, method="GET", raw_path="/", raw_query="", headers={"Host": "x"}, body_sha256=""
        )
