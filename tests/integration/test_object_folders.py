"""``objects/`` names a key's request folder (or wallId folder) case-safely, as ``records/`` names record files:
ids that differ only in case stay apart on macOS's and Windows' default disks, a restart maps the files back to
the keys they were written under, and folders written the old way (the id as is) are renamed at start
(issue 18, small ones)."""

from __future__ import annotations

import json
import time

from photobooth import naming
from photobooth.local.persistence import DataMirror, object_file_name

IDS = ["AbC-0001", "abc-0001", "ABC-0001"]


def _record(request_id: str, expires_at: float) -> dict:
    return {
        "requestId": {"S": request_id},
        "status": {"S": "SUCCEEDED"},
        "expiresAt": {"N": str(int(expires_at))},
    }


def _keys(request_id: str) -> list[str]:
    return [
        naming.photo_key(request_id, "me.jpg"),
        naming.work_input_key(request_id),
        naming.generated_key(request_id, "me.jpg", 1),
    ]


def test_a_restart_puts_back_each_file_under_the_key_it_was_written_as(quiet_cloud, tmp_path):
    written = DataMirror(tmp_path, bucket=quiet_cloud.bucket, table=quiet_cloud.local.table)
    for request_id in IDS:
        for key in _keys(request_id):
            written.object_written(quiet_cloud.bucket, key, f"{key} of {request_id}".encode())
    s3 = quiet_cloud.s3()
    for key in quiet_cloud.keys(""):  # a fresh moto, as after a restart
        s3.delete_object(Bucket=quiet_cloud.bucket, Key=key)

    _records, objects = DataMirror(tmp_path, bucket=quiet_cloud.bucket, table=quiet_cloud.local.table).restore()

    expected = sorted(key for request_id in IDS for key in _keys(request_id))
    assert objects == len(expected) and quiet_cloud.keys("") == expected
    for key in expected:
        body = s3.get_object(Bucket=quiet_cloud.bucket, Key=key)["Body"].read()
        assert body.decode().startswith(f"{key} of "), key


def test_folders_named_the_old_way_are_renamed_and_an_expired_request_is_still_erased(quiet_cloud, tmp_path):
    now = time.time()
    records = tmp_path / "records"
    records.mkdir()
    (records / "Kept-0001.1.json").write_text(json.dumps(_record("Kept-0001", now + 86400)))
    (records / "Gone-0001.1.json").write_text(json.dumps(_record("Gone-0001", now - 60)))
    for request_id in ("Kept-0001", "Gone-0001"):
        for key in _keys(request_id):  # the id as is: how every folder was named before
            path = tmp_path / "objects" / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(key.encode())

    mirror = DataMirror(tmp_path, bucket=quiet_cloud.bucket, table=quiet_cloud.local.table)
    mirror.restore(now=now)

    assert quiet_cloud.keys("") == sorted(_keys("Kept-0001"))
    objects = tmp_path / "objects"
    left = sorted(p.relative_to(objects).as_posix() for p in objects.rglob("*") if p.is_file())
    assert left == sorted(object_file_name(key) for key in _keys("Kept-0001"))
    assert all("/Kept-0001.1/" in name for name in left)
    assert not [p for p in objects.glob("*/*") if p.name.startswith("Gone")], "no empty folder of the erased request"


def test_an_erased_request_leaves_no_folder_behind(quiet_cloud, tmp_path):
    mirror = DataMirror(tmp_path, bucket=quiet_cloud.bucket, table=quiet_cloud.local.table)
    for key in _keys("AbC-0001") + _keys("abc-0001"):
        mirror.object_written(quiet_cloud.bucket, key, b"x")

    for key in _keys("AbC-0001"):
        mirror.object_deleted(quiet_cloud.bucket, key)

    folders = sorted(p.relative_to(tmp_path / "objects").as_posix() for p in (tmp_path / "objects").glob("*/*"))
    assert folders == ["generated/abc-0001", "photo/abc-0001", "work/abc-0001"]
