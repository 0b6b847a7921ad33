"""A client that hangs up in the middle of its upload is one quiet line in the log, not a traceback (issue 18,
item 5: each of 1,500 dropped connections logged a full ERROR traceback, 1,900 lines and 3 MB in all)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from photobooth.local.persistence import object_file_name
from tests.reliability.conftest import upload
from tests.support import portraits
from tests.support.server import ServedBooth, start_booth

pytestmark = pytest.mark.slow


@pytest.fixture
def booth(tmp_path) -> Iterator[ServedBooth]:
    """A fresh server for each case: the log says at most one such line every 10 s, so each case needs its own."""
    served = start_booth(tmp_path / "data", tmp_path / "serve.log")
    yield served
    served.stop()


@pytest.mark.parametrize("framing", ["Content-Length: 50000", "Transfer-Encoding: chunked"])
def test_an_upload_dropped_mid_body_is_one_quiet_line(booth, framing):
    answer = upload(booth, filename="dropped.jpg")
    target = answer["UploadURL"].removeprefix(booth.url)
    log_before = len(booth.output())
    connection = socket.create_connection(("127.0.0.1", booth.port), timeout=30)
    connection.sendall(
        f"PUT {target} HTTP/1.1\r\nHost: 127.0.0.1:{booth.port}\r\n".encode()
        + f"Content-Type: image/jpeg\r\n{framing}\r\n\r\n".encode()
        + (b"2000\r\n" if "chunked" in framing else b"")
        + portraits.jpeg_bytes()[:1000]
    )
    time.sleep(0.5)
    connection.close()

    deadline = time.monotonic() + 10
    while "dropped a client" not in booth.output()[log_before:] and time.monotonic() < deadline:
        time.sleep(0.2)
    log = booth.output()[log_before:]
    assert "dropped a client" in log and "PUT" in log, log[-3000:]
    assert "Traceback" not in log and "error serving" not in log, log[-3000:]
    assert answer["Key"].split("/")[-1] not in log, "a visitor's filename in the log"
    assert not (booth.data_dir / "objects" / object_file_name(answer["Key"])).exists()
