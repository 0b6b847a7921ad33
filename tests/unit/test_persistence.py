"""The local server's data folder: file names from ids, crash-safe writes, unreadable records."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from photobooth import naming
from photobooth.local import persistence
from photobooth.local.persistence import DataMirror, UnreadableRecord


@pytest.fixture
def mirror(tmp_path: Path) -> DataMirror:
    return DataMirror(tmp_path / "data", bucket="photobooth-local", table="photobooth-status")


@pytest.mark.parametrize(
    "request_id", ["../../x", "/etc/passwd", "..", "a/b/c/d/e/f", "short", "x" * 65, "ok\x00ok-ok"]
)
def test_a_request_id_that_is_no_plain_name_never_becomes_a_path(mirror, request_id):
    with pytest.raises(naming.InvalidName):
        mirror._record_path(request_id)


def test_a_valid_request_id_stays_inside_records(mirror):
    path = mirror._record_path("Abc_def-1234")
    assert path.parent == mirror.records_dir and path.name == "Abc_def-1234.1.json"


@pytest.mark.parametrize("request_id", ["AbC-0001", "abc-0001", "ABC-0001", "aBc-0001", "Zz_-9AaB" * 8])
def test_record_file_names_are_case_safe_and_name_their_request(request_id):
    name = persistence.record_file_name(request_id)

    assert name.startswith(request_id)  # an operator finds a request's file by its id
    assert persistence.request_id_of_file(Path(name)) == request_id


def test_ids_that_differ_only_in_case_get_names_that_differ_on_any_disk():
    ids = ["AbC-0001", "abc-0001", "ABC-0001", "aBc-0001"]
    assert len({persistence.record_file_name(i).casefold() for i in ids}) == len(ids)
    assert persistence.record_file_name("AbC-0001") == "AbC-0001.5.json"  # capitals at 0 and 2
    assert persistence.record_file_name("lower-case-id") == "lower-case-id.json"  # no capitals: the name it had


@pytest.mark.parametrize(
    "name", ["AbC-0001.json", "AbC-0001.4.json", "AbC-0001.05.json", "abc-0001.0.json", "AbC-0001.5.txt", ".5.json"]
)
def test_a_name_record_file_name_does_not_make_is_no_record(name):
    with pytest.raises(naming.InvalidName):
        persistence.request_id_of_file(Path(name))


def test_record_changed_refuses_to_write_outside_the_folder(mirror, tmp_path):
    with pytest.raises(naming.InvalidName):
        mirror.record_changed("photobooth-status", "../../escaped", {"requestId": {"S": "../../escaped"}})
    assert not list(tmp_path.rglob("escaped*"))


def test_a_write_syncs_the_file_before_the_rename(tmp_path, monkeypatch):
    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (calls.append("replace"), real_replace(a, b))[1])

    persistence._atomic_write(tmp_path / "records" / "r.json", b"{}")

    assert calls == ["fsync", "replace", "fsync"], "file synced, renamed, then the folder synced"
    assert (tmp_path / "records" / "r.json").read_bytes() == b"{}"


def test_a_write_that_fails_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "r.json"
    target.write_bytes(b"old")

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError):
        persistence._atomic_write(target, b"new")

    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("", "empty"),
        ('{"requestId": {"S": "some-request', "not whole JSON"),
        ("[1, 2]", "not a DynamoDB item"),
        ('{"requestId": {"S": "another-request"}}', "does not match"),
    ],
)
def test_an_unreadable_record_says_why(tmp_path, content, reason):
    path = tmp_path / "some-request.json"
    path.write_text(content)
    with pytest.raises(UnreadableRecord, match=reason):
        persistence._read_record(path, "some-request")


def test_a_whole_record_reads_back(tmp_path):
    item = {"requestId": {"S": "some-request"}, "status": {"S": "PROCESSING"}}
    path = tmp_path / "some-request.json"
    path.write_text(json.dumps(item))
    assert persistence._read_record(path, "some-request") == item


def test_quarantine_keeps_every_copy(mirror):
    mirror.records_dir.mkdir(parents=True)
    for content in ("", "{"):
        path = mirror.records_dir / "some-request.json"
        path.write_text(content)
        mirror._quarantine(path, "test")
    assert sorted(p.name for p in mirror.quarantine_dir.iterdir()) == ["some-request.1.json", "some-request.json"]


def test_temporary_files_are_removed(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / ".tmp-x1").write_bytes(b"half")
    (tmp_path / "a" / "keep.jpeg").write_bytes(b"whole")
    assert persistence._remove_temporary_files(tmp_path) == 1
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == ["keep.jpeg"]


# -- objects/: the request id (or wallId) folder of a key is case-safe too ----------------------------------------


def _files_as_a_case_insensitive_disk_sees_them(objects_dir: Path) -> dict[str, bytes]:
    """macOS's and Windows' default disks compare names case-folded: a later file with the same folded path wins."""
    seen: dict[str, bytes] = {}
    for path in sorted(p for p in objects_dir.rglob("*") if p.is_file()):
        seen[path.relative_to(objects_dir).as_posix().casefold()] = path.read_bytes()
    return seen


def test_results_of_ids_that_differ_only_in_case_stay_apart_on_a_case_insensitive_disk(mirror):
    ids = ["AbC-0001", "abc-0001", "ABC-0001"]
    for request_id in ids:
        for key in (
            naming.photo_key(request_id, "me.jpg"),
            naming.work_input_key(request_id),
            naming.generated_key(request_id, "me.jpg", 1),
        ):
            mirror.object_written(mirror.bucket, key, f"{key} of {request_id}".encode())

    seen = _files_as_a_case_insensitive_disk_sees_them(mirror.objects_dir)
    assert len(seen) == 3 * len(ids), sorted(seen)  # nine files, none overwriting another
    for request_id in ids:
        key = naming.generated_key(request_id, "me.jpg", 1)
        assert mirror._object_path(key).read_bytes() == f"{key} of {request_id}".encode()


@pytest.mark.parametrize(
    "key",
    [
        "photo/AbC-0001/me.jpg",
        "photo/abc-0001/Me Photo.JPG",
        "work/ABC-0001/input.tiff",
        "generated/aBc-0001/photo_me_2.jpeg",
        "wall/Kk_-" + "Q" * 18 + "/1.jpeg",
    ],
)
def test_a_key_and_its_file_map_both_ways(key):
    relative = persistence.object_file_name(key)

    assert relative.split("/")[1].startswith(key.split("/")[1])  # an operator still finds a request by its id
    assert persistence.key_of_object_file(relative) == key


def test_the_folder_of_an_object_is_named_as_its_record_file_is():
    relative = persistence.object_file_name("generated/AbC-0001/photo_me_1.jpeg")
    assert relative == "generated/AbC-0001.5/photo_me_1.jpeg"
    assert persistence.record_file_name("AbC-0001") == "AbC-0001.5.json"
    assert persistence.object_file_name("photo/lower-case-id/me.jpg") == "photo/lower-case-id/me.jpg"
