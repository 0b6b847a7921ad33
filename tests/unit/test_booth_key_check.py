"""The status function's booth key check (``aws/secrets.py``): as the authorizer, one secret read per five minutes,
and none at all for a visitor's phone, which sends no key."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from photobooth.aws.secrets import CACHE_SECONDS, SecretsManagerBoothKey

SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:photobooth-booth-key"


@pytest.fixture
def stubbed():
    client = boto3.client("secretsmanager", region_name="eu-west-1", aws_access_key_id="t", aws_secret_access_key="t")
    with Stubber(client) as stub:
        yield SecretsManagerBoothKey(SECRET, client), stub
        stub.assert_no_pending_responses()


def test_a_phone_without_a_key_costs_no_secret_read(stubbed) -> None:
    check, _ = stubbed  # no stubbed response: a call would fail the test

    assert check.accepts(None) is False
    assert check.accepts("") is False


def test_the_key_is_read_once_and_compared(stubbed) -> None:
    check, stub = stubbed
    stub.add_response(
        "get_secret_value",
        {"Name": "photobooth-booth-key", "SecretString": "the-booth-key"},
        {"SecretId": SECRET},
    )

    assert check.accepts("the-booth-key") is True
    assert check.accepts("a-guessed-key") is False  # the cached secret: one read for both
    assert CACHE_SECONDS == 300  # README: "at most once per five minutes per warm function"
