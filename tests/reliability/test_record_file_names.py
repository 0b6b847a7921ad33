"""Ids that differ only in case are two requests, and stay two files in ``records/`` on a case-insensitive disk
(macOS's default, Windows); record files written before that are renamed at start (issue 18, small ones)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from photobooth.local.persistence import record_file_name
from tests.support.server import start_booth

pytestmark = pytest.mark.slow


def _record(request_id: str, filename: str) -> dict:
    return {
        "requestId": {"S": request_id},
        "status": {"S": "PENDING_UPLOAD"},
        "createdAt": {"S": "2026-12-07T06:00:00+00:00"},
        "filename": {"S": filename},
        "originalKey": {"S": f"photo/{request_id}/{filename}"},
        "themeList": {"S": "cosmos"},
        "images": {"M": {}},
        "expiresAt": {"N": "4102444800"},
    }


def test_ids_that_differ_only_in_case_are_two_files_whatever_the_disk(tmp_path: Path) -> None:
    ids = ["CaseTest-0001", "casetest-0001", "CASETEST-0001"]
    booth = start_booth(tmp_path / "data", tmp_path / "serve.log")
    try:
        for number, request_id in enumerate(ids):
            body = {
                "type": "photo",
                "filename": f"pad{number}.jpg",
                "contentType": "image/jpeg",
                "requestId": request_id,
            }
            assert booth.json("POST", "/upload", body)[0] == 200
    finally:
        booth.stop()

    names = [path.name for path in (tmp_path / "data" / "records").glob("*.json")]
    # A case-insensitive disk keeps one file per case-folded name: three names that fold apart are three files.
    assert len({name.casefold() for name in names}) == len(ids), names

    again = start_booth(tmp_path / "data", tmp_path / "serve-again.log")
    try:
        for request_id in ids:
            status, answer = again.json("GET", f"/photo/{request_id}")
            assert status == 200 and answer["requestId"] == request_id, answer  # type: ignore[index]
    finally:
        again.stop()


def test_record_files_named_the_old_way_are_renamed_and_served(tmp_path: Path) -> None:
    records = tmp_path / "data" / "records"
    records.mkdir(parents=True)
    for request_id in ("OldStyle-0001", "oldstyle-0002"):
        (records / f"{request_id}.json").write_text(json.dumps(_record(request_id, "me.jpg")))

    booth = start_booth(tmp_path / "data", tmp_path / "serve.log")
    try:
        for request_id in ("OldStyle-0001", "oldstyle-0002"):
            status, answer = booth.json("GET", f"/photo/{request_id}")
            assert status == 200 and answer["requestId"] == request_id, answer  # type: ignore[index]
    finally:
        booth.stop()

    assert sorted(path.name for path in records.iterdir()) == sorted(
        [record_file_name("OldStyle-0001"), "oldstyle-0002.json"]
    )
    assert not (tmp_path / "data" / "quarantine").exists(), booth.output()
    assert "case-safe names" in booth.output()
