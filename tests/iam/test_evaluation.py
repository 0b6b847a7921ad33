"""The pieces of the permission check that need no synthesized stack: how a call becomes IAM terms, and how a
statement is evaluated (Allow and Deny, wildcards, NotAction/NotResource and the condition operators)."""

from __future__ import annotations

import sys

import pytest

from photobooth.iam.calls import Deployment, Permission, bedrock_resources, required
from tests.infra.conftest import REPO_ROOT
from tests.support.aws_calls import Call, Names, Untranslatable, translate

sys.path.insert(0, str(REPO_ROOT / "infra"))
from photobooth_infra.iam_check import TemplateError, allowed, condition_holds

NAMES = Names(
    bucket="b",
    table="t",
    state_machine_arn="arn:aws:states:us-east-1:1:stateMachine:m",
    sam_endpoint="photobooth-sam",
    bedrock_models=("us.stability.stable-image-inpaint-v1:0",),
    upscale_model="us.stability.stable-fast-upscale-v1:0",
    booth_key_secret_arn="arn:aws:secretsmanager:us-east-1:1:secret:booth-key-AbCdEf",
    fixed_item_keys=("#kiosk-pin-attempts",),
)
BUCKET = "arn:${Partition}:s3:::${BucketName}"


def _terms(call: Call) -> list[tuple[str, str, dict]]:
    return [(p.action, p.resource, dict(p.conditions)) for p in translate(call, NAMES)]


def test_the_documented_special_cases_of_s3() -> None:
    # HeadObject needs s3:GetObject (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html).
    assert _terms(Call("f", "s3", "HeadObject", {"Bucket": "b", "Key": "photo/r1/me.jpg"})) == [
        ("s3:GetObject", f"{BUCKET}/photo/*", {})
    ]
    # ListObjectsV2 is s3:ListBucket on the bucket, its Prefix the s3:prefix condition key
    # (https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html).
    assert _terms(Call("f", "s3", "ListObjectsV2", {"Bucket": "b", "Prefix": "work/r1/"})) == [
        ("s3:ListBucket", BUCKET, {"s3:prefix": "work/*"})
    ]
    # DeleteObjects needs s3:DeleteObject on each key (https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html).
    keys = {"Objects": [{"Key": "photo/r1/a.jpg"}, {"Key": "wall/w1/1.jpeg"}]}
    assert _terms(Call("f", "s3", "DeleteObjects", {"Bucket": "b", "Delete": keys})) == [
        ("s3:DeleteObject", f"{BUCKET}/photo/*", {}),
        ("s3:DeleteObject", f"{BUCKET}/wall/*", {}),
    ]


def test_a_presigned_url_needs_the_signers_permission_for_the_operation() -> None:
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/ShareObjectPreSignedURL.html
    call = Call("presign", "s3", "GetObject", {"Bucket": "b", "Key": "generated/r1/1.jpeg"}, presigned=True)
    (permission,) = translate(call, NAMES)
    assert (permission.action, permission.resource) == ("s3:GetObject", f"{BUCKET}/generated/*")
    assert permission.calls == ("s3.GetObject (presigned URL)",)


def test_rekognition_reading_from_s3_also_needs_the_object() -> None:
    # https://docs.aws.amazon.com/rekognition/latest/dg/images-s3.html
    image = {"S3Object": {"Bucket": "b", "Name": "work/r1/input.tiff"}}
    assert _terms(Call("f", "rekognition", "DetectFaces", {"Image": image})) == [
        ("rekognition:DetectFaces", "*", {}),
        ("s3:GetObject", f"{BUCKET}/work/*", {}),
    ]


def test_a_query_on_an_index_is_on_the_index_and_names_become_placeholders() -> None:
    query = Call("f", "dynamodb", "Query", {"TableName": "t", "IndexName": "wall"})
    assert _terms(query) == [
        ("dynamodb:Query", "arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}/index/wall", {})
    ]
    start = Call("f", "states", "StartExecution", {"stateMachineArn": NAMES.state_machine_arn})
    assert _terms(start) == [("states:StartExecution", "${StateMachineArn}", {})]


def test_an_item_call_carries_its_partition_key_as_leading_keys() -> None:
    # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html: GetItem, PutItem,
    # UpdateItem and DeleteItem carry the item's partition key value as dynamodb:LeadingKeys.
    table = "arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}"
    one_request = Call("f", "dynamodb", "GetItem", {"TableName": "t", "Key": {"requestId": "r1"}})
    assert _terms(one_request) == [("dynamodb:GetItem", table, {"dynamodb:LeadingKeys": "*"})]
    put = Call(
        "f", "dynamodb", "PutItem", {"TableName": "t", "Item": {"requestId": {"S": "r1"}, "status": {"S": "x"}}}
    )
    assert _terms(put) == [("dynamodb:PutItem", table, {"dynamodb:LeadingKeys": "*"})]
    attempts = Call("f", "dynamodb", "UpdateItem", {"TableName": "t", "Key": {"requestId": "#kiosk-pin-attempts"}})
    assert _terms(attempts) == [("dynamodb:UpdateItem", table, {"dynamodb:LeadingKeys": "#kiosk-pin-attempts"})]
    # The state machine's integration names the key by a path into its input: one request's id.
    integration = Call("workflow", "dynamodb", "UpdateItem", {"TableName": "t", "Key": {"requestId": {"S.$": "$.r"}}})
    assert _terms(integration) == [("dynamodb:UpdateItem", table, {"dynamodb:LeadingKeys": "*"})]
    with pytest.raises(Untranslatable, match="requestId"):
        translate(Call("f", "dynamodb", "GetItem", {"TableName": "t", "Key": {"other": "x"}}), NAMES)


