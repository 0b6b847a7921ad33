"""CONTRACT.md over real HTTP against ``photobooth serve`` (a separate process, offline models)."""

from __future__ import annotations

import io
import json
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PIL import Image

from photobooth.local.persistence import case_safe_name, record_file_name
from tests.support import portraits
from tests.support.server import start_booth

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def booth(tmp_path_factory):
    base = tmp_path_factory.mktemp("booth")
    served = start_booth(base / "data", base / "serve.log", report_execution_ends=True)
    yield served
    served.stop()


def _upload(booth, photo: bytes, filename: str = "visitor.jpg", content_type: str = "image/jpeg", **extra) -> dict:
    status, answer = booth.json(
        "POST", "/upload", {"type": "photo", "filename": filename, "contentType": content_type, **extra}
    )
    assert status == 200, answer
    put_status, _, _ = booth.request("PUT", "", photo, {"Content-Type": content_type}, url=answer["UploadURL"])
    assert put_status == 200
    return answer


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of listening TCP sockets on ``port``, from the kernel's table (Linux)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        path = Path(table)
        if not path.exists():
            continue
        lines = path.read_text().splitlines()[1:]
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
                found.add(address)
    return found


def test_serves_the_booth_page_and_binds_loopback_only(booth):
    status, headers, body = booth.request("GET", "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b"<html" in body.lower()
    if not Path("/proc/net/tcp").exists():
        pytest.skip("no /proc/net/tcp on this system")
    assert _listening_addresses(booth.port) == {"0100007F"}  # 127.0.0.1 in the kernel's byte order


def test_photo_becomes_jpegs_fetchable_over_plain_http(booth):
    answer = _upload(booth, portraits.jpeg_bytes(portraits.grace_hopper()), filename="grace.jpg")
    assert answer["UploadURL"].startswith(booth.url)

    status = booth.wait_for_terminal(answer["requestId"])

    assert status["status"] == "SUCCEEDED", status
    assert len(status["url_generated"]) == 3
    for url in status["url_generated"]:
        code, headers, body = booth.request("GET", "", url=url)
        assert code == 200
        assert headers["Content-Type"] == "image/jpeg"
        assert Image.open(io.BytesIO(body)).format == "JPEG"
    code, _, original = booth.request("GET", "", url=status["url_original"])
    assert code == 200 and original == portraits.jpeg_bytes(portraits.grace_hopper())


def test_no_face_is_reported(booth):
    answer = _upload(booth, portraits.jpeg_bytes(portraits.coffee()), filename="coffee.jpg")

    status = booth.wait_for_terminal(answer["requestId"])

    assert status["status"] == "FAILED"
    assert status["error"]["code"] == "NO_FACE"


def test_errors_over_http(booth):
    assert booth.json("POST", "/upload", {"type": "photo", "filename": "a.gif", "contentType": "image/gif"})[0] == 400
    status, _, body = booth.request("POST", "/upload", b"{broken", {"Content-Type": "application/json"})
    assert status == 400 and json.loads(body)["message"]
    assert booth.json("GET", "/photo/unknown-request-9")[0] == 404
    assert booth.json("GET", "/photo/bad!id")[0] == 400
    body = {"type": "photo", "filename": "a.jpg", "contentType": "image/jpeg", "requestId": "http-conflict-1"}
    assert booth.json("POST", "/upload", body)[0] == 200
    assert booth.json("POST", "/upload", body)[0] == 409


def test_a_redelivered_upload_is_not_processed_again(booth):
    answer = _upload(booth, portraits.jpeg_bytes(), filename="twice.jpg")
    request_id = answer["requestId"]
    first = booth.wait_for_terminal(request_id)
    booth.wait_for_output(f"execution ended {request_id} SUCCEEDED")
    record = booth.data_dir / "records" / record_file_name(request_id)
    generated = booth.data_dir / "objects" / "generated" / case_safe_name(request_id)
    record_before = json.loads(record.read_text())
    files_before = {path.name: (path.stat().st_mtime_ns, path.read_bytes()) for path in generated.iterdir()}

    # The same object written again raises a second Object Created event for the same request.
    status, _, _ = booth.request(
        "PUT", "", portraits.jpeg_bytes(), {"Content-Type": "image/jpeg"}, url=answer["UploadURL"]
    )
    assert status == 200
    # Wait for the second execution's end, not for time: its work, if it did any, is done by then.
    log = booth.wait_for_output(f"execution ended {request_id} ", count=2)

    assert log.count(f"execution ended {request_id} SUCCEEDED") == 2  # the repeat ends at its Succeed state
    # What a second processing would change: the claim (a second PROCESSING), the record it rewrites (its
    # execution, upload and finish times) and the pictures it writes again.
    assert log.count(f"{request_id} PROCESSING") == 1
    assert json.loads(record.read_text()) == record_before
    assert {path.name: (path.stat().st_mtime_ns, path.read_bytes()) for path in generated.iterdir()} == files_before
    assert len(files_before) == 3
    again = booth.wait_for_terminal(request_id)
    assert again["status"] == first["status"] == "SUCCEEDED"
    assert again["time_taken"] == first["time_taken"]


def test_delete_removes_everything_of_the_request(booth):
    answer = _upload(booth, portraits.jpeg_bytes(), filename="erase.jpg")
    request_id = answer["requestId"]
    status = booth.wait_for_terminal(request_id)

    assert booth.request("DELETE", f"/photo/{request_id}")[0] == 204

    assert booth.json("GET", f"/photo/{request_id}")[0] == 404
    assert booth.request("GET", "", url=status["url_generated"][0])[0] == 404
    leftovers = [p for p in booth.data_dir.rglob("*") if request_id in str(p) and p.is_file()]
    # Only the tombstone stays (until the retention period ends): nothing of the visitor, just "this was erased".
    tombstone = f"records/{record_file_name(request_id)}"
    assert [p.relative_to(booth.data_dir).as_posix() for p in leftovers] == [tombstone]
    assert json.loads(leftovers[0].read_text()).keys() == {"requestId", "status", "expiresAt"}
    assert json.loads(leftovers[0].read_text())["status"] == {"S": "ERASED"}


def test_a_restart_keeps_photos_results_and_records(tmp_path):
    booth = start_booth(tmp_path / "data", tmp_path / "serve.log")
    try:
        answer = _upload(booth, portraits.jpeg_bytes(), filename="keep.jpg", themes=["forest"])
        before = booth.wait_for_terminal(answer["requestId"])
    finally:
        booth.stop()

    booth = start_booth(tmp_path / "data", tmp_path / "serve.log", port=booth.port)
    try:
        after = booth.wait_for_terminal(answer["requestId"], timeout=10)
        assert after["status"] == before["status"] == "SUCCEEDED"
        assert after["time_taken"] == before["time_taken"]
        code, _, body = booth.request("GET", "", url=after["url_generated"][0])
        assert code == 200 and body[:3] == b"\xff\xd8\xff"
        assert "SUCCEEDED" in booth.output()  # the state-change log lines
    finally:
        booth.stop()


def test_two_copies_of_one_upload_at_once_make_one_set_of_results(booth):
    status, answer = booth.json(
        "POST", "/upload", {"type": "photo", "filename": "race.jpg", "contentType": "image/jpeg"}
    )
    assert status == 200
    photo = portraits.jpeg_bytes()

    def put() -> int:
        return booth.request("PUT", "", photo, {"Content-Type": "image/jpeg"}, url=answer["UploadURL"])[0]

    with ThreadPoolExecutor(max_workers=2) as pool:
        assert list(pool.map(lambda _: put(), range(2))) == [200, 200]
    final = booth.wait_for_terminal(answer["requestId"])

    assert final["status"] == "SUCCEEDED"
    assert len(list((booth.data_dir / "objects" / "generated" / case_safe_name(answer["requestId"])).iterdir())) == 3
    processing_lines = [line for line in booth.output().splitlines() if f"{answer['requestId']} PROCESSING" in line]
    assert len(processing_lines) == 1, processing_lines


def test_a_taken_port_is_a_clear_error(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "photobooth.local.cli", "serve", "--port", str(port), "--data", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert f"Port {port} is in use" in result.stderr
    assert "Traceback" not in result.stderr
