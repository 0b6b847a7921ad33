"""Requests racing on one key through a real ``photobooth serve`` never answer 500.

moto's S3 closes an object's buffer when the key is overwritten or deleted; a request still reading it failed with
``ValueError: I/O operation on closed file`` (issue 7, the flaky
``test_two_copies_of_one_upload_at_once_make_one_set_of_results``). The race here mixes, on one key: PUTs through
the upload URL, GETs through the original's download URL, the workflow's own HEAD and GET of the photo (each PUT
raises an upload event), and an erasure (``DELETE /photo/{id}``) that deletes the key.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.reliability.conftest import upload
from tests.support import portraits

pytestmark = pytest.mark.slow

RACERS = 20


def test_twenty_racing_requests_on_one_key_never_answer_500(booth):
    photo = portraits.jpeg_bytes()
    answer = upload(booth, filename="race.jpg", themes=["forest"])
    assert booth.request("PUT", "", photo, {"Content-Type": "image/jpeg"}, url=answer["UploadURL"])[0] == 200
    first = booth.wait_for_terminal(answer["requestId"])
    download = first["url_original"]
    start = threading.Barrier(RACERS)

    def race(index: int) -> tuple[str, int]:
        start.wait(timeout=30)
        if index == RACERS - 1:
            return "DELETE /photo", booth.request("DELETE", f"/photo/{answer['requestId']}")[0]
        if index % 2:
            return "GET", booth.request("GET", "", url=download)[0]
        return "PUT", booth.request("PUT", "", photo, {"Content-Type": "image/jpeg"}, url=answer["UploadURL"])[0]

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        answers = list(pool.map(race, range(RACERS)))

    server_errors = [a for a in answers if a[1] >= 500]
    assert server_errors == [], f"{server_errors} of {answers}\n{booth.output()[-3000:]}"
    assert all(code in {200, 204, 404} for _, code in answers), answers
    assert "error serving" not in booth.output()
    assert "I/O operation on closed file" not in booth.output()
