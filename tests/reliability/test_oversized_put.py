"""An upload over the limit is refused before its body is read, and never held in memory.

The limit is the service's ``max_upload_bytes`` (15 MiB by default). A declared ``Content-Length`` over it is
answered 413 at once; a chunked body (no ``Content-Length``) is counted as it streams, through a temporary file, and
refused when it passes the limit.
"""

from __future__ import annotations

import http.client
import socket
from urllib.parse import urlsplit

import pytest

from photobooth.config import Settings
from photobooth.local.persistence import object_file_name
from tests.reliability.conftest import memory_kib, needs_proc, upload
from tests.support import portraits

pytestmark = pytest.mark.slow

LIMIT = Settings().max_upload_bytes
DECLARED = 400 * 1024 * 1024


def _target(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_a_declared_400_mb_put_gets_413_without_sending_the_body(booth):
    needs_proc()
    answer = upload(booth, filename="huge.jpg")
    resident_before = memory_kib(booth.process.pid, "VmRSS")
    connection = http.client.HTTPConnection("127.0.0.1", booth.port, timeout=10)
    try:
        connection.putrequest("PUT", _target(answer["UploadURL"]), skip_accept_encoding=True)
        connection.putheader("Content-Type", "image/jpeg")
        connection.putheader("Content-Length", str(DECLARED))
        connection.endheaders()  # and not one byte of the body

        reply = connection.getresponse()  # bounded by the 10 s socket timeout

        assert reply.status == 413
        assert b"EntityTooLarge" in reply.read()
    finally:
        connection.close()
    assert not (booth.data_dir / "objects" / object_file_name(answer["Key"])).exists()
    grown_mib = (memory_kib(booth.process.pid, "VmRSS") - resident_before) / 1024
    assert grown_mib < 50, f"resident memory grew by {grown_mib:.0f} MiB for a refused upload"


def test_a_chunked_put_over_the_limit_is_refused_without_holding_it_in_memory(booth):
    needs_proc()
    warm_up = upload(booth, filename="warm.jpg", themes=["forest"])
    booth.request("PUT", "", portraits.jpeg_bytes(), {"Content-Type": "image/jpeg"}, url=warm_up["UploadURL"])
    booth.wait_for_terminal(warm_up["requestId"])  # the workflow's own peak memory comes before the baseline
    answer = upload(booth, filename="chunked.jpg")
    peak_before = memory_kib(booth.process.pid, "VmHWM")
    chunk = b"\0" * (1024 * 1024)
    chunks = LIMIT // len(chunk) + 2  # just over the limit: the client has sent it all before the 413 comes

    with socket.create_connection(("127.0.0.1", booth.port), timeout=30) as raw:
        raw.sendall(
            f"PUT {_target(answer['UploadURL'])} HTTP/1.1\r\nHost: 127.0.0.1:{booth.port}\r\n"
            "Content-Type: image/jpeg\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
        )
        for _ in range(chunks):
            raw.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        raw.sendall(b"0\r\n\r\n")
        status_line = raw.makefile("rb").readline()

    assert status_line.split()[1] == b"413", status_line
    grown_mib = (memory_kib(booth.process.pid, "VmHWM") - peak_before) / 1024
    assert grown_mib < LIMIT / (1024 * 1024) / 2, f"peak memory grew by {grown_mib:.0f} MiB for a refused upload"
    assert not (booth.data_dir / "objects" / object_file_name(answer["Key"])).exists()


def test_an_upload_at_the_limit_still_passes(booth):
    answer = upload(booth, filename="big.png", content_type="image/png", themes=["forest"])
    body = portraits.png_bytes()
    body += b"\0" * (LIMIT - len(body))  # padding after the image's end: decoders stop at the PNG's IEND

    status, _, _ = booth.request("PUT", "", body, {"Content-Type": "image/png"}, url=answer["UploadURL"])

    assert status == 200
    assert (booth.data_dir / "objects" / object_file_name(answer["Key"])).stat().st_size == LIMIT
