"""A restart loads the record files into the embedded DynamoDB in batches, and a record DynamoDB refuses is set
aside without keeping the others of its batch out.

Before: one ``PutItem`` per file; a data folder with ~3,400 never-uploaded records (a hostile page's) took 109 s to
come back up (docs/decisions.md, 2026-12-07, "The recovery sweep starts from the photos").
"""

from __future__ import annotations

import json

import boto3

from photobooth.local.persistence import DataMirror, record_file_name

RECORDS = 60


def _record(request_id: str) -> dict:
    return {"requestId": {"S": request_id}, "status": {"S": "PENDING_UPLOAD"}, "themes": {"L": [{"S": "forest"}]}}


def _dynamodb_writes() -> tuple[list[str], object]:
    seen: list[str] = []

    def count(event_name: str, **_kwargs) -> None:
        seen.append(event_name.rsplit(".", 1)[-1])

    session = boto3._get_default_session()
    session.events.register("before-call.dynamodb", count)
    return seen, count


def test_a_restart_loads_records_in_batches_and_sets_aside_only_the_one_dynamodb_refuses(quiet_cloud, tmp_path):
    records = tmp_path / "records"
    records.mkdir()
    ids = [f"restored-{n:04d}" for n in range(RECORDS)]
    for request_id in ids:
        (records / record_file_name(request_id)).write_text(json.dumps(_record(request_id)))
    # Well-formed JSON of DynamoDB items that DynamoDB refuses: a number that is not one (ValidationException),
    # and a type DynamoDB does not have (botocore refuses it before sending: it crashed the start before).
    refused = {"refused-0001": {"N": "many"}, "refused-0002": {"Q": "1"}}
    for request_id, attribute in refused.items():
        (records / record_file_name(request_id)).write_text(json.dumps({**_record(request_id), "count": attribute}))
    seen, handler = _dynamodb_writes()
    try:
        loaded, _objects = DataMirror(tmp_path, bucket=quiet_cloud.bucket, table=quiet_cloud.local.table).restore()
    finally:
        boto3._get_default_session().events.unregister("before-call.dynamodb", handler)

    assert loaded == RECORDS
    table = quiet_cloud.local.table
    dynamodb = boto3.client("dynamodb")
    for request_id in ids:
        assert dynamodb.get_item(TableName=table, Key={"requestId": {"S": request_id}}).get("Item"), request_id
    for request_id in refused:
        assert "Item" not in dynamodb.get_item(TableName=table, Key={"requestId": {"S": request_id}})
        assert (tmp_path / "quarantine" / record_file_name(request_id)).is_file()
        assert not (records / record_file_name(request_id)).exists()
    writes = [name for name in seen if name in {"PutItem", "BatchWriteItem"}]
    # 62 files in batches of 25: three batches, and a refused batch again one item at a time (25 PutItem each).
    assert len(writes) <= 3 + 2 * 25, writes
