"""Every DynamoDB call of ``DynamoStatusStore``, run against botocore's service model (see test_aws_call_shapes.py).

The Stubber compares ``expected_params`` before the table resource serialises Python values to DynamoDB's attribute
values, so they are written as the Python values the store passes (numbers as ``Decimal`` or ``int``); botocore then
validates the serialised call against the service model. Stubbed answers are in the wire form.
"""

from __future__ import annotations

from decimal import Decimal

import boto3
import pytest
from botocore.stub import Stubber

from photobooth.aws.dynamodb import DynamoStatusStore
from photobooth.models import ImageResult, ImageStatus
from photobooth.ports import RequestExists, RequestGone

TABLE = "photobooth-status"
REQUEST = "req-12345678"


@pytest.fixture
def stubbed():
    resource = boto3.resource(
        "dynamodb", region_name="eu-central-1", aws_access_key_id="t", aws_secret_access_key="t"
    )
    store = DynamoStatusStore(TABLE, resource)
    with Stubber(resource.meta.client) as stub:
        yield store, stub
        stub.assert_no_pending_responses()


def test_create_pending(stubbed):
    store, stub = stubbed
    stub.add_response(
        "put_item",
        {},
        expected_params={
            "TableName": TABLE,
            "Item": {"requestId": REQUEST, "status": "PENDING_UPLOAD", "expiresAt": 1700000000},
            "ConditionExpression": "attribute_not_exists(requestId)",
        },
    )

    store.create_pending({"requestId": REQUEST, "status": "PENDING_UPLOAD", "expiresAt": 1700000000})


def test_create_pending_of_a_taken_id(stubbed):
    store, stub = stubbed
    stub.add_client_error("put_item", service_error_code="ConditionalCheckFailedException", http_status_code=400)

    with pytest.raises(RequestExists):
        store.create_pending({"requestId": REQUEST, "status": "PENDING_UPLOAD"})


def test_get(stubbed):
    store, stub = stubbed
    stub.add_response(
        "get_item",
        {"Item": {"requestId": {"S": REQUEST}, "timeTaken": {"N": "12.5"}, "images": {"M": {}}}},
        expected_params={"TableName": TABLE, "Key": {"requestId": REQUEST}, "ConsistentRead": True},
    )

    assert store.get(REQUEST) == {"requestId": REQUEST, "timeTaken": 12.5, "images": {}}


def test_record_image(stubbed):
    store, stub = stubbed
    stub.add_response(
        "update_item",
        {},
        expected_params={
            "TableName": TABLE,
            "Key": {"requestId": REQUEST},
            "UpdateExpression": "SET images.#index = :image",
            "ConditionExpression": "attribute_exists(requestId) AND #status <> :erased",
            "ExpressionAttributeNames": {"#index": "2", "#status": "status"},
            "ExpressionAttributeValues": {
                ":erased": "ERASED",
                ":image": {
                    "index": 2,
                    "theme": "forest",
                    "status": "SUCCEEDED",
                    "key": "generated/req-12345678/photo_me_2.jpeg",
                },
            },
        },
    )

    store.record_image(
        REQUEST,
        ImageResult(
            index=2, theme="forest", status=ImageStatus.SUCCEEDED, key="generated/req-12345678/photo_me_2.jpeg"
        ),
    )


def test_update(stubbed):
    store, stub = stubbed
    stub.add_response(
        "update_item",
        {},
        expected_params={
            "TableName": TABLE,
            "Key": {"requestId": REQUEST},
            "UpdateExpression": "SET #f0 = :v0, #f1 = :v1",
            "ConditionExpression": "attribute_exists(requestId) AND #status <> :erased",
            "ExpressionAttributeNames": {"#f0": "status", "#f1": "timeTaken", "#status": "status"},
            "ExpressionAttributeValues": {":v0": "SUCCEEDED", ":v1": Decimal("12.5"), ":erased": "ERASED"},
        },
    )

    store.update(REQUEST, {"status": "SUCCEEDED", "timeTaken": 12.5, "errorCode": None})


def test_update_of_an_erased_record(stubbed):
    store, stub = stubbed
    stub.add_client_error("update_item", service_error_code="ConditionalCheckFailedException", http_status_code=400)

    with pytest.raises(RequestGone):
        store.update(REQUEST, {"status": "FAILED"})


