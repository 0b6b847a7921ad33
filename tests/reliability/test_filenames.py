"""Filenames that phones and cameras really produce, over real HTTP through ``photobooth serve``.

Each must land at exactly the key ``POST /upload`` answered (the proxy forwards the request target as sent, so
``%3F`` is not a query and ``%2F`` is not a folder), finish ``SUCCEEDED``, and its original and results must be
fetchable. Names are limited to 255 bytes of UTF-8 (the longest file name a disk stores) besides CONTRACT.md's
128 characters; the serve log never shows them.
"""

from __future__ import annotations

import pytest

from photobooth.local.persistence import case_safe_name, object_file_name
from tests.reliability.conftest import upload
from tests.support import portraits

pytestmark = pytest.mark.slow

NAMES = ["IMG 0001.jpg", "100% a+b.jpg", "사진 1.jpg", "😀 photo.jpg", "a?b#c.jpg", "x%2Fy.jpg", "%2e%2e.jpg"]


@pytest.mark.parametrize("filename", NAMES)
def test_a_real_filename_uploads_gets_results_and_stays_out_of_the_log(booth, filename):
    photo = portraits.jpeg_bytes()
    answer = upload(booth, filename=filename, themes=["forest"])  # one result keeps the test short
    assert answer["Key"] == f"photo/{answer['requestId']}/{filename}"

    put_status, _, put_body = booth.request("PUT", "", photo, {"Content-Type": "image/jpeg"}, url=answer["UploadURL"])

    assert put_status == 200, put_body
    stored = [
        p
        for p in (booth.data_dir / "objects" / "photo" / case_safe_name(answer["requestId"])).rglob("*")
        if p.is_file()
    ]
    assert stored == [booth.data_dir / "objects" / object_file_name(answer["Key"])]
    status = booth.wait_for_terminal(answer["requestId"])
    assert status["status"] == "SUCCEEDED", status
    code, _, original = booth.request("GET", "", url=status["url_original"])
    assert code == 200 and original == photo
    assert len(status["url_generated"]) == 1
    for url in status["url_generated"]:
        code, headers, body = booth.request("GET", "", url=url)
        assert code == 200 and headers["Content-Type"] == "image/jpeg" and body[:3] == b"\xff\xd8\xff"

    # The log is read only once it shows this request's end, so the request's own lines are in it; the test looks
    # for the name it uploaded itself, and would find it even when run alone.
    log = booth.wait_for_output(f"{answer['requestId']} SUCCEEDED")
    assert "X-Amz-Signature" not in log and "X-Amz-Credential" not in log
    assert filename.rsplit(".", 1)[0] not in log, f"{filename!r} appears in the serve log"


def test_a_name_over_255_bytes_is_a_clean_400(booth):
    status, answer = booth.json(
        "POST", "/upload", {"type": "photo", "filename": "사" * 84 + ".jpg", "contentType": "image/jpeg"}
    )
    assert status == 400
    assert "bytes" in answer["message"]  # type: ignore[index]
