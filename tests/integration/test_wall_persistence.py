"""``photobooth serve`` keeps the event wall's copies in its data folder like every object. Their folder is named
by the record's wallId, not a requestId, so a restart that erases a request past its retention period must find
its copies by the records that still name them."""

from __future__ import annotations

import json
import time

from photobooth import naming
from photobooth.local.persistence import DataMirror, object_file_name


def _record(request_id: str, wall_id: str, expires_at: float) -> dict:
    return {
        "requestId": {"S": request_id},
        "status": {"S": "SUCCEEDED"},
        "showOnWall": {"BOOL": True},
        "wallId": {"S": wall_id},
        "expiresAt": {"N": str(int(expires_at))},
    }


def test_a_restart_erases_the_wall_copies_of_an_expired_request_and_keeps_the_others(cloud, tmp_path):
    now = time.time()
    expired_wall, kept_wall = "E" * 22, "K" * 22
    records = tmp_path / "records"
    records.mkdir()
    (records / "req-expired.json").write_text(json.dumps(_record("req-expired", expired_wall, now - 60)))
    (records / "req-kept01.json").write_text(json.dumps(_record("req-kept01", kept_wall, now + 86400)))
    for key in (naming.wall_key(expired_wall, 1), naming.wall_key(kept_wall, 1), "generated/req-expired/p_1.jpeg"):
        path = tmp_path / "objects" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"jpeg")

    DataMirror(tmp_path, bucket=cloud.bucket, table=cloud.local.table).restore(now=now)

    assert cloud.keys("") == [naming.wall_key(kept_wall, 1)]
    left = sorted(p.relative_to(tmp_path / "objects").as_posix() for p in (tmp_path / "objects").rglob("*.jpeg"))
    # the wallId folder was written the old way (the id as is) and is renamed case-safe at start
    assert left == [object_file_name(naming.wall_key(kept_wall, 1))], "the expired request's copy is gone too"
