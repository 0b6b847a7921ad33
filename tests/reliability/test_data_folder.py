"""The data folder of ``photobooth serve`` survives what a crash or a full disk leaves behind."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import boto3
import pytest

from photobooth.local import persistence
from tests.support.cloud import Cloud, cloud  # noqa: F401 - fixture
from tests.support.server import start_booth


def _record(request_id: str, status: str = "SUCCEEDED") -> dict:
    return {
        "requestId": {"S": request_id},
        "status": {"S": status},
        "createdAt": {"S": "2026-11-30T08:00:00+00:00"},
        "themeList": {"S": "cosmos"},
        "images": {"M": {}},
        "timeTaken": {"N": "3.5"},
        "expiresAt": {"N": "4102444800"},
    }


@pytest.mark.slow
def test_a_corrupt_data_folder_is_set_aside_and_the_rest_is_served(tmp_path):
    records = tmp_path / "data" / "records"
    records.mkdir(parents=True)
    (records / "good-request-1.json").write_text(json.dumps(_record("good-request-1")))
    (records / "empty-request-1.json").write_text("")
    (records / "torn-request-1.json").write_text(json.dumps(_record("torn-request-1"))[:40])
    (records / ".tmp-abc123").write_text('{"requestId"')
    photo_folder = tmp_path / "data" / "objects" / "photo" / "good-request-1"
    photo_folder.mkdir(parents=True)
    (photo_folder / ".tmp-def456").write_bytes(b"\xff\xd8 half a jpeg")

    booth = start_booth(tmp_path / "data", tmp_path / "serve.log")
    try:
        status, answer = booth.json("GET", "/photo/good-request-1")
        assert status == 200 and answer["status"] == "SUCCEEDED", answer  # type: ignore[index]
        for broken in ("empty-request-1", "torn-request-1"):
            assert booth.json("GET", f"/photo/{broken}")[0] == 404
        upload = {"type": "photo", "filename": "me.jpg", "contentType": "image/jpeg"}
        assert booth.json("POST", "/upload", upload)[0] == 200
    finally:
        booth.stop()

    said = booth.output()
    for broken in ("empty-request-1.json", "torn-request-1.json"):
        lines = [line for line in said.splitlines() if broken in line]
        assert len(lines) == 1 and "quarantine" in lines[0], said
        assert (tmp_path / "data" / "quarantine" / broken).is_file()
        assert not (records / broken).exists()
    assert not list((tmp_path / "data").rglob(".tmp-*")), "a crash's temporary files were left behind"


@pytest.fixture
def mirrored(cloud: Cloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> persistence.DataMirror:  # noqa: F811
    """The embedded AWS with the local server's data folder written through (in process, so the disk can fail)."""
    monkeypatch.setattr(persistence, "_MIRRORS", [])  # this test's mirror only, forgotten afterwards
    mirror = persistence.DataMirror(tmp_path / "data", bucket=cloud.bucket, table=cloud.local.table)
    mirror.install()
    return mirror


def _disk_full(path: Path, data: bytes) -> None:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_disk_answers_503_and_never_a_wrong_409(cloud, mirrored, monkeypatch):  # noqa: F811
    upload = {"type": "photo", "filename": "me.jpg", "contentType": "image/jpeg"}
    with monkeypatch.context() as full:
        full.setattr(persistence, "_atomic_write", _disk_full)
        status, answer = cloud.call_api("POST", "/upload", upload)
        assert status == 503 and "disk" in answer["message"], answer
        status, answer = cloud.call_api("POST", "/upload", {**upload, "requestId": "chosen-by-pad"})
        assert status == 503, answer
    assert not list(mirrored.records_dir.glob("*.json")) if mirrored.records_dir.exists() else True

    # The failed write left nothing in memory either: the id is free and the next try works.
    assert cloud.call_api("GET", "/photo/chosen-by-pad")[0] == 404
    status, answer = cloud.call_api("POST", "/upload", {**upload, "requestId": "chosen-by-pad"})
    assert status == 200, answer
    assert (mirrored.records_dir / "chosen-by-pad.json").is_file()


def test_an_update_the_disk_refuses_is_undone_in_memory(cloud, mirrored, monkeypatch):  # noqa: F811
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    key = {"requestId": {"S": "request-0001"}}
    dynamodb.put_item(TableName=cloud.local.table, Item={**key, "status": {"S": "PENDING_UPLOAD"}})
    with monkeypatch.context() as full:
        full.setattr(persistence, "_atomic_write", _disk_full)
        with pytest.raises(dynamodb.exceptions.ClientError, match="DataFolderUnwritable"):
            dynamodb.update_item(
                TableName=cloud.local.table,
                Key=key,
                UpdateExpression="SET #s = :p",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":p": {"S": "PROCESSING"}},
            )
    item = dynamodb.get_item(TableName=cloud.local.table, Key=key)["Item"]
    assert item["status"] == {"S": "PENDING_UPLOAD"}
    on_disk = json.loads((mirrored.records_dir / "request-0001.json").read_text())
    assert on_disk["status"] == {"S": "PENDING_UPLOAD"}


def test_a_photo_the_disk_refuses_is_an_error_and_not_kept_in_memory(cloud, mirrored, monkeypatch):  # noqa: F811
    """Before: a full disk while a photo or result was written gave a 500 and left the object in memory only, so a
    restart lost what the status record pointed to."""
    s3 = cloud.s3()
    with monkeypatch.context() as full:
        full.setattr(persistence, "_atomic_write", _disk_full)
        with pytest.raises(s3.exceptions.ClientError, match="DataFolderUnwritable") as refused:
            s3.put_object(Bucket=cloud.bucket, Key="photo/request-0002/me.jpg", Body=b"jpeg")
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] < 500  # boto3 must not retry it
    assert cloud.keys("photo/request-0002/") == []
    s3.put_object(Bucket=cloud.bucket, Key="photo/request-0002/me.jpg", Body=b"jpeg")
    assert (mirrored.objects_dir / "photo" / "request-0002" / "me.jpg").read_bytes() == b"jpeg"


def test_a_record_id_that_is_no_file_name_is_refused(cloud, mirrored, tmp_path):  # noqa: F811
    """moto's port is reachable on loopback: ``../../x`` as a requestId must not write outside the data folder."""
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    with pytest.raises(dynamodb.exceptions.ClientError, match="ValidationException"):
        dynamodb.put_item(TableName=cloud.local.table, Item={"requestId": {"S": "../../escaped"}})
    assert not list(tmp_path.rglob("escaped*"))
    assert "Item" not in dynamodb.get_item(TableName=cloud.local.table, Key={"requestId": {"S": "../../escaped"}})
