"""The kiosk PIN's attempt record on DynamoDB (AWS): every Lambda sandbox shares one count, in the status table,
under a key no request can have."""

from __future__ import annotations

import boto3
from moto import mock_aws

from photobooth import kiosk, naming
from photobooth.aws.dynamodb import DynamoPinAttempts


def test_attempts_are_counted_in_the_status_table() -> None:
    with mock_aws():
        dynamodb = boto3.resource("dynamodb", region_name="us-east-1")
        dynamodb.create_table(
            TableName="status",
            KeySchema=[{"AttributeName": "requestId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "requestId", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        sandbox_a = DynamoPinAttempts("status", dynamodb)
        sandbox_b = DynamoPinAttempts("status", dynamodb)
        assert sandbox_a.claim_turn(1000.0) == 0.0
        assert sandbox_b.claim_turn(1000.2) > 0.7  # the other sandbox sees the turn taken
        assert sandbox_a.failed(1000.3) == 1.0
        assert sandbox_b.claim_turn(1001.5) == 0.0
        assert sandbox_b.failed(1001.6) == 2.0
        assert abs(sandbox_a.claim_turn(1002.0) - 1.6) < 1e-6
        sandbox_a.succeeded()
        assert sandbox_a.claim_turn(1010.0) == 0.0
        assert sandbox_a.failed(1010.1) == kiosk.wait_after(1)
        item = dynamodb.Table("status").get_item(Key={"requestId": DynamoPinAttempts.KEY})["Item"]
        assert int(item["expiresAt"]) > 1010  # the table's TTL clears it
    try:
        naming.validate_request_id(DynamoPinAttempts.KEY)
    except ValueError:
        return
    raise AssertionError("the attempts record's key could be a request's id")
