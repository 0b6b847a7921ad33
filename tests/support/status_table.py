"""The status table on moto's DynamoDB in this process, for unit tests of the DynamoDB adapters (moto evaluates
their condition expressions as DynamoDB does)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import pytest
from moto import mock_aws

TABLE = "photobooth-status"


@contextmanager
def mocked_status_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An empty status table (``requestId`` the key, as infra makes it); yields the boto3 DynamoDB resource."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        resource = boto3.resource("dynamodb")
        resource.create_table(
            TableName=TABLE,
            AttributeDefinitions=[{"AttributeName": "requestId", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "requestId", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield resource
