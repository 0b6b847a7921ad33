"""Issue 23 item 10: the operator finds a visitor's request by the short code on their screen (and in the console)
and erases it, or everything after the event, with `photobooth erase`, which asks first. Real `photobooth serve`
and the real CLI as processes; the AWS side on moto's S3 and DynamoDB."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from photobooth import naming
from photobooth.erasure import AwsBooth, run_erase
from photobooth.local import cli
from photobooth.local.persistence import record_file_name
from tests.support import portraits
from tests.support.server import ServedBooth, start_booth

pytestmark = pytest.mark.slow


@pytest.fixture
def booth(tmp_path: Path) -> Iterator[ServedBooth]:
    served = start_booth(tmp_path / "data", tmp_path / "serve.log")
    yield served
    served.stop()


def finished_request(booth: ServedBooth, filename: str) -> dict:
    status, answer = booth.json(
        "POST", "/upload", {"type": "photo", "filename": filename, "contentType": "image/jpeg"}
    )
    assert status == 200, answer
    put = booth.request("PUT", "", portraits.jpeg_bytes(), {"Content-Type": "image/jpeg"}, url=answer["UploadURL"])
    assert put[0] == 200
    return booth.wait_for_terminal(answer["requestId"])  # type: ignore[index]


def erase_cli(booth: ServedBooth, *arguments: str, answer: str = "") -> subprocess.CompletedProcess[str]:
    """`photobooth erase` as the operator types it; ``answer`` is what they type at the confirmation (a pipe, so
    the CLI sees no terminal: the tests pass --yes, or check that it refuses)."""
    command = [sys.executable, "-m", "photobooth.local.cli", "erase", *arguments]
    command += ["--port", str(booth.port), "--data", str(booth.data_dir)]
    return subprocess.run(command, input=answer, capture_output=True, text=True, timeout=120, check=False)


def files_of(booth: ServedBooth, request_id: str) -> list[str]:
    return sorted(p.relative_to(booth.data_dir).as_posix() for p in booth.data_dir.rglob("*") if request_id in str(p))


def test_the_code_on_the_screen_finds_and_erases_one_request(booth: ServedBooth) -> None:
    keep = finished_request(booth, "keep.jpg")
    gone = finished_request(booth, "gone.jpg")
    code = gone["code"]
    assert code == naming.short_code(gone["requestId"]) and re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{6}", code)
    # The console names the request by its code too.
    assert f"[{code}] {gone['requestId']} SUCCEEDED" in booth.output()

    refused = erase_cli(booth, code.lower())
    assert refused.returncode == 2 and "--yes" in refused.stdout  # no terminal to confirm on: nothing erased
    assert booth.json("GET", f"/photo/{gone['requestId']}")[0] == 200

    done = erase_cli(booth, code.lower().replace("0", "o"), "--yes")  # typed from the screen, as staff would
    assert done.returncode == 0, done.stdout + done.stderr
    assert "erased 1 request(s)" in done.stdout
    assert booth.json("GET", f"/photo/{gone['requestId']}")[0] == 404
    # the tombstone only
    assert files_of(booth, gone["requestId"]) == [f"records/{record_file_name(gone['requestId'])}"]
    assert booth.json("GET", f"/photo/{keep['requestId']}")[0] == 200


def test_everything_after_the_event_and_bad_names(booth: ServedBooth) -> None:
    first = finished_request(booth, "one.jpg")
    second = finished_request(booth, "two.jpg")

    unknown = erase_cli(booth, "ZZZZZZ", "--yes")
    assert unknown.returncode == 2 and "no request with the id or code 'ZZZZZZ'" in unknown.stdout

    done = erase_cli(booth, "--all", "--yes")
    assert done.returncode == 0 and "erased 2 request(s)" in done.stdout, done.stdout + done.stderr
    for request in (first, second):
        assert booth.json("GET", f"/photo/{request['requestId']}")[0] == 404
        assert files_of(booth, request["requestId"]) == [f"records/{record_file_name(request['requestId'])}"]
    again = erase_cli(booth, "--all", "--yes")
    assert again.returncode == 0 and "holds no requests" in again.stdout


def test_a_stopped_booth_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "records").mkdir()
    stopped = ServedBooth(process=None, port=9, data_dir=tmp_path, log_path=tmp_path / "none.log")  # type: ignore[arg-type]
    result = erase_cli(stopped, "--all", "--yes")
    assert result.returncode == 2 and "photobooth serve --data" in result.stdout + result.stderr


def test_on_aws_the_confirmation_is_asked_and_everything_of_a_request_goes() -> None:
    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        s3 = session.client("s3")
        s3.create_bucket(Bucket="booth-data")
        dynamodb = session.client("dynamodb")
        dynamodb.create_table(
            TableName="status",
            KeySchema=[{"AttributeName": "requestId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "requestId", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        table = session.resource("dynamodb").Table("status")
        ids = [naming.new_request_id() for _ in range(3)]
        for request_id in ids:
            table.put_item(Item={"requestId": request_id, "status": "SUCCEEDED"})
            for key in naming.request_prefixes(request_id):
                s3.put_object(Bucket="booth-data", Key=f"{key}photo.jpeg", Body=b"jpeg")
        table.put_item(Item={"requestId": "pad-0001", "aliasOf": ids[0]})
        booth = AwsBooth(session, bucket="booth-data", table="status", retention_days=7, where="stack Test")

        out = io.StringIO()
        said_no = run_erase(booth, [], everything=True, assume_yes=False, ask=lambda _: "y", out=out)
        assert said_no == 1 and "nothing erased" in out.getvalue()  # "y" is not enough for everything
        assert s3.list_objects_v2(Bucket="booth-data")["KeyCount"] == 9

        questions: list[str] = []
        code = naming.short_code(ids[1])
        assert run_erase(booth, [code], everything=False, assume_yes=False, ask=_answer(questions, "yes")) == 0
        assert "[y/N]" in questions[0] and "stack Test" in questions[0]
        left = [o["Key"] for o in s3.list_objects_v2(Bucket="booth-data")["Contents"]]
        assert not [key for key in left if ids[1] in key] and len(left) == 6
        assert table.get_item(Key={"requestId": ids[1]})["Item"]["status"] == "ERASED"

        assert run_erase(booth, [], everything=True, assume_yes=False, ask=_answer(questions, "erase all")) == 0
        assert "ALL 2 request(s)" in questions[1]
        assert s3.list_objects_v2(Bucket="booth-data")["KeyCount"] == 0


def _answer(questions: list[str], reply: str):
    def ask(question: str) -> str:
        questions.append(question)
        return reply

    return ask


def _stack(outputs: dict[str, str]) -> Any:
    """A stack on moto with the outputs ``erase --stack`` reads, a bucket and a table holding one finished request."""
    session = boto3.Session(region_name="us-east-1")
    session.client("s3").create_bucket(Bucket="booth-data")
    session.client("dynamodb").create_table(
        TableName="status",
        KeySchema=[{"AttributeName": "requestId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "requestId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    table = session.resource("dynamodb").Table("status")
    table.put_item(Item={"requestId": naming.new_request_id(), "status": "SUCCEEDED"})
    template = {
        "Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
        "Outputs": {"BucketName": {"Value": "booth-data"}, "StatusTableName": {"Value": "status"}}
        | {key: {"Value": value} for key, value in outputs.items()},
    }
    session.client("cloudformation").create_stack(StackName="Booth", TemplateBody=json.dumps(template))
    return table


def _tombstone_days(table: Any) -> float:
    (item,) = table.scan()["Items"]
    assert item["status"] == "ERASED"
    return (int(item["expiresAt"]) - time.time()) / 86400


@pytest.mark.parametrize(
    ("outputs", "flags", "days"),
    [
        ({"RetentionDays": "30"}, [], 30),  # the stack's own retention_days, from its output
        ({"RetentionDays": "30"}, ["--retention-days", "5"], 5),  # the operator's choice wins
        ({}, [], 7),  # a stack deployed before the output existed: the configuration's default
    ],
)
def test_erase_on_a_stack_keeps_its_tombstones_as_long_as_the_stack_keeps_records(
    outputs: dict[str, str], flags: list[str], days: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tombstone refuses the erased id while its records could still come back (a late upload, a pad's alias):
    as long as the stack keeps records, its ``retention_days``, not a fixed 7."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        table = _stack(outputs)
        code = cli.main(["erase", "--stack", "Booth", "--region", "us-east-1", "--all", "--yes", *flags])
        assert code == 0
        assert _tombstone_days(table) == pytest.approx(days, abs=0.01)
