"""S3 ``DeleteObjects`` answers 200 even when it could not delete some keys: each refused key is an entry of the
answer's ``Errors`` (``Key``, ``Code``, ``Message``), and botocore raises nothing
(https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html: "the response includes ... an error
element for each key it could not delete"). The object store must not take that answer for success: an erasure
or generate's clean-up of an erased request would leave a visitor's picture behind without a word.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from photobooth import lifecycle
from photobooth.aws.s3 import S3ObjectStore
from photobooth.ports import ObjectsNotDeleted
from tests.support.fakes import MemoryStatusStore

BUCKET = "photobooth-123456789012-us-east-1"
KEYS = ["photo/req-12345678/me.jpg", "generated/req-12345678/photo_me_1.jpeg"]
DENIED = {"Key": KEYS[1], "Code": "AccessDenied", "Message": "Access Denied"}


def s3_client():
    return boto3.client("s3", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")


def test_a_key_refused_in_the_answer_raises_a_named_error_that_names_it(caplog):
    s3 = s3_client()
    with Stubber(s3) as stub, caplog.at_level(logging.ERROR):
        stub.add_response("delete_objects", {"Deleted": [{"Key": KEYS[0]}], "Errors": [DENIED]})

        with pytest.raises(ObjectsNotDeleted) as raised:
            S3ObjectStore(BUCKET, s3).delete_keys(KEYS)

    assert raised.value.failures == {KEYS[1]: "AccessDenied"}
    assert KEYS[1] in str(raised.value)
    logged = [r for r in caplog.records if r.getMessage() == "S3 did not delete objects"]
    assert [r.codes for r in logged] == [["AccessDenied"]]  # the operator sees why in the function's log
    assert logged[0].keys == [KEYS[1]]


def test_every_batch_is_tried_before_the_error_is_raised():
    keys = [f"generated/req-12345678/{i}" for i in range(1001)]
    s3 = s3_client()
    with Stubber(s3) as stub:
        stub.add_response("delete_objects", {"Errors": [{"Key": keys[0], "Code": "AccessDenied", "Message": "no"}]})
        stub.add_response("delete_objects", {})

        with pytest.raises(ObjectsNotDeleted) as raised:
            S3ObjectStore(BUCKET, s3).delete_keys(keys)

        stub.assert_no_pending_responses()
    assert list(raised.value.failures) == [keys[0]]


def test_an_answer_without_errors_is_success():
    s3 = s3_client()
    with Stubber(s3) as stub:
        stub.add_response("delete_objects", {"Deleted": [{"Key": k} for k in KEYS]})

        S3ObjectStore(BUCKET, s3).delete_keys(KEYS)


def test_an_erasure_whose_delete_is_refused_does_not_report_success():
    s3 = s3_client()
    status = MemoryStatusStore()
    status.create_pending({"requestId": "req-12345678", "status": "SUCCEEDED"})
    with Stubber(s3) as stub:
        for prefix_keys in ([KEYS[0]], [], [KEYS[1]]):
            listing = {"Contents": [{"Key": k} for k in prefix_keys], "IsTruncated": False}
            stub.add_response("list_objects_v2", listing)
        stub.add_response("delete_objects", {"Deleted": [{"Key": KEYS[0]}], "Errors": [DENIED]})

        with pytest.raises(ObjectsNotDeleted):
            lifecycle.erase_request(
                "req-12345678",
                store=S3ObjectStore(BUCKET, s3),
                status=status,
                retention_days=7,
                now=datetime(2026, 12, 7, tzinfo=UTC),
            )
