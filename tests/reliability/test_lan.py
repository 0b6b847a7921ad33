"""Issue 23 item 3: `photobooth serve --lan` lets visitors' phones open their pictures over the local network, and
nothing else without the booth key, against a real served booth over HTTP.

Only loopback addresses are bound here: 127.0.0.2 stands for the laptop's LAN address (`--lan ADDRESS`), so the
test never opens a port on a real network. Requests sent to 127.0.0.2 arrive on the LAN listener, as a phone's do.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support import portraits
from tests.support.server import ServedBooth, start_booth

LAN = "127.0.0.2"
KEY = "lan-test-booth-key"
JSON = {"Content-Type": "application/json"}


def _loopback_alias_works() -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((LAN, 0))
        except OSError:
            return False
    return True


pytestmark = pytest.mark.skipif(not _loopback_alias_works(), reason=f"{LAN} is not a loopback address here")


@pytest.fixture(scope="module")
def lan_booth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedBooth]:
    base = tmp_path_factory.mktemp("lan-booth")
    served = start_booth(
        base / "data", base / "serve.log", extra_args=("--lan", LAN), env={"PHOTOBOOTH_BOOTH_KEY": KEY}
    )
    yield served
    served.stop()


def lan_url(booth: ServedBooth, path: str) -> str:
    return f"http://{LAN}:{booth.port}{path}"


def over_lan(booth: ServedBooth, method: str, path: str, body: object | None = None, headers: dict | None = None):
    status, answered_headers, raw = booth.request(
        method, "", body, {**JSON, **(headers or {})}, url=lan_url(booth, path)
    )
    return status, answered_headers, raw


def listening(port: int) -> set[str]:
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:] if Path(table).exists() else []:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:
                found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]) if len(address) == 8 else address)
    return found


def test_it_listens_on_loopback_and_the_given_address_only(lan_booth: ServedBooth) -> None:
    if not Path("/proc/net/tcp").exists():
        pytest.skip("needs Linux /proc")
    assert listening(lan_booth.port) == {"127.0.0.1", LAN}
    assert f"http://{LAN}:{lan_booth.port}" in lan_booth.output()  # the console tells the operator


def test_a_phone_opens_its_pictures_and_erases_them_but_starts_nothing_without_the_key(
    lan_booth: ServedBooth,
) -> None:
    start = {"type": "photo", "filename": "lan.jpg", "contentType": "image/jpeg"}
    # As API Gateway answers with a Lambda authorizer: 401 when the identity source (x-booth-key) is missing, 403
    # when the authorizer refuses it (https://repost.aws/knowledge-center/api-gateway-401-error-lambda-authorizer).
    assert over_lan(lan_booth, "POST", "/upload", start)[0] == 401
    assert over_lan(lan_booth, "POST", "/upload", start, {"x-booth-key": "wrong"})[0] == 403
    assert over_lan(lan_booth, "GET", "/wall/photos")[0] == 401
    assert over_lan(lan_booth, "POST", "/kiosk/unlock", {"pin": "2468"})[0] == 401
    assert over_lan(lan_booth, "POST", "/photo", {"requestId": "x", "bucket": "b", "key": "photo/x/y.jpg"})[0] == 401

    # The laptop itself needs no key; the upload URL names the LAN address, which the laptop reaches too.
    status, ticket = lan_booth.json("POST", "/upload", start)
    assert status == 200, ticket
    assert urlsplit(ticket["UploadURL"]).netloc == f"{LAN}:{lan_booth.port}"  # type: ignore[index]
    put = lan_booth.request(
        "PUT", "", portraits.jpeg_bytes(), {"Content-Type": "image/jpeg"}, url=ticket["UploadURL"]
    )  # type: ignore[index]
    assert put[0] == 200
    request_id = ticket["requestId"]  # type: ignore[index]
    done = lan_booth.wait_for_terminal(request_id)
    assert done["status"] == "SUCCEEDED", done

    # The phone, on the LAN address and keyless: the page, the status, the pictures, the erasure.
    status, _, page = over_lan(lan_booth, "GET", f"/?photo={request_id}&image=1")
    assert status == 200 and b"<html" in page.lower()
    status, _, raw = over_lan(lan_booth, "GET", f"/photo/{request_id}")
    answer = json.loads(raw)
    assert status == 200 and answer["url_generated"]
    for url in answer["url_generated"]:
        assert urlsplit(url).netloc == f"{LAN}:{lan_booth.port}"
        fetched = lan_booth.request("GET", "", url=url)
        assert fetched[0] == 200 and fetched[2][:2] == b"\xff\xd8"
    assert over_lan(lan_booth, "DELETE", f"/photo/{request_id}")[0] == 204
    assert over_lan(lan_booth, "GET", f"/photo/{request_id}")[0] == 404

    # A second booth pad on the network, with the key.
    assert over_lan(lan_booth, "POST", "/upload", start, {"x-booth-key": KEY})[0] == 200


def test_the_page_learns_the_address_the_qr_codes_encode(lan_booth: ServedBooth) -> None:
    status, _, on_laptop = lan_booth.request("GET", "/config.js")
    assert status == 200 and f'shareBaseUrl = "http://{LAN}:{lan_booth.port}/"'.encode() in on_laptop
    assert b"boothKeyRequired = true" not in on_laptop
    status, _, on_lan = over_lan(lan_booth, "GET", "/config.js")
    assert status == 200 and b"boothKeyRequired = true" in on_lan  # a pad on the LAN asks for the key


def test_without_lan_nothing_listens_beyond_loopback(tmp_path: Path) -> None:
    served = start_booth(tmp_path / "data", tmp_path / "serve.log")
    try:
        status, _, config = served.request("GET", "/config.js")
        assert status == 200 and b"shareBaseUrl =" not in config and b"boothKeyRequired =" not in config
        assert "the QR codes open on this machine only" in served.output()
        if Path("/proc/net/tcp").exists():
            assert listening(served.port) == {"127.0.0.1"}
    finally:
        served.stop()


NOT_AN_IMAGE = b"\xff\xd8 these bytes are not a photo"  # the workflow fails it at once: it only has to end


def test_a_phone_cannot_read_or_erase_through_a_pads_own_id_nor_learn_the_execution(lan_booth: ServedBooth) -> None:
    """Issue 18, defects 2 and 7, on the LAN listener: a pad's own id needs no randomness (``seedpad-0001`` …
    ``-0100`` were found in 1.8 s), so reading or erasing through it takes the booth key, as on AWS; and only a
    caller with the key is told the ``executionArn``. The laptop itself (127.0.0.1) is the booth's own."""
    start = {"type": "photo", "filename": "pad.jpg", "contentType": "image/jpeg"}
    status, ticket = lan_booth.json("POST", "/upload", start)
    assert status == 200, ticket
    put = lan_booth.request("PUT", "", NOT_AN_IMAGE, {"Content-Type": "image/jpeg"}, url=ticket["UploadURL"])  # type: ignore[index]
    assert put[0] == 200
    request_id, pad_id = ticket["requestId"], "seedpad-0001"  # type: ignore[index]
    body = {"requestId": pad_id, "bucket": ticket["Bucket"], "key": ticket["Key"], "wait": 0}  # type: ignore[index]
    assert lan_booth.json("POST", "/photo", body)[0] in (200, 202)
    lan_booth.wait_for_terminal(request_id)

    for method in ("GET", "DELETE"):
        status, _, raw = over_lan(lan_booth, method, f"/photo/{pad_id}")
        assert status == 401 and b"booth key" in raw, (method, status, raw)
        assert b"url_original" not in raw and request_id.encode() not in raw
        assert over_lan(lan_booth, method, f"/photo/{pad_id}", headers={"x-booth-key": "guessed"})[0] == 403
    assert lan_booth.json("GET", f"/photo/{request_id}")[0] == 200, "erased through a pad's id without the key"

    # The visitor's phone, with the request's random id: its pictures, not the execution (it names the account).
    status, _, raw = over_lan(lan_booth, "GET", f"/photo/{request_id}")
    assert status == 200 and "executionArn" not in json.loads(raw), raw
    # A second pad on the network, with the key, and the laptop: the alias and the execution.
    status, _, raw = over_lan(lan_booth, "GET", f"/photo/{pad_id}", headers={"x-booth-key": KEY})
    assert status == 200 and json.loads(raw)["requestId"] == request_id, raw
    assert json.loads(raw)["executionArn"].startswith("arn:aws:states:"), raw
    status, on_laptop = lan_booth.json("GET", f"/photo/{pad_id}")
    assert status == 200 and on_laptop["executionArn"].startswith("arn:aws:states:"), on_laptop  # type: ignore[index]

    assert over_lan(lan_booth, "DELETE", f"/photo/{pad_id}", headers={"x-booth-key": KEY})[0] == 204
    assert lan_booth.json("GET", f"/photo/{request_id}")[0] == 404
