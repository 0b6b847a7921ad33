"""``photobooth erase --stack`` acts with the operator's own credentials, not a role of the stack, so its calls are
not in aws_calls.json: the README tells the operator which permissions it needs. This test runs the command on moto
(a stack with the outputs the command reads, a request with its photo, result and wall copy), records every AWS
call it makes, turns them into IAM actions as the role record does (tests/support/aws_calls.py) and holds the
README's list to exactly those actions.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from moto import mock_aws

from photobooth import naming
from photobooth.local import cli
from tests.support.aws_calls import Call, Names, translate

README = Path(__file__).resolve().parents[2] / "README.md"
REGION = "us-east-1"
BUCKET = "photobooth-data"
TABLE = "photobooth-status"
WALL_ID = naming.new_wall_id()


def _stack_with_a_request() -> str:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=BUCKET)
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "requestId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "requestId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    request_id = "UaFK5bJiSqmBS7N7C1qSDw"
    dynamodb.put_item(
        TableName=TABLE,
        Item={
            "requestId": {"S": request_id},
            "status": {"S": "SUCCEEDED"},
            "showOnWall": {"BOOL": True},
            "wallId": {"S": WALL_ID},
        },
    )
    for key in (f"photo/{request_id}/visitor.jpg", f"generated/{request_id}/1.jpeg", f"wall/{WALL_ID}/1.jpeg"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    template = {
        "Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
        "Outputs": {"BucketName": {"Value": BUCKET}, "StatusTableName": {"Value": TABLE}},
    }
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="Photobooth", TemplateBody=json.dumps(template)
    )
    return request_id


def _readme_permissions() -> set[str]:
    """The actions the README's ``erase --stack`` item names: ``service:Action`` and, after a slash, more actions
    of the same service (``dynamodb:Scan``/``GetItem``)."""
    text = README.read_text()
    item = re.search(r"^- `photobooth erase --stack.*?(?=^- |^\n|^#)", text, re.S | re.M)
    assert item, "README: the `photobooth erase --stack` item"
    listed, service = set(), ""
    for token in re.findall(r"`([^`]+)`", item.group(0)):
        if re.fullmatch(r"[a-z0-9-]+:[A-Za-z]+", token):
            service = token.split(":")[0]
            listed.add(token)
        elif re.fullmatch(r"[A-Z][A-Za-z]+", token) and service:
            listed.add(f"{service}:{token}")
    return listed


def test_readme_lists_the_permissions_erase_stack_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    calls: list[Call] = []
    original = botocore.session.Session.create_client

    def create_client(self: Any, *args: Any, **kwargs: Any) -> Any:
        client = original(self, *args, **kwargs)
        service = client.meta.service_model.signing_name

        def record(params: dict, model: Any, **_: Any) -> None:
            calls.append(Call("operator", service, model.name, dict(params)))

        client.meta.events.register("before-parameter-build.*.*", record)
        return client

    with mock_aws():
        request_id = _stack_with_a_request()
        monkeypatch.setattr(botocore.session.Session, "create_client", create_client)
        code = cli.main(["erase", "--stack", "Photobooth", "--region", REGION, "--all", "--yes"])
        monkeypatch.setattr(botocore.session.Session, "create_client", original)
        assert code == 0
        left = boto3.client("s3", region_name=REGION).list_objects_v2(Bucket=BUCKET).get("Contents", [])
        assert not left, "erase --stack erased the photo, the result and the wall copy"
        record = boto3.client("dynamodb", region_name=REGION).get_item(
            TableName=TABLE, Key={"requestId": {"S": request_id}}
        )["Item"]
        assert record["status"]["S"] == "ERASED"

    names = Names(
        bucket=BUCKET,
        table=TABLE,
        state_machine_arn="-",
        sam_endpoint="-",
        bedrock_models=(),
        upscale_model="-",
        booth_key_secret_arn="-",
    )
    used: set[str] = set()
    for call in calls:
        if call.service == "cloudformation" and call.operation == "DescribeStacks":
            used.add("cloudformation:DescribeStacks")  # on the stack by name; no key of its own to translate
            continue
        used |= {p.action for p in translate(call, names)}
    assert used, calls
    assert _readme_permissions() == used, (
        f"README lists {sorted(_readme_permissions())}; the command uses {sorted(used)}"
    )