def test_get_hides_a_tombstone(stubbed):
    store, stub = stubbed
    stub.add_response(
        "get_item",
        {"Item": {"requestId": {"S": REQUEST}, "status": {"S": "ERASED"}, "expiresAt": {"N": "1700000000"}}},
        expected_params={"TableName": TABLE, "Key": {"requestId": REQUEST}, "ConsistentRead": True},
    )

    assert store.get(REQUEST) is None


def test_erase_replaces_the_record_with_a_tombstone(stubbed):
    store, stub = stubbed
    stub.add_response(
        "put_item",
        {},
        expected_params={
            "TableName": TABLE,
            "Item": {"requestId": REQUEST, "status": "ERASED", "expiresAt": 1700000000},
        },
    )

    store.erase(REQUEST, until=1700000000)


@pytest.mark.parametrize("applies", [True, False])
def test_fail_unless_terminal_is_conditional_on_an_unfinished_status(stubbed, applies):
    store, stub = stubbed
    params = {
        "TableName": TABLE,
        "Key": {"requestId": REQUEST},
        "UpdateExpression": "SET #f0 = :v0, #f1 = :v1",
        "ConditionExpression": "#status IN (:pending, :processing)",
        "ExpressionAttributeNames": {"#f0": "status", "#f1": "errorCode", "#status": "status"},
        "ExpressionAttributeValues": {
            ":v0": "FAILED",
            ":v1": "INTERNAL",
            ":pending": "PENDING_UPLOAD",
            ":processing": "PROCESSING",
        },
    }
    if applies:
        stub.add_response("update_item", {}, expected_params=params)
    else:
        stub.add_client_error(
            "update_item", service_error_code="ConditionalCheckFailedException", expected_params=params
        )

    assert store.fail_unless_terminal(REQUEST, {"status": "FAILED", "errorCode": "INTERNAL"}) is applies


ALIAS_PUT = {
    "TableName": TABLE,
    "Item": {"requestId": "b123456abc", "aliasOf": REQUEST, "expiresAt": 1700000000},
    "ConditionExpression": "attribute_not_exists(requestId) OR aliasOf = :owner",
    "ExpressionAttributeValues": {":owner": REQUEST},
    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
}


def test_create_alias_is_one_conditional_put(stubbed):
    store, stub = stubbed
    stub.add_response("put_item", {}, expected_params=ALIAS_PUT)

    store.create_alias("b123456abc", REQUEST, until=1700000000)


@pytest.mark.parametrize(
    ("refused", "raised"),
    [
        ({"requestId": {"S": "b123456abc"}, "status": {"S": "ERASED"}, "expiresAt": {"N": "1"}}, RequestGone),
        ({"requestId": {"S": "b123456abc"}, "aliasOf": {"S": "someone-else-1"}}, RequestExists),
        ({"requestId": {"S": "b123456abc"}, "status": {"S": "PROCESSING"}}, RequestExists),
    ],
)
def test_a_refused_alias_says_whether_the_id_was_erased_or_is_taken(stubbed, refused, raised):
    # With ReturnValuesOnConditionCheckFailure ALL_OLD, the ConditionalCheckFailedException carries the item that
    # refused the put, in the wire form (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html,
    # and botocore's ConditionalCheckFailedException: "Item which caused the ConditionalCheckFailedException").
    store, stub = stubbed
    stub.add_client_error(
        "put_item",
        service_error_code="ConditionalCheckFailedException",
        expected_params=ALIAS_PUT,
        response_meta={},
        modeled_fields={"Item": refused},
    )

    with pytest.raises(raised):
        store.create_alias("b123456abc", REQUEST, until=1700000000)


@pytest.mark.parametrize(
    ("item", "erased"), [({"status": {"S": "ERASED"}}, True), ({"status": {"S": "FAILED"}}, False), (None, False)]
)
def test_was_erased_reads_only_the_status_consistently(stubbed, item, erased):
    store, stub = stubbed
    stub.add_response(
        "get_item",
        {"Item": item} if item else {},
        expected_params={
            "TableName": TABLE,
            "Key": {"requestId": REQUEST},
            "ConsistentRead": True,
            "ProjectionExpression": "#status",
            "ExpressionAttributeNames": {"#status": "status"},
        },
    )

    assert store.was_erased(REQUEST) is erased