def test_the_booth_key_secret_is_the_status_functions_setting() -> None:
    read = Call("status", "secretsmanager", "GetSecretValue", {"SecretId": NAMES.booth_key_secret_arn})
    assert _terms(read) == [("secretsmanager:GetSecretValue", "${BoothKeySecretArn}", {})]
    (permission,) = translate(read, NAMES)

    def needs(environment: dict[str, str]) -> list[str]:
        deployment = Deployment("aws", "eu-west-1", "1", "b", "t", "sm", {}, {"status": environment})
        return [n.resource for n in required({"status": [permission]}, deployment, destinations=lambda _: ())]

    arn = "arn:aws:secretsmanager:eu-west-1:1:secret:photobooth-key-XyZ123"
    assert needs({"PHOTOBOOTH_BOOTH_KEY_SECRET_ARN": arn}) == [arn]
    assert needs({}) == []  # without the setting the function refuses every key and reads nothing


def test_an_operation_without_an_iam_action_is_refused_not_guessed() -> None:
    with pytest.raises(Untranslatable, match="no IAM action s3:SelectObjectContentX"):
        translate(Call("f", "s3", "SelectObjectContentX", {}), NAMES)


def test_an_inference_profile_needs_its_arn_and_the_model_in_every_destination() -> None:
    # https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-prereq.html
    arns = bedrock_resources(
        "us.stability.x-v1:0", region="us-west-2", partition="aws", account="1", destinations=lambda _: ("a", "b")
    )
    assert arns == [
        "arn:aws:bedrock:us-west-2:1:inference-profile/us.stability.x-v1:0",
        "arn:aws:bedrock:a::foundation-model/stability.x-v1:0",
        "arn:aws:bedrock:b::foundation-model/stability.x-v1:0",
    ]


def test_a_call_made_only_with_some_settings_is_required_only_with_them() -> None:
    sam = Permission(
        "sagemaker:InvokeEndpoint",
        "arn:${Partition}:sagemaker:${Region}:${Account}:endpoint/${SamEndpointName}",
        when={"PHOTOBOOTH_SEGMENTATION_BACKEND": "sam"},
    )

    def needs(environment: dict[str, str]) -> list[str]:
        deployment = Deployment("aws", "eu-west-1", "1", "b", "t", "sm", {}, {"segment": environment})
        return [n.resource for n in required({"segment": [sam]}, deployment, destinations=lambda _: ())]

    assert needs({"PHOTOBOOTH_SEGMENTATION_BACKEND": "grabcut"}) == []
    assert needs({"PHOTOBOOTH_SEGMENTATION_BACKEND": "sam", "PHOTOBOOTH_SAM_ENDPOINT_NAME": "My-SAM"}) == [
        "arn:aws:sagemaker:eu-west-1:1:endpoint/my-sam"
    ]


OBJECT = "arn:aws:s3:::b/generated/r1/1.jpeg"


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        ([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/generated/*"}], True),
        ([{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}], True),
        ([{"Effect": "Allow", "Action": "S3:GETOBJECT", "Resource": "arn:aws:s3:::b/*"}], True),  # actions: any case
        ([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/photo/*"}], False),
        ([{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}], False),
        ([{"Effect": "Allow", "NotAction": "s3:PutObject", "Resource": "*"}], True),
        ([{"Effect": "Allow", "NotAction": "s3:Get*", "Resource": "*"}], False),
        ([{"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::b/photo/*"}], True),
        ([{"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::b/generated/*"}], False),
        (
            [
                {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/generated/*"},
            ],
            False,
        ),
        ([], False),
    ],
)
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
def test_statements_are_evaluated_as_iam_does(statements: list[dict], expected: bool) -> None:
    assert allowed(statements, "s3:GetObject", OBJECT, {}) is expected


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        ({"StringLike": {"s3:prefix": ["photo/*", "work/*"]}}, {"s3:prefix": "work/r1/"}, True),
        ({"StringLike": {"s3:prefix": ["photo/*"]}}, {"s3:prefix": "wall/w1/"}, False),
        ({"StringLike": {"s3:prefix": ["photo/*"]}}, {}, False),  # a key the request lacks matches nothing
        ({"StringEquals": {"s3:prefix": "photo/"}}, {"s3:prefix": "photo/"}, True),
        ({"StringNotLike": {"s3:prefix": "wall/*"}}, {"s3:prefix": "photo/x"}, True),
        ({"StringNotLike": {"s3:prefix": "wall/*"}}, {"s3:prefix": "wall/x"}, False),
        ({"StringLikeIfExists": {"s3:prefix": "photo/*"}}, {}, True),
        # The kiosk attempts grant: only that item's key passes (DynamoDB developer guide, "Using IAM policy
        # conditions for fine-grained access control",
        # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html).
        (
            {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["#kiosk-pin-attempts"]}},
            {"dynamodb:LeadingKeys": "#kiosk-pin-attempts"},
            True,
        ),
        (
            {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["#kiosk-pin-attempts"]}},
            {"dynamodb:LeadingKeys": "example-id"},
            False,
        ),
        (
            {"ForAnyValue:StringEquals": {"aws-marketplace:ProductId": ["p1", "p2"]}},
            {"aws-marketplace:ProductId": "p2"},
            True,
        ),
    ],
)
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
def test_the_condition_operators_the_stack_uses(condition: dict, context: dict, expected: bool) -> None:
    assert condition_holds(condition, context) is expected


def test_an_operator_the_check_does_not_know_is_refused() -> None:
    with pytest.raises(TemplateError, match="NumericLessThan"):
        condition_holds({"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": "5"})
